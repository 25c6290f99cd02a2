/**
 * Where a stream of bytes goes that nobody may wait on: an HTTP response (the program preview), a
 * recorder's ffmpeg stdin. `writableLength` is what is buffered and not yet taken by the other side;
 * a writer never waits on it, it only looks (and drops frames, or the sink, when it grows). Declared
 * here once for the program's FLV viewer (channel), the control plane's port and the API's route.
 */
export interface ByteSink {
  /** Queues bytes; the return value (false: over the sink's high-water mark) is advice only. */
  write(chunk: Buffer): boolean;
  /** Bytes queued and not yet taken by the other side. */
  readonly writableLength: number;
  /** Ends the stream after what is buffered (the program ended). */
  end(): void;
  /** Drops the connection (a reader that stopped reading). */
  destroy(): void;
}
