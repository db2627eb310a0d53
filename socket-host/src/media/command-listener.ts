/**
 * A minimal runner of `fetch_media` commands for the accounts this host owns, until the command
 * executor (issue 15) takes them: it listens to the account's pending `fetch_media` commands,
 * claims each in a fenced transaction (`pending` → `running`, only while runnable: same pairing
 * generation, not expired), calls `fetchMediaNow` and writes `done` with the media state, or
 * `failed` with a code. The executor can call `AccountMedia.fetchNow` (through
 * `MediaService.fetchMediaNow`) the same way and drop this file.
 */
import { commandRunnable, type FetchMediaResult, parseCommandPayload, paths } from '@wasync/shared';
import { type DocumentReference, type Firestore, Timestamp } from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import type { Logger } from '../log.ts';
import type { AccountMedia } from './fetcher.ts';

export function listenToFetchMediaCommands(
  db: Firestore,
  accountId: string,
  fence: Fence,
  media: Pick<AccountMedia, 'fetchNow'>,
  log: Logger,
): () => void {
  return db
    .collection(paths.commands(accountId))
    .where('type', '==', 'fetch_media')
    .where('state', '==', 'pending')
    .onSnapshot(
      (snapshot) => {
        for (const change of snapshot.docChanges()) {
          if (change.type !== 'added') continue;
          void run(db, accountId, fence, media, change.doc.ref).catch((err) => {
            if (!isLeaseLost(err)) log.warn({ err, commandId: change.doc.id }, 'fetch_media command failed');
          });
        }
      },
      (err) => log.warn({ err }, 'fetch_media command listener failed'),
    );
}

async function run(
  db: Firestore,
  accountId: string,
  fence: Fence,
  media: Pick<AccountMedia, 'fetchNow'>,
  ref: DocumentReference,
): Promise<void> {
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
      tx.update(ref, { state: 'failed', error, updatedAt: Timestamp.fromMillis(now) });
      return undefined;
    }
    tx.update(ref, { state: 'running', updatedAt: Timestamp.fromMillis(now) });
    return payload.payload;
  });
  if (!claimed) return;
  const state = await media.fetchNow({ threadId: claimed.threadId, messageDocId: claimed.messageId });
  await fence.run(async (tx) => {
    const now = Timestamp.now();
    if (state === undefined) {
      const error = { code: 'not_found', message: 'the message has no media (or is gone)' };
      tx.update(ref, { state: 'failed', error, updatedAt: now });
    } else {
      const result: FetchMediaResult = { state };
      tx.update(ref, { state: 'done', result, updatedAt: now });
    }
  });
}
