/**
 * Commands other than send: backfill (agents), pairing and logout (admins). Each writes one
 * command document for the socket host and returns its id at once. With a `requestId` the
 * command id is derived from it, so a retried request finds the command it already wrote.
 */
import type { BackfillPayload, PairPayload } from '@wasync/shared';
import type {
  CommandAccepted,
  logoutAccountInput,
  requestBackfillInput,
  startPairingInput,
} from '@wasync/shared/client';
import type { Firestore } from 'firebase-admin/firestore';
import type { z } from 'zod';
import { authorize, type Caller } from '../access/authorize.js';
import { config } from '../config.js';
import { commandIdFor } from './ids.js';
import { writeCommand } from './write.js';

export async function requestBackfill(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof requestBackfillInput>,
): Promise<CommandAccepted> {
  const { accountId, requestId } = input;
  await authorize(db, caller, accountId, 'agent');
  const payload: BackfillPayload = {
    reason: 'manual',
    threads: input.threads ?? config().backfillThreads,
    count: input.count ?? config().backfillCount,
    threadIds: input.threadIds,
  };
  const commandId = commandIdFor('backfill', accountId, requestId);
  await writeCommand(db, { accountId, commandId, type: 'backfill', payload, createdBy: caller.uid });
  return { commandId };
}

export async function startPairing(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof startPairingInput>,
): Promise<CommandAccepted> {
  const { accountId, requestId } = input;
  await authorize(db, caller, accountId, 'admin');
  const payload: PairPayload =
    input.method === 'code' ? { method: 'code', phoneNumber: input.phoneNumber } : { method: 'qr' };
  const commandId = commandIdFor('pair', accountId, requestId);
  await writeCommand(db, { accountId, commandId, type: 'pair', payload, createdBy: caller.uid });
  return { commandId };
}

export async function logoutAccount(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof logoutAccountInput>,
): Promise<CommandAccepted> {
  const { accountId, requestId } = input;
  await authorize(db, caller, accountId, 'admin');
  const commandId = commandIdFor('logout', accountId, requestId);
  await writeCommand(db, { accountId, commandId, type: 'logout', payload: {}, createdBy: caller.uid });
  return { commandId };
}
