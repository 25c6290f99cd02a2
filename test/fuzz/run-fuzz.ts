/**
 * The fuzzer, for as long as you like:
 *
 *   npm run fuzz -- [--seconds 60] [--cases N] [--seed START]
 *
 * Runs seeded cases (see targets.ts) from START upwards until the time or case budget is spent, printing
 * cases/s and every failing seed; exits 1 if any failed. Re-run one with `--seed N --cases 1`.
 */
import { errorMessage } from '../../src/shared/errors.js';
import { fuzzCase, type FuzzFailure } from './targets.js';

function option(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number`);
  return value;
}

const cases = option('cases');
const seconds = option('seconds') ?? (cases === undefined ? 60 : Infinity);
const start = option('seed') ?? Math.floor(Math.random() * 2 ** 31);
const deadline = Date.now() + seconds * 1000;

console.log(
  `fuzzing from seed ${start}${cases === undefined ? '' : `, ${cases} cases`}${Number.isFinite(seconds) ? `, up to ${seconds} s` : ''}`,
);
const failures: FuzzFailure[] = [];
const began = Date.now();
let lastReport = began;
let done = 0;
for (let seed = start; (cases === undefined || done < cases) && Date.now() < deadline; seed++) {
  const failure = fuzzCase(seed);
  done++;
  if (failure) {
    failures.push(failure);
    const detail = failure.error instanceof Error ? (failure.error.stack ?? failure.error.message) : '';
    console.log(
      `FAIL seed ${failure.seed} [${failure.target}] ${failure.reason} ${detail || errorMessage(failure.error ?? '')}`,
    );
  }
  const now = Date.now();
  if (now - lastReport >= 5000) {
    console.log(
      `${done} cases, ${Math.round(done / ((now - began) / 1000))} cases/s, ${failures.length} failures`,
    );
    lastReport = now;
  }
}
const elapsed = Math.max(1, Date.now() - began) / 1000;
console.log(
  `${done} cases in ${elapsed.toFixed(1)} s (${Math.round(done / elapsed)} cases/s), ${failures.length} failures`,
);
if (failures.length > 0) {
  console.log(`failing seeds: ${failures.map((f) => f.seed).join(' ')}`);
  process.exitCode = 1;
}
