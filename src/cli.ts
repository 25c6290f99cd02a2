import { ConfigError, configHelp, loadConfig } from './config.js';
import { parseArgs } from 'node:util';
import { startServer } from './main.js';
import { createLogger } from './shared/logger.js';
import { errorMessage } from './shared/errors.js';
import { runStandaloneFallback } from './engine/standalone-fallback.js';

const usage = `restream: one RTMP stream in from OBS, live on every platform at once.

Usage:
  restream serve [options]     run the server (RTMP ingest, outputs, API and dashboard)
  restream fallback FILE --to URL [--to URL ...]
                               conform FILE and loop it to each RTMP/RTMPS URL (server URL + key)
                               until interrupted: test a platform setup without OBS
  restream --help              this text

Options (flag, environment variable, meaning):
${configHelp()}
`;

/** Entry point of the `restream` command. */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (
    command === undefined ||
    command === '--help' ||
    command === '-h' ||
    command === 'help' ||
    rest.includes('--help')
  ) {
    process.stdout.write(usage);
    return 0;
  }
  if (command === 'fallback') return runFallbackCommand(rest);
  if (command !== 'serve') {
    process.stderr.write(`restream: unknown command '${command}'\n\n${usage}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(rest);
  } catch (err) {
    if (
      err instanceof ConfigError ||
      (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`restream: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const server = await startServer(config);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second Ctrl-C / SIGTERM: the operator will not wait; outputs already got their clean end.
        server.logger.warn({ signal }, 'second signal: exiting at once');
        process.exit(exitCodeOnForce);
      }
      stopping = true;
      server.logger.info({ signal }, 'shutting down: ending broadcasts on every platform');
      // Past this deadline something hangs (a platform that never closes, a stuck disk): give up on it.
      setTimeout(() => {
        server.logger.error({ timeoutMs: stopTimeoutMs }, 'shutdown timed out; exiting anyway');
        process.exit(exitCodeOnForce);
      }, stopTimeoutMs).unref();
      const done = (code: number): void => {
        // Normally the process now ends by itself; a handle left open somewhere must not keep it up.
        setTimeout(() => process.exit(code), exitGraceMs).unref();
        resolve(code);
      };
      server.stop().then(
        () => {
          server.logger.info('shut down');
          done(0);
        },
        (err: unknown) => {
          server.logger.error({ err }, 'shutdown failed');
          done(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Longest a clean shutdown may take before the process exits anyway. */
const stopTimeoutMs = 15_000;
/** How long after a clean shutdown an open handle may keep the process alive. */
const exitGraceMs = 2000;
/** Exit code when a shutdown is cut short (a second signal, or the deadline). */
const exitCodeOnForce = 1;

/** `restream fallback FILE --to URL…` */
async function runFallbackCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { to: { type: 'string', multiple: true }, 'log-level': { type: 'string' } },
      allowPositionals: true,
    });
  } catch (err) {
    process.stderr.write(`restream fallback: ${errorMessage(err)}\n`);
    return 2;
  }
  const [file] = parsed.positionals;
  const urls = parsed.values.to ?? [];
  if (file === undefined || urls.length === 0) {
    process.stderr.write('usage: restream fallback FILE --to URL [--to URL ...]\n');
    return 2;
  }
  const logger = createLogger(parsed.values['log-level'] === 'debug' ? 'debug' : 'info');
  let running;
  try {
    running = await runStandaloneFallback(file, urls, {
      logger,
      onProgress: (percent) => process.stderr.write(`\rconforming ${file}: ${Math.round(percent)} %`),
    });
  } catch (err) {
    process.stderr.write(`\nrestream fallback: ${errorMessage(err)}\n`);
    return 1;
  }
  process.stderr.write('\nlooping; Ctrl-C ends the broadcast at every URL\n');
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      running.stop();
      setTimeout(resolve, 500).unref();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return 0;
}
