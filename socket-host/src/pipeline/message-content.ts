/**
 * Raw message content for Baileys' `getMessage` (retry receipts re-encrypt it for a recipient
 * device that failed to decrypt; event responses are decrypted with it). Without it recipients see
 * "waiting for this message" (baileys-v7-brief.md §6).
 *
 *   messageContent/{accountId}/contents/{contentId}   { key, message: bytes, storedAt }  (server only)
 *
 * `contentId` comes from the key alone — `messageDocId(sender, fromMe, id)` with the key's own
 * sender JID — because `getMessage` gets a bare key and must not depend on thread resolution.
 * When a key carries the other identity of its sender (`participantAlt`/`remoteJidAlt`, LID ↔ PN)
 * both ids are tried, so content stored under either is found.
 *
 * The sync pipeline calls `put` for every message it stores (history, realtime, sends); the host
 * only reads.
 */

import { type MessageContentDoc, messageDocId, paths } from '@wasync/shared';
import { jidNormalizedUser, proto, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import type { Firestore } from 'firebase-admin/firestore';

export interface MessageContentStore {
  /** Stores the content of each message that has one (idempotent: same key, same document). */
  put(accountId: string, messages: readonly WAMessage[]): Promise<void>;
  /** The content stored for `key`, or undefined (Baileys then answers "message not available"). */
  get(accountId: string, key: WAMessageKey): Promise<proto.IMessage | undefined>;
}

/** The content ids under which `key`'s message may be stored: its own sender first, then the alt. */
export function messageContentIds(key: WAMessageKey): string[] {
  if (!key.id) return [];
  if (key.fromMe) return [messageDocId(null, true, key.id)];
  const senders = [key.participant || key.remoteJid, key.participantAlt || key.remoteJidAlt]
    .map((jid) => (jid ? jidNormalizedUser(jid) : ''))
    .filter((jid, i, all) => jid !== '' && all.indexOf(jid) === i);
  return senders.map((sender) => messageDocId(sender, false, key.id!));
}

/** Firestore's batch limit, kept under for one `put`. */
const BATCH = 400;

export class FirestoreMessageContentStore implements MessageContentStore {
  constructor(private readonly db: Firestore) {}

  async put(accountId: string, messages: readonly WAMessage[]): Promise<void> {
    const writes = messages.flatMap((m) => {
      const [id] = messageContentIds(m.key);
      if (!id || !m.message) return [];
      const doc: MessageContentDoc = {
        key: keyFields(m.key),
        message: proto.Message.encode(m.message).finish(),
        storedAt: Date.now(),
      };
      return [{ id, doc }];
    });
    for (let i = 0; i < writes.length; i += BATCH) {
      const batch = this.db.batch();
      for (const { id, doc } of writes.slice(i, i + BATCH)) {
        batch.set(this.db.doc(paths.messageContent(accountId, id)), {
          ...doc,
          message: Buffer.from(doc.message),
          storedAt: new Date(doc.storedAt),
        });
      }
      await batch.commit();
    }
  }

  async get(accountId: string, key: WAMessageKey): Promise<proto.IMessage | undefined> {
    const ids = messageContentIds(key);
    if (ids.length === 0) return undefined;
    const snaps = await this.db.getAll(...ids.map((id) => this.db.doc(paths.messageContent(accountId, id))));
    const found = snaps.find((s) => s.exists);
    const bytes = found?.get('message') as Buffer | undefined;
    return bytes ? proto.Message.decode(bytes) : undefined;
  }
}

function keyFields(key: WAMessageKey): MessageContentDoc['key'] {
  const out: MessageContentDoc['key'] = { remoteJid: key.remoteJid ?? '', fromMe: !!key.fromMe, id: key.id ?? '' };
  if (key.participant) out.participant = key.participant;
  return out;
}
