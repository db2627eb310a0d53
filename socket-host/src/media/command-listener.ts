/**
 * A minimal runner of `fetch_media` commands for the accounts this host owns, until the command
 * executor (issue 15) takes them: ONE listener per host on pending `fetch_media` commands of every
 * account (a collection-group query; index in firestore.indexes.json), acting on those of accounts
 * open here, plus a one-time query of an account's pending ones when it is opened (commands
 * written while another host held it). Each is claimed in a fenced transaction (`pending` →
 * `running`, only while runnable: same pairing generation, not expired), `fetchNow` runs it, and
 * `done` (with the media state) or `failed` is written. The executor can call
 * `MediaService.fetchMediaNow` the same way and drop this file.
 */
import { COLLECTIONS, commandRunnable, type FetchMediaResult, parseCommandPayload, paths } from '@wasync/shared';
import type { DocumentReference, Firestore, Timestamp } from 'firebase-admin/firestore';
import { Timestamp as Time } from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import type { Logger } from '../log.ts';
import type { AccountMedia } from './fetcher.ts';

/** An account open on this host: its fence and its media. */
export interface OpenMediaAccount {
  fence: Fence;
  media: Pick<AccountMedia, 'fetchNow'>;
}

/** The host's one listener; `open(accountId)` says whether and how this host runs the account. */
export function listenToFetchMediaCommands(
  db: Firestore,
  open: (accountId: string) => OpenMediaAccount | undefined,
  log: Logger,
): () => void {
  return db
    .collectionGroup(COLLECTIONS.commands)
    .where('type', '==', 'fetch_media')
    .where('state', '==', 'pending')
    .onSnapshot(
      (snapshot) => {
        for (const change of snapshot.docChanges()) {
          if (change.type !== 'added') continue;
          const accountId = change.doc.ref.parent.parent?.id;
          const account = accountId ? open(accountId) : undefined;
          if (accountId && account) runFetchMedia(db, accountId, account, change.doc.ref, log);
        }
      },
      (err) => log.warn({ err }, 'fetch_media command listener failed'),
    );
}

/** Runs the account's pending `fetch_media` commands once (when this host starts owning it). */
export async function runPendingFetchMedia(
  db: Firestore,
  accountId: string,
  account: OpenMediaAccount,
  log: Logger,
): Promise<void> {
  const pending = await db
    .collection(paths.commands(accountId))
    .where('type', '==', 'fetch_media')
    .where('state', '==', 'pending')
    .get();
  for (const doc of pending.docs) runFetchMedia(db, accountId, account, doc.ref, log);
}

function runFetchMedia(
  db: Firestore,
  accountId: string,
  account: OpenMediaAccount,
  ref: DocumentReference,
  log: Logger,
): void {
  void run(db, accountId, account, ref).catch((err) => {
    if (!isLeaseLost(err)) log.warn({ err, accountId, commandId: ref.id }, 'fetch_media command failed');
  });
}

async function run(db: Firestore, accountId: string, { fence, media }: OpenMediaAccount, ref: DocumentReference) {
  const claimed = await fence.run(async (tx) => {
    const [command, account] = await tx.getAll(ref, db.doc(paths.account(accountId)));
    if (!command?.exists || command.get('state') !== 'pending') return undefined;
    const now = Date.now();
    const runnable = commandRunnable(
      {
        expiresAt: (command.get('expiresAt') as Timestamp).toMillis(),
        pairingGeneration: command.get('pairingGeneration'),
      },
      account?.get('pairingGeneration') as number | undefined,
      now,
    );
    const payload = parseCommandPayload('fetch_media', command.get('payload'));
    if (!runnable.ok || !payload.ok) {
      const error = runnable.ok ? { code: 'invalid_argument', message: 'invalid fetch_media payload' } : runnable.error;
      tx.update(ref, { state: 'failed', error, updatedAt: Time.fromMillis(now) });
      return undefined;
    }
    tx.update(ref, { state: 'running', updatedAt: Time.fromMillis(now) });
    return payload.payload;
  });
  if (!claimed) return;
  const state = await media.fetchNow({ threadId: claimed.threadId, messageDocId: claimed.messageId });
  await fence.run(async (tx) => {
    const now = Time.now();
    if (state === undefined) {
      const error = { code: 'not_found', message: 'the message has no media (or is gone)' };
      tx.update(ref, { state: 'failed', error, updatedAt: now });
    } else {
      const result: FetchMediaResult = { state };
      tx.update(ref, { state: 'done', result, updatedAt: now });
    }
  });
}
