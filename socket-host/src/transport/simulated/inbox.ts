/**
 * Letting someone outside the host make a simulated contact write (demos, end-to-end tests): a
 * document created in `simulated/{accountId}/inbox/{any}` makes one contact of the account's
 * simulated phone send a message (`SimulatedWhatsApp.receive`), then the document is deleted. Only
 * the host whose simulator has the account's socket open acts on it; a document added while the
 * account is not open there is left alone.
 */
import { createHash } from 'node:crypto';
import { assertMediaContent } from '@whiskeysockets/baileys';
import type { Firestore } from 'firebase-admin/firestore';
import type { Logger } from '../../log.ts';
import type { MediaExpiry, SimulatedMediaType } from './media.ts';
import type { SimulatedWhatsApp } from './simulator.ts';

export const SIMULATED_INBOX = 'inbox';
export const SIMULATED_ROOT = 'simulated';

/** `simulated/{accountId}/inbox` */
export function simulatedInboxPath(accountId: string): string {
  return `${SIMULATED_ROOT}/${accountId}/${SIMULATED_INBOX}`;
}

export const SIMULATED_OUTBOX = 'outbox';

/**
 * An inbox document with `media` makes the contact send a file instead of a text: `size` bytes
 * (deterministic from the document id), of `type`, whose link expires `once` or `forever` if asked,
 * live or — `history: true` — as an old message in a history payload. What was sent is written to
 * `simulated/{accountId}/outbox/{inboxDocId}`: the message id and the phone's `fileSha256` (hex).
 */
export interface SimulatedInboxMedia {
  type: SimulatedMediaType;
  size?: number;
  expiry?: MediaExpiry;
  history?: boolean;
}

async function deliverMedia(
  db: Firestore,
  simulator: SimulatedWhatsApp,
  accountId: string,
  docId: string,
  media: SimulatedInboxMedia,
): Promise<void> {
  const plaintext = deterministicBytes(media.size ?? 256 * 1024, docId);
  const input = { type: media.type, plaintext, ...(media.expiry && { expiry: media.expiry }) };
  const sent = media.history
    ? await simulator.receiveHistoryMedia(accountId, input)
    : await simulator.receiveMedia(accountId, input);
  const content = assertMediaContent(sent.message);
  await db.doc(`${SIMULATED_ROOT}/${accountId}/${SIMULATED_OUTBOX}/${docId}`).set({
    messageId: sent.key?.id,
    fileSha256: Buffer.from(content.fileSha256!).toString('hex'),
    size: plaintext.length,
  });
}

/** `size` bytes from `seed` (SHA-256 in counter mode): the same file for the same inbox document. */
export function deterministicBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, offset = 0; offset < size; i++, offset += 32) {
    createHash('sha256').update(`${seed}\0${i}`).digest().copy(out, offset);
  }
  return out;
}

/** Starts listening; returns the function that stops it. */
export function listenToSimulatedInbox(db: Firestore, simulator: SimulatedWhatsApp, log: Logger): () => void {
  return db.collectionGroup(SIMULATED_INBOX).onSnapshot(
    (snapshot) => {
      for (const change of snapshot.docChanges()) {
        if (change.type !== 'added') continue;
        const account = change.doc.ref.parent.parent;
        if (!account || account.parent.id !== SIMULATED_ROOT) continue;
        if (!simulator.socket(account.id)?.isOpen) continue;
        const media = change.doc.get('media') as SimulatedInboxMedia | undefined;
        const delivered = media
          ? deliverMedia(db, simulator, account.id, change.doc.id, media)
          : simulator.receive(account.id);
        void delivered
          .then(() => change.doc.ref.delete())
          .catch((err) => log.warn({ err, accountId: account.id }, 'simulated inbox message not delivered'));
      }
    },
    (err) => log.warn({ err }, 'simulated inbox listener failed'),
  );
}
