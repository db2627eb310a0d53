/**
 * The stored form of one history notification as the pipeline received it: Baileys'
 * `messaging-history.set` payload (after its event buffer, so possibly several notifications
 * merged), plus the LID ↔ PN pairs the pipeline looked up for it in Baileys' mapping store. A
 * replay decodes it into the same payload and normalises it with the same `receivedAt`, so it
 * plans the same documents.
 *
 * Layout (then deflated): a 4-byte length and a JSON header (scalars, contacts, mappings, pairs),
 * then every message as `proto.WebMessageInfo` bytes and every chat as `proto.Conversation`
 * bytes, each behind a 4-byte length. Protobuf, not JSON, for messages and chats: it is what
 * WhatsApp sent (the decoded messages carry protobufjs `Long` times, which normalisation tells
 * apart from the plain numbers Baileys' buffer leaves behind), and it is compact. Protobuf makes
 * every time a `Long` again, so the header lists the messages whose time was a plain number (a
 * receipt's time the buffer merged in, the mark of a `buffered_receipt`), and decoding gives them
 * their plain number back: a chunk imported from the store normalises as it did in memory. Fields Baileys
 * adds to chats outside the protobuf (`lastMessageRecvTimestamp`) and `pastParticipants` are not
 * kept; nothing reads them.
 */
import { promisify } from 'node:util';
import { deflate, inflate } from 'node:zlib';
import type { LidPnPair } from '@wasync/shared';
import {
  type BaileysEventMap,
  type Chat,
  type Contact,
  proto,
  toNumber,
  type WAMessage,
} from '@whiskeysockets/baileys';

export type HistorySet = BaileysEventMap['messaging-history.set'];

/** A history payload and what the pipeline added to it. */
export interface RawHistory {
  set: HistorySet;
  /** Pairs looked up in Baileys' LID mapping store for this payload (its buffer may drop `lidPnMappings`). */
  pairs: LidPnPair[];
}

interface Header {
  v: 1;
  syncType: HistorySet['syncType'];
  progress?: number | null;
  isLatest?: boolean;
  chunkOrder?: number | null;
  peerDataRequestSessionId?: string | null;
  contacts: Contact[];
  lidPnMappings?: HistorySet['lidPnMappings'];
  pairs: LidPnPair[];
  messages: number;
  chats: number;
  /** Indexes of the messages whose `messageTimestamp` was a plain number, not a protobuf `Long`. */
  plainTimes?: number[];
}

function frame(parts: Uint8Array[]): Buffer {
  const out: Buffer[] = [];
  for (const part of parts) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.length);
    out.push(length, Buffer.from(part.buffer, part.byteOffset, part.length));
  }
  return Buffer.concat(out);
}

/** JSON without `undefined` and with byte arrays as base64 (contacts carry none; mappings neither). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}

// Asynchronous: zlib deflates in libuv's thread pool, so the event loop goes on with the commits
// in flight (synchronous deflate was ~3 % of a history import's main-thread CPU).
const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

export function encodeRawHistory({ set, pairs }: RawHistory): Promise<Buffer> {
  const messages = (set.messages ?? []).map((m) => proto.WebMessageInfo.encode(m).finish());
  const chats = (set.chats ?? []).map((c) => proto.Conversation.encode(c as proto.IConversation).finish());
  const plainTimes = (set.messages ?? []).flatMap((m, i) => (typeof m.messageTimestamp === 'number' ? [i] : []));
  const header: Header = {
    v: 1,
    syncType: set.syncType,
    progress: set.progress,
    isLatest: set.isLatest,
    chunkOrder: set.chunkOrder,
    peerDataRequestSessionId: set.peerDataRequestSessionId,
    contacts: plain(set.contacts ?? []),
    lidPnMappings: set.lidPnMappings ? plain(set.lidPnMappings) : undefined,
    pairs,
    messages: messages.length,
    chats: chats.length,
    ...(plainTimes.length > 0 ? { plainTimes } : {}),
  };
  return deflateAsync(frame([Buffer.from(JSON.stringify(header)), ...messages, ...chats]));
}

export class RawHistoryFormatError extends Error {
  override readonly name = 'RawHistoryFormatError';
}

/** Decodes a stored chunk; inflated in zlib's thread pool, like the deflate that stored it. */
export async function decodeRawHistory(bytes: Uint8Array): Promise<RawHistory> {
  const buffer = await inflateAsync(bytes);
  const parts: Buffer[] = [];
  for (let at = 0; at < buffer.length; ) {
    if (at + 4 > buffer.length) throw new RawHistoryFormatError('truncated length');
    const length = buffer.readUInt32BE(at);
    if (at + 4 + length > buffer.length) throw new RawHistoryFormatError('truncated part');
    parts.push(buffer.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  const [head, ...rest] = parts;
  if (!head) throw new RawHistoryFormatError('no header');
  const header = JSON.parse(head.toString('utf8')) as Header;
  if (header.v !== 1 || rest.length !== header.messages + header.chats) {
    throw new RawHistoryFormatError(`unexpected header (v${header.v}, ${rest.length} parts)`);
  }
  const messages = rest.slice(0, header.messages).map((b) => proto.WebMessageInfo.decode(b) as WAMessage);
  for (const i of header.plainTimes ?? []) {
    const message = messages[i];
    if (message?.messageTimestamp != null) message.messageTimestamp = toNumber(message.messageTimestamp);
  }
  const chats = rest.slice(header.messages).map((b) => proto.Conversation.decode(b) as Chat);
  const set: HistorySet = {
    chats,
    contacts: header.contacts,
    messages,
    syncType: header.syncType,
    ...(header.progress !== undefined ? { progress: header.progress } : {}),
    ...(header.isLatest !== undefined ? { isLatest: header.isLatest } : {}),
    ...(header.chunkOrder !== undefined ? { chunkOrder: header.chunkOrder } : {}),
    ...(header.peerDataRequestSessionId !== undefined
      ? { peerDataRequestSessionId: header.peerDataRequestSessionId }
      : {}),
    ...(header.lidPnMappings ? { lidPnMappings: header.lidPnMappings } : {}),
  };
  return { set, pairs: header.pairs };
}
