/**
 * An account's pairing secrets: the QR code to scan (`qr`, valid until `qrExpiresAt`) and the code
 * for linking by phone number (`pairingCode`). Whoever reads them can link a phone to the account,
 * so only admins and operators get them (DESIGN §3, I7).
 *
 * The socket host keeps them in the admin-only document `accounts/{id}/private/pairing` (never on
 * the account document every member reads) while the account pairs, and deletes it once the
 * account is linked or parked. The functions read them only through `readPairings`; the account
 * listings and the dashboard add them for admins and operators (`mayReadPairing`).
 */
import { type EpochMs, paths } from '@wasync/shared';
import { type Firestore, Timestamp } from 'firebase-admin/firestore';
import { type Access, roleAllows } from '../access/authorize.js';

export interface Pairing {
  qr?: string;
  qrExpiresAt?: EpochMs;
  pairingCode?: string;
  /** When the socket host last wrote them. */
  updatedAt?: EpochMs;
}

/** Whether a caller acting with `access` on an account may read its pairing secrets. */
export function mayReadPairing(access: Access): boolean {
  return roleAllows(access, 'admin');
}

/**
 * The pairing secrets of each account that has any, in one batched read. Callers check
 * `mayReadPairing` first: this function authorises nothing.
 */
export async function readPairings(db: Firestore, accountIds: readonly string[]): Promise<Map<string, Pairing>> {
  const found = new Map<string, Pairing>();
  if (accountIds.length === 0) return found;
  const snapshots = await db.getAll(...accountIds.map((id) => db.doc(paths.pairing(id))));
  snapshots.forEach((snapshot, i) => {
    const pairing = pairingOf(snapshot.data());
    if (pairing) found.set(accountIds[i]!, pairing);
  });
  return found;
}

/** The pairing fields of a stored pairing document, if it has a QR or a pairing code. */
function pairingOf(stored: Record<string, unknown> | undefined): Pairing | undefined {
  if (stored === undefined) return undefined;
  const { qr, qrExpiresAt, pairingCode, updatedAt } = stored;
  const pairing: Pairing = {
    ...(typeof qr === 'string' && qr !== '' ? { qr } : {}),
    ...(typeof pairingCode === 'string' && pairingCode !== '' ? { pairingCode } : {}),
  };
  if (pairing.qr === undefined && pairing.pairingCode === undefined) return undefined;
  if (qrExpiresAt instanceof Timestamp && pairing.qr !== undefined) pairing.qrExpiresAt = qrExpiresAt.toMillis();
  if (updatedAt instanceof Timestamp) pairing.updatedAt = updatedAt.toMillis();
  return pairing;
}
