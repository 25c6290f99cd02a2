import { createReadStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './http-errors.js';

/**
 * The byte span of a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range (RFC 9110 §14.1.2) within a file of
 * `sizeBytes`, end inclusive and clamped to the file; undefined when it is malformed, a multi-range, or
 * outside the file.
 */
export function parseByteRange(
  header: string,
  sizeBytes: number,
): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // A suffix: the last n bytes.
    const length = Number(last);
    if (length === 0 || sizeBytes === 0) return undefined;
    return { start: Math.max(0, sizeBytes - length), end: sizeBytes - 1 };
  }
  const start = Number(first);
  const end = last === '' ? sizeBytes - 1 : Math.min(Number(last), sizeBytes - 1);
  if (start >= sizeBytes || end < start) return undefined;
  return { start, end };
}

/**
 * Sends the first `sizeBytes` of the file at `path`, or the single byte range the request asks for (206),
 * since browsers need one to seek in a `<video>`; a range outside the file is a 416. Only `sizeBytes` is
 * sent even when the file is longer by now (a recording still being written): the length said is the
 * length sent. The caller sets the content type and caching headers.
 */
export function sendFileRange(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  sizeBytes: number,
): FastifyReply {
  void reply.header('accept-ranges', 'bytes');
  const rangeHeader = request.headers.range;
  if (rangeHeader === undefined) {
    void reply.header('content-length', sizeBytes);
    return reply.send(createReadStream(path, { end: Math.max(0, sizeBytes - 1) }));
  }
  const range = parseByteRange(rangeHeader, sizeBytes);
  if (!range) {
    void reply.header('content-range', `bytes */${sizeBytes}`);
    throw new ApiError(
      'RANGE_NOT_SATISFIABLE',
      `no bytes of the ${sizeBytes}-byte file in ${rangeHeader}`,
      'range',
    );
  }
  void reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${sizeBytes}`)
    .header('content-length', range.end - range.start + 1);
  return reply.send(createReadStream(path, { start: range.start, end: range.end }));
}
