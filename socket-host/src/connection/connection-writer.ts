/**
 * Writes `accounts/{id}.connection` (and `me`, `lastConnectedAt`) in order, fenced by the lease:
 * a host that lost the account cannot overwrite the new owner's state. The whole `connection`
 * map is replaced on each write (an `update` of the field), so fields of an earlier state (a QR)
 * never linger, without relying on `FieldValue.delete()`.
 */
import type { AccountConnection, ConnectionState, FirestoreAccountDoc } from '@wasync/shared';
import { paths } from '@wasync/shared';
import { type Firestore, Timestamp } from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import { pairingWrite } from '../commands/pairing-doc.ts';
import type { Logger } from '../log.ts';
import { SerialWriter } from '../util/serial-writer.ts';
import { sleep } from '../util/sleep.ts';

export interface ConnectionPatch {
  /**
   * The account's connection; `qr` and `qrExpiresAt` go to the admin-only pairing document
   * (`accounts/{id}/private/pairing`), never onto the account document every member reads.
   */
  connection: Omit<AccountConnection, 'updatedAt'> & { state: ConnectionState; qr?: string; qrExpiresAt?: number };
  me?: { id: string; lid?: string; name?: string };
  lastConnectedAt?: number;
}

const NOT_FOUND = 5;

export class ConnectionWriter {
  readonly #writer: SerialWriter<ConnectionPatch>;
  /** Fields of patches not yet written, merged: a later state must not drop an earlier `me`. */
  #pending: ConnectionPatch | undefined;

  constructor(
    db: Firestore,
    readonly accountId: string,
    fence: Fence,
    private readonly log: Logger,
  ) {
    const ref = db.doc(paths.account(accountId));
    this.#writer = new SerialWriter<ConnectionPatch>(
      async (patch) => {
        if (patch === this.#pending) this.#pending = undefined;
        const { qr, qrExpiresAt, ...fields } = patch.connection;
        // The stored shape of the contract (issue 7's converters): times as Timestamps.
        const connection: FirestoreAccountDoc<Timestamp>['connection'] = { ...fields, updatedAt: Timestamp.now() };
        await fence.run((tx) => {
          pairingWrite(db, tx, accountId, fields.state, qr ? { qr, qrExpiresAt } : undefined);
          tx.update(ref, {
            connection,
            ...(patch.me ? { me: patch.me } : {}),
            ...(patch.lastConnectedAt ? { lastConnectedAt: Timestamp.fromMillis(patch.lastConnectedAt) } : {}),
          });
        });
      },
      async (err, attempt) => {
        if (isLeaseLost(err)) return false;
        if ((err as { code?: number }).code === NOT_FOUND) {
          log.info({ accountId }, 'account document gone; connection state not written');
          return false;
        }
        log.warn({ err, accountId, attempt }, 'connection state write failed');
        if (attempt >= 3) return false;
        await sleep(250 * attempt);
        return true;
      },
    );
  }

  write(patch: ConnectionPatch): Promise<void> {
    this.#pending = { ...this.#pending, ...patch };
    this.log.debug({ accountId: this.accountId, state: patch.connection.state }, 'connection state');
    return this.#writer.push(this.#pending);
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }
}
