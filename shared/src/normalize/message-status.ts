/**
 * The initial `status` of a normalised message. Mapping the proto value is `statusFromProto`'s
 * (`shared/src/status.ts`, which also merges it with receipts); this module adds reading the enum
 * name that `toJSON` leaves, and the default when the field says nothing.
 */
import { proto } from '@whiskeysockets/baileys';
import type { MessageSource, MessageStatus } from '../schema.ts';
import { statusFromProto } from '../status.ts';
import { enumNumber } from './fields.ts';

const ProtoStatus = proto.WebMessageInfo.Status;

/**
 * Status from the proto `status` field (a number, or its name after `toJSON`). When it is missing
 * or unknown: our own messages are 'server_ack' if WhatsApp already has them (history, or a live
 * stanza from another of our devices, which `decodeMessageNode` also marks SERVER_ACK) and
 * 'pending' when we are the one sending (Baileys creates outgoing messages as PENDING, messages.js
 * `generateWAMessageFromContent`); a received message has by definition been delivered to us.
 */
export function messageStatus(protoStatus: unknown, fromMe: boolean, source: MessageSource): MessageStatus {
  // A number (what protobufjs objects hold) needs no name lookup; this runs for every message.
  const mapped = statusFromProto(typeof protoStatus === 'number' ? protoStatus : enumNumber(protoStatus, ProtoStatus));
  if (mapped) return mapped;
  if (!fromMe) return 'delivered';
  return source === 'send' ? 'pending' : 'server_ack';
}
