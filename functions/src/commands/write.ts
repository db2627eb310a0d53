/**
 * Writes command documents (`accounts/{accountId}/commands/{commandId}`, DESIGN §3) for the socket
 * host to execute. Every payload is validated against the shared command schema first: a payload
 * the host would refuse is a bug here and must fail loudly, never reach Firestore.
 *
 * Idempotency: the document is created in a transaction that first reads it, so of two requests
 * with the same id exactly one writes. The other (and any later replay) reads the stored command
 * and either returns it — same request — or fails with `already_exists` when the same idempotency
 * key came with a different request, which is a client bug that must not be papered over.
 *
 * The same transaction reads the account (the command records its `pairingGeneration` and gets
 * its expiry, shared/src/commands.ts) and runs the caller's admission checks (rate limits), so a
 * command is written exactly when they passed, and a replay never counts against them.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  AppError,
  type CommandDoc,
  type CommandPayload,
  type CommandType,
  commandLifetime,
  type EpochMs,
  parseCommandPayload,
  paths,
} from '@wasync/shared';
import type { DocumentSnapshot, Firestore, Transaction } from 'firebase-admin/firestore';
import { documents } from '../documents.js';
import { isAlreadyExists } from '../firebase.js';

export interface CommandWrite<T extends CommandType> {
  accountId: string;
  commandId: string;
  type: T;
  /** The payload, or how to build it: only called when no command with this id exists yet. */
  payload: CommandPayload<T> | (() => Promise<CommandPayload<T>>);
  createdBy: string;
  /** Whether a stored command's payload answers the same request (default: an equal payload). */
  sameRequest?: (stored: Record<string, unknown>) => boolean;
  /**
   * Checks made in the transaction that creates the command, once no command with this id exists
   * (rate limits): reads first, then may add writes to `tx`; throws to refuse.
   */
  admit?: (tx: Transaction, now: EpochMs) => Promise<void>;
}

export interface CommandWritten {
  commandId: string;
  /** True when the command already existed (a replay); nothing was written. */
  replayed: boolean;
}

export async function writeCommand<T extends CommandType>(
  db: Firestore,
  write: CommandWrite<T>,
): Promise<CommandWritten> {
  const ref = db.doc(paths.command(write.accountId, write.commandId));
  // Replays are answered from the stored command before anything else is read.
  const existing = await ref.get();
  if (existing.exists) return replay(existing, write, write.sameRequest);

  const payload = validPayload(write.type, typeof write.payload === 'function' ? await write.payload() : write.payload);
  const same = write.sameRequest ?? ((stored: Record<string, unknown>) => isDeepStrictEqual(stored, payload));
  const account = db.doc(paths.account(write.accountId));
  try {
    return await db.runTransaction(async (tx) => {
      const [stored, accountSnapshot] = await tx.getAll(ref, account);
      // Lost a race with a request carrying the same id: answer like a replay.
      if (stored!.exists) return replay(stored!, write, same);
      if (!accountSnapshot!.exists) throw new AppError('not_found', `account ${write.accountId} does not exist`);
      const now = Date.now();
      await write.admit?.(tx, now);
      const generation: unknown = accountSnapshot!.get('pairingGeneration');
      const command: CommandDoc = {
        type: write.type,
        state: 'pending',
        payload,
        createdAt: now,
        createdBy: write.createdBy,
        updatedAt: now,
        ...commandLifetime(write.type, now, typeof generation === 'number' ? generation : 0),
      };
      tx.create(ref, documents.command.toFirestore(command));
      return { commandId: write.commandId, replayed: false };
    });
  } catch (err) {
    // A backend without isolated transactions may still let a racer create it first.
    if (isAlreadyExists(err)) return replay(await ref.get(), write, same);
    throw err;
  }
}

/** The payload as stored: schema-checked, with optional fields left undefined dropped. */
function validPayload(type: CommandType, payload: unknown): Record<string, unknown> {
  const parsed = parseCommandPayload(type, payload);
  if (!parsed.ok) {
    throw new AppError('internal', `refusing to write an invalid ${type} command`, undefined, { cause: parsed.error });
  }
  return JSON.parse(JSON.stringify(parsed.payload)) as Record<string, unknown>;
}

function replay(
  stored: DocumentSnapshot,
  write: CommandWrite<CommandType>,
  sameRequest: ((payload: Record<string, unknown>) => boolean) | undefined,
): CommandWritten {
  const payload = stored.get('payload') as Record<string, unknown> | undefined;
  const same =
    payload !== undefined &&
    (sameRequest ? sameRequest(payload) : typeof write.payload !== 'function' && sameJson(payload, write.payload));
  if (stored.get('type') !== write.type || !same) {
    throw new AppError(
      'already_exists',
      'this idempotency key was already used for a different request; use a new key for a new request',
      { commandId: write.commandId },
    );
  }
  return { commandId: write.commandId, replayed: true };
}

function sameJson(stored: Record<string, unknown>, payload: unknown): boolean {
  return isDeepStrictEqual(stored, JSON.parse(JSON.stringify(payload)));
}
