/**
 * Writes command documents (`accounts/{accountId}/commands/{commandId}`, DESIGN §3) for the socket
 * host to execute. Every payload is validated against the shared command schema first: a payload
 * the host would refuse is a bug here and must fail loudly, never reach Firestore.
 *
 * Idempotency: the document is written with `create()`, so of two requests with the same id
 * exactly one writes. The other (and any later replay) reads the stored command and either
 * returns it — same request — or fails with `already_exists` when the same idempotency key came
 * with a different request, which is a client bug that must not be papered over.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  AppError,
  type CommandDoc,
  type CommandPayload,
  type CommandType,
  parseCommandPayload,
  paths,
} from '@wasync/shared';
import type { DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
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
  const now = Date.now();
  const command: CommandDoc = {
    type: write.type,
    state: 'pending',
    payload,
    createdAt: now,
    createdBy: write.createdBy,
    updatedAt: now,
  };
  try {
    await ref.create(documents.command.toFirestore(command));
  } catch (err) {
    // Lost a race with a request carrying the same id: answer like a replay.
    if (isAlreadyExists(err)) {
      return replay(await ref.get(), write, write.sameRequest ?? ((stored) => isDeepStrictEqual(stored, payload)));
    }
    throw err;
  }
  return { commandId: write.commandId, replayed: false };
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
