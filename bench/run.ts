/**
 * `npm run bench`: this server against nginx-rtmp (`push` lines), one ffmpeg per destination and
 * Node-Media-Server 4 (push relay tasks), side by side in one run, for N = 1, 10, 50, 100 destinations
 * (`--n 1,10,50,100,200` for the scaling curve) on one nginx-rtmp sink; then the slow-sink case.
 * See bench/README.md. Everything runs on 127.0.0.1; every process started is stopped on exit, Ctrl-C,
 * SIGTERM or error, and a watchdog bounds the whole run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultContinuityOptions, runContinuity, type ContinuityResult } from './continuity.js';
import { inputCasesTable, runInputCases, type InputCaseResult } from './continuity-inputs.js';
import { runOne, type RunResult } from './measure.js';
import { runSlowSink, type SlowSinkResult } from './slow-sink.js';
import { previewTable, runPreview, type PreviewResult } from './preview.js';
import { startNginx, type BenchNginx } from './nginx.js';
import { hostTicks } from './proc-stats.js';
import { physicalLimit, physicalLimitLine, type PhysicalLimit } from './physical-limit.js';
import {
  continuityTable,
  markdownTable,
  scalingLines,
  slowSinkTable,
  targetLines,
  withRatios,
} from './report.js';
import { systemIds, type SystemId } from './systems.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const mediaFile = join(root, 'bench', 'media', '720p30-6mbps.flv');

const usage = `Usage: npm run bench -- [options]   (or: npx tsx bench/run.ts [options])
  --n 1,10,50,100        numbers of destinations, 1..500 (default 1,10,50,100; include 1 for the
                         per-destination columns, which are against the system's N=1 run)
  --seconds 30           measurement window per run, s (default 30)
  --warmup 5             wait after all N receive, before the window, s (default 5)
  --systems a,b,c        subset of ${systemIds.join(',')} (default all)
  --slow-n 10            N of the slow-sink case (default 10 if run, else the largest N; 0 skips it)
  --quick                N 1,10, a 10 s window, 3 s warm-up, continuity with 1 repetition: a smoke run
  --continuity           include the continuity section (issue #3; the default)
  --no-continuity        leave it out
  --continuity-only      run only the continuity section (about 1.5 min; 1 with --quick)
  --continuity-reps 3    drops and stalls each in that section (default 3, --quick 1)
  --preview              include the preview section: N = 10 (or --preview-n) with 0, 1 and 10 viewers
  --preview-only         run only the preview section
  --preview-n 10         N of the preview section
  --syscall-seconds 5    strace -c window after each CPU window, s (default 5; 0 skips it)
  --help`;

interface Options {
  ns: number[];
  seconds: number;
  warmupSeconds: number;
  syscallSeconds: number;
  systems: SystemId[];
  slowN: number;
  /** Repetitions of the continuity section's drop and stall (0: the section is skipped). */
  continuityReps: number;
  /** Only the continuity section. */
  continuityOnly: boolean;
  /** N of the preview section (0: skipped). */
  previewN: number;
  /** Only the preview section. */
  previewOnly: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      systems: { type: 'string' },
      'slow-n': { type: 'string' },
      quick: { type: 'boolean' },
      continuity: { type: 'boolean' },
      'no-continuity': { type: 'boolean' },
      'continuity-only': { type: 'boolean' },
      'continuity-reps': { type: 'string' },
      preview: { type: 'boolean' },
      'preview-only': { type: 'boolean' },
      'preview-n': { type: 'string' },
      'syscall-seconds': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  const quick = values.quick === true;
  const list = (text: string): number[] => text.split(',').map((x) => Number(x.trim()));
  const ns = list(values.n ?? (quick ? '1,10' : '1,10,50,100'));
  if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > 500)) throw new Error(`--n: integers 1..500`);
  const seconds = Number(values.seconds ?? (quick ? 10 : 30));
  const warmupSeconds = Number(values.warmup ?? (quick ? 3 : 5));
  if (!(seconds >= 2 && seconds <= 600)) throw new Error('--seconds: 2..600');
  if (!(warmupSeconds >= 0 && warmupSeconds <= 120)) throw new Error('--warmup: 0..120');
  const syscallSeconds = Number(values['syscall-seconds'] ?? 5);
  if (!(syscallSeconds >= 0 && syscallSeconds <= 60)) throw new Error('--syscall-seconds: 0..60');
  const systems = (values.systems?.split(',') ?? [...systemIds]).map((s) => {
    if (!(systemIds as readonly string[]).includes(s)) throw new Error(`--systems: unknown '${s}'`);
    return s as SystemId;
  });
  const slowN = Number(values['slow-n'] ?? (ns.includes(10) ? 10 : Math.max(...ns)));
  if (!Number.isInteger(slowN) || slowN < 0 || slowN === 1) throw new Error('--slow-n: 0 (skip) or ≥ 2');
  const continuityOnly = values['continuity-only'] === true;
  if (values['no-continuity'] === true && (values.continuity === true || continuityOnly))
    throw new Error('--no-continuity contradicts --continuity / --continuity-only');
  let continuityReps = Number(
    values['continuity-reps'] ?? (quick ? 1 : defaultContinuityOptions.repetitions),
  );
  if (!Number.isInteger(continuityReps) || continuityReps < 1 || continuityReps > 20)
    throw new Error('--continuity-reps: 1..20');
  if (values['no-continuity'] === true) continuityReps = 0;
  const previewOnly = values['preview-only'] === true;
  const previewN = values.preview === true || previewOnly ? Number(values['preview-n'] ?? 10) : 0;
  if (!Number.isInteger(previewN) || previewN < 0 || previewN > 500) throw new Error('--preview-n: 1..500');
  const common = { ns, seconds, warmupSeconds, syscallSeconds, systems, previewN, previewOnly };
  // With --preview-only nothing else runs.
  if (previewOnly) return { ...common, slowN: 0, continuityReps: 0, continuityOnly: true };
  return { ...common, slowN, continuityReps, continuityOnly };
}

const log = (line: string): void => {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
};

function firstLine(command: string, args: string[]): string {
  try {
    const out = spawnSync(command, args, { encoding: 'utf8' });
    return `${out.stdout}${out.stderr}`.split('\n')[0]?.trim() ?? '';
  } catch {
    return '';
  }
}

/** Source bitrate of the bench file (bytes over duration), Mbit/s. */
function sourceMbps(): number {
  const duration = Number(
    execFileSync(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', mediaFile],
      {
        encoding: 'utf8',
      },
    ).trim(),
  );
  return (statSync(mediaFile).size * 8) / duration / 1e6;
}

/** How busy the machine is (% of all cores) over 2 s with nothing of the bench running. */
async function backgroundLoad(): Promise<number> {
  const a = hostTicks();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const b = hostTicks();
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * 100 : 0;
}

function prepare(): void {
  // `npm run bench` builds first; a direct `npx tsx bench/run.ts` gets the same check (cheap when fresh).
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-built.js')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('build failed');
  if (!existsSync(mediaFile)) {
    const made = spawnSync('bash', [join(root, 'scripts', 'make-bench-media.sh')], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error('could not make the bench media');
  }
}

function installSignalHandlers(): void {
  // process.exit runs the 'exit' hook of test/helpers/process.ts, which SIGKILLs every peer still alive
  // (nginx masters with their workers) and removes the temp dirs.
  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping everything`);
      process.exit(130);
    });
  }
}

async function main(): Promise<void> {
  installSignalHandlers();
  const options = parseOptions();
  prepare();
  const runs = options.continuityOnly
    ? 0
    : options.ns.length * options.systems.length + (options.slowN > 0 ? 2 : 0);
  // A large N takes longer to come up (runOne waits up to 30 s + 0.3 s per destination) and to stop.
  const rampMs = options.continuityOnly
    ? 0
    : options.systems.length * options.ns.reduce((sum, n) => sum + n * 400, 0);
  const continuityBudgetMs = options.continuityReps > 0 ? 300_000 + options.continuityReps * 60_000 : 0;
  const previewBudgetMs = options.previewN > 0 ? 3 * (options.seconds + 10) * 1000 + 180_000 : 0;
  const budgetMs =
    runs * (options.seconds + options.warmupSeconds + options.syscallSeconds + 120) * 1000 +
    rampMs +
    continuityBudgetMs +
    previewBudgetMs +
    60_000;
  setTimeout(() => {
    log(`watchdog: the bench ran past ${(budgetMs / 60_000).toFixed(0)} min; stopping everything`);
    process.exit(3);
  }, budgetMs).unref();

  const source = sourceMbps();
  const background = await backgroundLoad();
  const limit: PhysicalLimit | undefined = options.continuityOnly ? undefined : await physicalLimit(source);
  if (background > 15)
    log(
      `warning: the machine is already ${background.toFixed(0)} % busy before the bench starts; figures will be skewed`,
    );
  const machine = {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    node: process.version,
    nginx: firstLine('nginx', ['-v']),
    ffmpeg: firstLine('ffmpeg', ['-version']),
  };
  const shared =
    `All processes share this machine's ${machine.cores} cores: the ffmpeg publisher, the relay under test ` +
    `(and its N outputs), and the nginx sink. CPU % is of one core, relay processes only.`;
  log(`source ${source.toFixed(2)} Mbit/s (${mediaFile}); ${shared}`);

  let sink: BenchNginx | undefined;
  const results: RunResult[] = [];
  let slow: SlowSinkResult | undefined;
  let continuity: ContinuityResult | undefined;
  let preview: PreviewResult | undefined;
  let inputs: InputCaseResult[] | undefined;
  try {
    sink = await startNginx('sink', [{ name: 'sink' }], true);
    for (const n of options.continuityOnly ? [] : options.ns) {
      for (const system of options.systems) {
        log(`run ${system} N=${n}`);
        const result = await runOne(system, n, sink, mediaFile, options, log);
        log(
          `  CPU ${result.relay.cpuPercent.toFixed(1)} %, RSS ${result.relay.peakRssMb.toFixed(1)} MB, ` +
            `${result.mbpsMean.toFixed(2)} Mbit/s/dest (min ${result.mbpsMin.toFixed(2)})` +
            (result.notes.length > 0 ? `; ${result.notes.slice(0, 3).join('; ')}` : ''),
        );
        results.push(result);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
    if (options.slowN > 0 && !options.continuityOnly) {
      log(`slow-sink case: restream N=${options.slowN}`);
      const slowSink = await startNginx('slow-sink', [{ name: 'sink' }]);
      try {
        slow = await runSlowSink(options.slowN, sink, slowSink, mediaFile, options, log);
      } finally {
        await slowSink.stop();
      }
    }
    if (options.previewN > 0) {
      log(`preview: restream N=${options.previewN} with 0, 1 and 10 viewers`);
      preview = await runPreview(options.previewN, [0, 1, 10], sink, mediaFile, options, log);
    }
    if (options.continuityReps > 0) {
      log(`continuity (issue #3): restream, ${options.continuityReps} drop(s) and stall(s)`);
      continuity = await runContinuity(
        sink,
        mediaFile,
        { ...defaultContinuityOptions, repetitions: options.continuityReps },
        log,
      );
      log('continuity (issue #11): other encoders and one-track inputs, a drop and a stall each');
      inputs = await runInputCases(log);
    }
  } finally {
    await sink?.stop();
  }

  const rows = withRatios(results);
  const table = markdownTable(rows);
  const verdicts = targetLines(rows, slow);
  const command = [
    'npm run bench',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  const out = [
    '',
    `## Bench: ${new Date().toISOString()} (\`${command}\`)`,
    '',
    `Source: ${source.toFixed(2)} Mbit/s 720p30 H.264+AAC, looped with \`ffmpeg -re -stream_loop -1 -c copy\`.` +
      (options.continuityOnly
        ? ''
        : ` Window ${options.seconds} s after all N receive + ${options.warmupSeconds} s warm-up.`),
    `Machine: ${machine.cores} × ${machine.cpuModel}, Node ${machine.node}, ${machine.nginx}.`,
    `${shared} Background load before the bench: ${background.toFixed(0)} % of all cores.`,
  ];
  if (results.length > 0 || slow !== undefined)
    out.push(
      'Delivered Mbit/s per destination: counted at the sink (nginx-rtmp `rtmp_stat` per-stream `bytes_in`, ' +
        'difference over the window). Peak RSS: the largest sum of VmRSS over the relay’s process tree, ' +
        'sampled every 500 ms (PSS: shared pages split). Ratios: to nginx-rtmp at the same N.',
      '',
      table,
      '',
      ...(slow === undefined ? [] : [slowSinkTable(slow), '']),
      'CPU %/dest and RSS MB/dest: (the figure at N − the same system’s figure at N = 1) ÷ (N − 1). Idle ' +
        'RSS: the relay started and configured for its N destinations, before the publisher connects ' +
        '(at N = 1: its startup memory). Scaling, least-squares over the N run:',
      ...scalingLines(rows).map((l) => `- ${l}`),
      '',
      ...(limit === undefined ? [] : [physicalLimitLine(limit), '']),
      'Targets (issue #12, printed, not asserted):',
      ...verdicts.map((v) => `- ${v}`),
      '',
    );
  if (continuity !== undefined) {
    const c = continuity.options;
    out.push(
      '',
      `### Continuity (issue #3): ${c.repetitions} drop(s) and stall(s), N=${c.n} on the sink + 1 ffmpeg receiver`,
      '',
      `Publisher: the bench file through an ingest tap; stallTimeoutMs ${c.stallTimeoutMs}, CPU windows ` +
        `${c.windowSeconds} s. Log figures: the server's pino \`time\` minus the bench's \`Date.now()\` at the ` +
        'signal (same clock). Tap figures: TCP proxies in the bench process timing each RTMP message when its ' +
        'last byte arrives (ChunkReader), keyframes matched by their payload’s last bytes; the receiver is the ' +
        'last of the outputs. Targets printed, not asserted; time verdicts on the max.',
      '',
      continuityTable(continuity),
      '',
    );
    const topGaps = continuity.receiver?.video.top.map((g) => `${g.gapMs.toFixed(0)} ms (${g.event})`);
    if (topGaps !== undefined) out.push(`Largest video DTS gaps at the receiver: ${topGaps.join(', ')}.`, '');
  }
  if (preview !== undefined) out.push('', '### Preview (issue #13)', '', previewTable(preview), '');
  if (inputs !== undefined) {
    out.push(
      '',
      '### Continuity (issue #11): other encoders and one-track inputs through a drop and a stall, at an ffmpeg receiver',
      '',
      'Frames due: the expected frame rate, and sample rate / 1024 AAC frames per second, over each ' +
        'track’s span. Expected for a track the input lacks: the fallback’s. Audible: seconds not below ' +
        '-50 dB (the live 440 Hz tone; slate and filler are silence).',
      '',
      inputCasesTable(inputs),
      '',
    );
  }
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.system} N=${r.n}: ${n}`));
  if (slow !== undefined) notes.push(...slow.notes.map((n) => `- slow sink: ${n}`));
  if (continuity !== undefined) notes.push(...continuity.notes.map((n) => `- continuity: ${n}`));
  for (const r of inputs ?? []) notes.push(...r.notes.map((n) => `- ${r.name}: ${n}`));
  if (notes.length > 0) out.push('Notes:', ...notes.slice(0, 40), '');
  console.log(out.join('\n'));

  const resultsDir = join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const record = {
    command,
    version,
    options,
    sourceMbps: source,
    machine,
    backgroundLoadPercent: background,
    physicalLimit: limit,
    results: rows,
    slowSink: slow,
    continuity,
    preview,
    inputs,
    verdicts,
  };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  log(`results written to ${file}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
