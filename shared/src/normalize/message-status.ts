/**
 * The initial `status` of a normalised message. Only the mapping from one message's own proto
 * field; merging with receipts (monotonic, per recipient) lives in `shared/src/status.ts`.
 */
import { MESSAGE_STATUSES, type MessageSource, type MessageStatus } from '../schema.ts';

/**
 * `proto.WebMessageInfo.Status` is ERROR=0, PENDING=1, SERVER_ACK=2, DELIVERY_ACK=3, READ=4,
 * PLAYED=5 — the same order as `MESSAGE_STATUSES`, so the number is the index. `toJSON` turns the
 * enum into its name, hence the name table too.
 */
const STATUS_BY_PROTO_NAME: Readonly<Record<string, MessageStatus>> = {
  ERROR: 'error',
  PENDING: 'pending',
  SERVER_ACK: 'server_ack',
  DELIVERY_ACK: 'delivered',
  READ: 'read',
  PLAYED: 'played',
};

/**
 * Status from the proto `status` field. When it is missing or unknown: our own messages are
 * 'server_ack' if WhatsApp already has them (history, or a live stanza from another of our devices,
 * which `decodeMessageNode` also marks SERVER_ACK) and 'pending' when we are the one sending
 * (Baileys creates outgoing messages as PENDING, messages.js `generateWAMessageFromContent`);
 * a received message has by definition been delivered to us.
 */
export function messageStatus(protoStatus: unknown, fromMe: boolean, source: MessageSource): MessageStatus {
  if (typeof protoStatus === 'number') {
    const mapped = Number.isInteger(protoStatus) ? MESSAGE_STATUSES[protoStatus] : undefined;
    if (mapped) return mapped;
  } else if (typeof protoStatus === 'string') {
    const mapped = Object.hasOwn(STATUS_BY_PROTO_NAME, protoStatus) ? STATUS_BY_PROTO_NAME[protoStatus] : undefined;
    if (mapped) return mapped;
  }
  if (!fromMe) return 'delivered';
  return source === 'send' ? 'pending' : 'server_ack';
}
