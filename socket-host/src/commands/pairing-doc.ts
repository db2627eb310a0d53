/**
 * `accounts/{id}/private/pairing`: the QR and the pairing code, in a document only the account's
 * admins (rules) and admins and operators (API) read — whoever has them can link a phone. The
 * connection writer keeps the QR there while the account shows one and deletes the document when
 * the account leaves the pairing states; the executor adds the code it got for a phone number.
 */
import { paths } from '@wasync/shared';
import { type Firestore, Timestamp, type Transaction } from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';

/** States in which pairing secrets may stand; any other state deletes them. */
const PAIRING_STATES = new Set(['qr', 'connecting']);

/** Writes (merge) or deletes the pairing document for a connection write in `tx`. */
export function pairingWrite(
  db: Firestore,
  tx: Transaction,
  accountId: string,
  state: string,
  qr: { qr: string; qrExpiresAt?: number | undefined } | undefined,
): void {
  const ref = db.doc(paths.pairing(accountId));
  if (!PAIRING_STATES.has(state)) {
    tx.delete(ref);
    return;
  }
  if (!qr) return;
  tx.set(
    ref,
    {
      qr: qr.qr,
      ...(qr.qrExpiresAt ? { qrExpiresAt: Timestamp.fromMillis(qr.qrExpiresAt) } : {}),
      updatedAt: Timestamp.now(),
    },
    { merge: true },
  );
}

/** Publishes the code to type on the phone, next to the QR (fenced). */
export function writePairingCode(db: Firestore, accountId: string, fence: Fence, pairingCode: string): Promise<void> {
  const ref = db.doc(paths.pairing(accountId));
  return fence.run((tx) => {
    tx.set(ref, { pairingCode, updatedAt: Timestamp.now() }, { merge: true });
  });
}
