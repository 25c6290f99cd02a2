import { decodeAmf0, encodeAmf0, amfProps, type AmfObject, type AmfValue } from '../media/amf0.js';
import { MessageType } from './control.js';
import type { RtmpMessage } from './chunk-reader.js';
import { RtmpError } from './errors.js';

/** A decoded AMF command message (spec 7.1.1 / 7.2). */
export interface Command {
  name: string;
  transactionId: number;
  /** The command object (null for most NetStream commands). */
  commandObject: AmfObject | null;
  /** The arguments after the command object. */
  args: AmfValue[];
  /** Stream id the command was sent on. */
  streamId: number;
}

/**
 * Decodes an AMF0 (type 20) or AMF3 (type 17) command. An AMF3 command starts with a 0x00 format byte
 * and then, in practice, AMF0 values; one that really switches to AMF3 is rejected as malformed and the
 * caller ignores it instead of closing the session.
 */
export function parseCommand(message: RtmpMessage): Command {
  const body = message.typeId === MessageType.commandAmf3 ? message.payload.subarray(1) : message.payload;
  let values: AmfValue[];
  try {
    values = decodeAmf0(body);
  } catch (err) {
    throw new RtmpError('COMMAND_MALFORMED', 'undecodable command message', { cause: err });
  }
  const [name, transactionId, commandObject, ...args] = values;
  if (typeof name !== 'string') throw new RtmpError('COMMAND_MALFORMED', 'command without a name');
  return {
    name,
    transactionId: typeof transactionId === 'number' ? transactionId : 0,
    commandObject: amfProps(commandObject ?? null) ?? null,
    args,
    streamId: message.streamId,
  };
}

/** Builds an AMF0 command message. */
export function commandMessage(
  name: string,
  transactionId: number,
  commandObject: AmfValue,
  args: AmfValue[] = [],
  streamId = 0,
): RtmpMessage {
  return {
    typeId: MessageType.commandAmf0,
    streamId,
    timestamp: 0,
    payload: encodeAmf0(name, transactionId, commandObject, ...args),
  };
}

/** An `onStatus` info object (spec 7.2.2). */
export function statusMessage(
  streamId: number,
  level: 'status' | 'error' | 'warning',
  code: string,
  description: string,
): RtmpMessage {
  return commandMessage('onStatus', 0, null, [{ level, code, description }], streamId);
}

/** The `code` of an `onStatus` / `_error` info object, if it has one. */
export function infoCode(command: Command): { level: string; code: string; description: string } {
  const info = amfProps(command.args[0] ?? null) ?? {};
  const str = (v: AmfValue): string => (typeof v === 'string' ? v : '');
  return { level: str(info.level), code: str(info.code), description: str(info.description) };
}
