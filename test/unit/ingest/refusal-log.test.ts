import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RefusalLog } from '../../../src/ingest/refusal-log.js';
import { createLogger } from '../../../src/shared/logger.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function logged(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return {
    log: createLogger('info', stream),
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('RefusalLog', () => {
  it('writes one line per address and code per minute, then says how many it left out', () => {
    const clock = new FakeClock();
    const { log, lines } = logged();
    const refusals = new RefusalLog(log, { clock });
    for (let i = 0; i < 1000; i++) refusals.refused('10.0.0.1', 'PROTOCOL_VIOLATION', { reason: 'x' });
    refusals.refused('10.0.0.1', 'BUFFER_LIMIT');
    refusals.refused('10.0.0.2', 'PROTOCOL_VIOLATION');
    expect(lines().map((l) => [l.remote, l.code])).toEqual([
      ['10.0.0.1', 'PROTOCOL_VIOLATION'],
      ['10.0.0.1', 'BUFFER_LIMIT'],
      ['10.0.0.2', 'PROTOCOL_VIOLATION'],
    ]);
    clock.advance(60_000);
    refusals.refused('10.0.0.1', 'PROTOCOL_VIOLATION');
    const after = lines().slice(3);
    expect(after).toContainEqual(
      expect.objectContaining({ remote: '10.0.0.1', code: 'PROTOCOL_VIOLATION', suppressed: 999 }),
    );
    expect(after.filter((l) => l.msg === 'rtmp refused')).toHaveLength(1);
  });

  it('remembers a bounded number of address and code pairs', () => {
    const { log, lines } = logged();
    const refusals = new RefusalLog(log, { clock: new FakeClock(), maxKeys: 10 });
    for (let i = 0; i < 100; i++) refusals.refused(`10.0.1.${i}`, 'CLOSED');
    // The first address was forgotten, so it is logged again rather than remembered forever.
    expect(refusals.refused('10.0.1.0', 'CLOSED')).toBe(true);
    expect(refusals.refused('10.0.1.99', 'CLOSED')).toBe(false);
    expect(lines()).toHaveLength(101);
  });
});
