/**
 * Letting someone outside the host make a simulated contact write (demos, end-to-end tests): a
 * document created in `simulated/{accountId}/inbox/{any}` makes one contact of the account's
 * simulated phone send a message (`SimulatedWhatsApp.receive`), then the document is deleted. Only
 * the host whose simulator has the account's socket open acts on it; a document added while the
 * account is not open there is left alone.
 */
import type { Firestore } from 'firebase-admin/firestore';
import type { Logger } from '../../log.ts';
import type { SimulatedWhatsApp } from './simulator.ts';

export const SIMULATED_INBOX = 'inbox';
export const SIMULATED_ROOT = 'simulated';

/** `simulated/{accountId}/inbox` */
export function simulatedInboxPath(accountId: string): string {
  return `${SIMULATED_ROOT}/${accountId}/${SIMULATED_INBOX}`;
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
        void simulator
          .receive(account.id)
          .then(() => change.doc.ref.delete())
          .catch((err) => log.warn({ err, accountId: account.id }, 'simulated inbox message not delivered'));
      }
    },
    (err) => log.warn({ err }, 'simulated inbox listener failed'),
  );
}
