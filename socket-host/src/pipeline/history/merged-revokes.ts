/**
 * One merge of Baileys' event buffer that the pipeline must undo before it stores a history
 * payload: a REVOKE whose target is in a history set of the same buffer window.
 *
 * Baileys turns a revoke into `messages.update [{ key: { ...revoke.key, id: <target> }, update:
 * { message: null, messageStubType: REVOKE, key: revoke.key } }]` (process-message.js), and the
 * buffer `Object.assign`s that update into the history message it matches (event-buffer.js) —
 * key included. The history set then holds a tombstone under the revoke message's own id, and the
 * target is gone from it; the revoke message itself is in the same map's `messages.upsert`.
 * `normalizeBaileysEvents` files such a tombstone back when it sees the whole map, but the
 * pipeline normalises the history part later, from the raw store, apart from the live part: so the
 * key is put back here, on the payload, before it is stored (a replay then reads it right too).
 */
import { normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { HistorySet } from './raw-codec.ts';

const REVOKE = proto.Message.ProtocolMessage.Type.REVOKE;
const REVOKE_STUB = proto.WebMessageInfo.StubType.REVOKE;

const where = (key: { remoteJid?: string | null; id?: string | null }) => `${key.remoteJid},${key.id}`;

/** Gives tombstones the buffer keyed by a revoke of `upserts` their target's key back; returns how many. */
export function refileMergedRevokes(set: HistorySet, upserts: readonly WAMessage[] | undefined): number {
  const revoked = new Map<string, proto.IMessageKey>();
  for (const message of upserts ?? []) {
    const protocol = normalizeMessageContent(message.message)?.protocolMessage;
    if (message.key?.id && protocol?.type === REVOKE && protocol.key?.id) revoked.set(where(message.key), protocol.key);
  }
  if (revoked.size === 0) return 0;
  let refiled = 0;
  for (const message of set.messages ?? []) {
    if (message.message || message.messageStubType !== REVOKE_STUB || !message.key) continue;
    const target = revoked.get(where(message.key));
    if (!target?.id || target.id === message.key.id) continue;
    // The buffer matched the target by chat, id and fromMe, so those are the target's. Its author is
    // the revoker's own (participant as it is) unless a group admin revoked another's message: then
    // the revoke's key names the author.
    const adminRevoke = !!message.key.participant && target.fromMe !== true && !!target.participant;
    message.key = { ...message.key, id: target.id, ...(adminRevoke ? { participant: target.participant } : {}) };
    refiled += 1;
  }
  return refiled;
}
