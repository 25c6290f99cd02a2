import { RestreamError } from '../shared/errors.js';

/** What went wrong on an RTMP connection; each code closes only that one session. */
export type RtmpErrorCode =
  | 'HANDSHAKE_FAILED'
  | 'CHUNK_MALFORMED'
  | 'MESSAGE_TOO_LARGE'
  | 'BUFFER_LIMIT'
  | 'PENDING_LIMIT'
  | 'COMMAND_MALFORMED'
  | 'PROTOCOL_VIOLATION'
  | 'PUBLISH_REJECTED'
  | 'PLAY_REJECTED'
  | 'PUBLISH_CLOSED'
  | 'CONNECT_REJECTED'
  | 'TIMEOUT';

/** The one error type the RTMP layer throws or reports. */
export class RtmpError extends RestreamError<RtmpErrorCode> {
  constructor(code: RtmpErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RtmpError';
  }
}
