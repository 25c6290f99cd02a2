import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { TypedEmitter, setListenerErrorLogger } from '../../../src/shared/events.js';
import { createLogger, silentLogger } from '../../../src/shared/logger.js';

class Source extends TypedEmitter<{ frame: [n: number] }> {
  emitFrame(n: number): void {
    this.safeEmit('frame', n);
  }
}

/** A JSON-lines logger whose lines the test reads back. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

describe('TypedEmitter', () => {
  afterEach(() => {
    setListenerErrorLogger(silentLogger);
  });

  it('logs a throwing listener with the event name, and still calls the listeners after it', async () => {
    const { logger, lines } = capturingLogger();
    setListenerErrorLogger(logger);
    const source = new Source();
    const got: number[] = [];
    source.on('frame', () => {
      throw new Error('listener bug');
    });
    source.on('frame', (n) => got.push(n));
    expect(() => {
      source.emitFrame(7);
    }).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([7]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'event listener threw',
      event: 'frame',
      emitter: 'Source',
      err: { message: 'listener bug' },
    });
  });

  it('hands the exception to the emitter’s own handler instead, when it has one', () => {
    const { logger, lines } = capturingLogger();
    setListenerErrorLogger(logger);
    const source = new Source();
    const handled: string[] = [];
    source.onListenerError((err, event) => handled.push(`${event}: ${(err as Error).message}`));
    source.on('frame', () => {
      throw new Error('listener bug');
    });
    source.emitFrame(1);
    expect(handled).toEqual(['frame: listener bug']);
    expect(lines).toHaveLength(0);
  });
});
