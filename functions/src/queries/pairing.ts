/**
 * An account's pairing secrets: the QR code to scan (`qr`, valid until `qrExpiresAt`) and the code
 * for linking by phone number (`pairingCode`). Whoever reads them can link a phone to the account,
 * so only admins and operators get them (DESIGN §3, I7).
 *
 * Today the socket host writes them into `accounts/{id}.connection`; the data contract moves them
 * to an admin-only document, `accounts/{id}/private/pairing`. The functions read them only through
 * `readPairings`, so that move changes this file alone. (The account listings give the account
 * document's own copy to admins and operators only: `visibleAccount` in shared/src/client/visible.ts.)
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
  const snapshots = await db.getAll(...accountIds.map((id) => db.doc(paths.account(id))));
  for (const snapshot of snapshots) {
    const pairing = pairingOf(snapshot.get('connection'));
    if (pairing) found.set(snapshot.id, pairing);
  }
  return found;
}

/** The pairing fields of a stored `connection` map, if it has a QR or a pairing code. */
function pairingOf(connection: unknown): Pairing | undefined {
  if (typeof connection !== 'object' || connection === null) return undefined;
  const { qr, qrExpiresAt, pairingCode, updatedAt } = connection as Record<string, unknown>;
  const pairing: Pairing = {
    ...(typeof qr === 'string' && qr !== '' ? { qr } : {}),
    ...(typeof pairingCode === 'string' && pairingCode !== '' ? { pairingCode } : {}),
  };
  if (pairing.qr === undefined && pairing.pairingCode === undefined) return undefined;
  if (qrExpiresAt instanceof Timestamp && pairing.qr !== undefined) pairing.qrExpiresAt = qrExpiresAt.toMillis();
  if (updatedAt instanceof Timestamp) pairing.updatedAt = updatedAt.toMillis();
  return pairing;
}
