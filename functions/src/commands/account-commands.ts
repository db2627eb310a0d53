/**
 * Commands other than send: backfill (agents), pairing and logout (admins). Each writes one
 * command document for the socket host and returns its id at once. With a `requestId` the
 * command id is derived from it, so a retried request finds the command it already wrote.
 * Backfills are one at a time per account (limits.ts).
 */
import {
  type BackfillPayload,
  type CommandPayload,
  type CommandType,
  type EpochMs,
  isParkedConnectionState,
  type MemberRole,
  type PairPayload,
  paths,
} from '@wasync/shared';
import type { logoutAccountInput, requestBackfillInput, startPairingInput } from '@wasync/shared/client';
import { type Firestore, Timestamp, type Transaction } from 'firebase-admin/firestore';
import type { z } from 'zod';
import { authorize, type Caller } from '../access/authorize.js';
import { config } from '../config.js';
import { commandIdFor } from './ids.js';
import { admitBackfill } from './limits.js';
import { type CommandWrite, type CommandWritten, writeCommand } from './write.js';

/**
 * The shared steps: the caller needs `need` on the account; the command id comes from the
 * idempotency key when there is one.
 */
async function accountCommand<T extends CommandType>(
  db: Firestore,
  caller: Caller,
  command: {
    accountId: string;
    requestId?: string | undefined;
    need: MemberRole;
    type: T;
    payload: CommandPayload<T>;
    admit?: (commandId: string) => CommandWrite<T>['admit'];
  },
): Promise<CommandWritten> {
  const { accountId, requestId, need, type, payload } = command;
  await authorize(db, caller, accountId, need);
  const commandId = commandIdFor(type, accountId, requestId);
  const admit = command.admit?.(commandId);
  return writeCommand(db, { accountId, commandId, type, payload, createdBy: caller.uid, ...(admit ? { admit } : {}) });
}

export function requestBackfill(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof requestBackfillInput>,
): Promise<CommandWritten> {
  const payload: BackfillPayload = {
    reason: 'manual',
    threads: input.threads ?? config().backfillThreads,
    count: input.count ?? config().backfillCount,
    threadIds: input.threadIds,
  };
  return accountCommand(db, caller, {
    ...input,
    need: 'agent',
    type: 'backfill',
    payload,
    admit: (commandId) => admitBackfill(db, input.accountId, commandId),
  });
}

/**
 * The backfill a reconnect schedules (the `backfill` task queue, tasks/backfill.ts): the same
 * command and admission as a manual one, written by the system. The command id comes from the
 * task id, so a retried task finds the command its first run wrote.
 */
export async function scheduledBackfill(
  db: Firestore,
  task: { accountId: string; taskId: string },
): Promise<CommandWritten> {
  const { accountId, taskId } = task;
  const payload: BackfillPayload = {
    reason: 'reconnect',
    threads: config().backfillThreads,
    count: config().backfillCount,
  };
  const commandId = commandIdFor('backfill', accountId, `task:${taskId}`);
  return writeCommand(db, {
    accountId,
    commandId,
    type: 'backfill',
    payload,
    createdBy: 'system:reconnect',
    admit: admitBackfill(db, accountId, commandId),
  });
}

export function startPairing(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof startPairingInput>,
): Promise<CommandWritten> {
  const payload: PairPayload =
    input.method === 'code' ? { method: 'code', phoneNumber: input.phoneNumber } : { method: 'qr' };
  return accountCommand(db, caller, {
    ...input,
    need: 'admin',
    type: 'pair',
    payload,
    admit: () => unparkForPairing(db, input.accountId),
  });
}

/**
 * A parked account (logged out, closed, in error) is left alone by every socket host: pairing it
 * hands it back (`idle`) in the transaction that writes the pair command, so a host claims it,
 * opens a socket and runs the command.
 */
function unparkForPairing(db: Firestore, accountId: string) {
  return async (tx: Transaction, now: EpochMs): Promise<void> => {
    const account = db.doc(paths.account(accountId));
    const state: unknown = (await tx.get(account)).get('connection.state');
    if (!isParkedConnectionState(state)) return;
    tx.update(account, { connection: { state: 'idle', updatedAt: Timestamp.fromMillis(now) } });
  };
}

export function logoutAccount(
  db: Firestore,
  caller: Caller,
  input: z.output<typeof logoutAccountInput>,
): Promise<CommandWritten> {
  return accountCommand(db, caller, { ...input, need: 'admin', type: 'logout', payload: {} });
}
