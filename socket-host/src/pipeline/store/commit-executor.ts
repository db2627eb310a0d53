/**
 * Executes one planned commit (`Commit` of `WriteOp`s) as its contract says, in one fenced
 * transaction, every write with a precondition:
 *
 * | op       | Firestore write                                                                           |
 * | -------- | ----------------------------------------------------------------------------------------- |
 * | `create` | `create()`: fails (ALREADY_EXISTS) if the document appeared since the plan read "absent"  |
 * | `merge`  | `update()` of every field with `lastUpdateTime` = the read's update time, and            |
 * |          | `FieldValue.delete()` for fields the new document no longer has: the stored document     |
 * |          | becomes exactly `data` (a whole-document write; JID-keyed maps are replaced whole, never  |
 * |          | addressed by field path)                                                                 |
 * | `delete` | `delete()` with `lastUpdateTime`                                                          |
 * | `rekey`  | `delete(from)` and `create(to)` / `update(to)`, both with their preconditions, atomically |
 *
 * A write planned on a stale read therefore fails the whole commit (FAILED_PRECONDITION,
 * ALREADY_EXISTS, NOT_FOUND) instead of overwriting a newer document; the writer drops what it
 * cached, reads again and re-plans.
 *
 * Fencing: the transaction first reads the account's lease (`Fence.run`) and writes only if this
 * host still holds it under its epoch — one read per commit. Preconditions only guard the
 * document written, so they cannot check a lease without writing it on every commit (which would
 * serialise all commits on one document, 1 write/s, and fight the renewals); a transaction read
 * can. Firestore serialises the transaction against the new owner's takeover write, so a host
 * whose lease moved lands nothing. The commit's writes are staged while that read is in flight
 * (`stageWhileChecking`): building 500 writes then overlaps the round trip — or the commit ahead
 * of it, when another transaction holds the lease document — instead of following it.
 *
 * The update times of the written documents (needed as the next preconditions) come from the
 * commit response. firebase-admin does not return it from a transaction, so `captureCommit`
 * wraps the transaction's internal write batch to keep it; `commit-executor.test.ts` fails if a
 * firebase-admin upgrade changes those internals.
 */
import type { Commit, WriteOp, WrittenDoc } from '@wasync/shared';
import { type DocumentData, FieldValue, type Firestore, Timestamp, type Transaction } from 'firebase-admin/firestore';
import type { Fence } from '../../accounts/fence.ts';
import { documents } from './documents.ts';
import type { VersionedDoc, Versions } from './versioned.ts';

/**
 * Writes a caller adds to a commit's transaction (after the commit's own): they land all or nothing
 * with it, under the same fence. They must be writes only (the transaction has done its reads).
 */
export type AlongsideWrite = (tx: Transaction) => void;

/** A commit's write failed its precondition: the plan was made on stale reads. */
export class StaleWriteError extends Error {
  override readonly name = 'StaleWriteError';
  constructor(
    readonly paths: readonly string[],
    cause: unknown,
  ) {
    super(`a planned write met a newer document (${(cause as Error)?.message ?? cause})`, { cause });
  }
}

/** What the stored documents are after a commit, by path (null version: deleted). */
export type CommitOutcome = Map<string, VersionedDoc>;

const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

export function isStaleWrite(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === ALREADY_EXISTS || code === NOT_FOUND || code === FAILED_PRECONDITION;
}

/** Every path a commit writes. */
export function commitPaths(commit: Commit): string[] {
  return commit.ops.flatMap((op) => (op.type === 'rekey' ? [op.from, op.to] : [op.path]));
}

function stored(kind: WriteOp['kind'], data: WrittenDoc): DocumentData {
  return documents[kind].toFirestore(data as never) as DocumentData;
}

interface CommitResponseLike {
  writeResults?: Array<{ updateTime?: { seconds?: unknown; nanos?: unknown } | null }>;
  commitTime?: { seconds?: unknown; nanos?: unknown } | null;
}

function toTimestamp(time: { seconds?: unknown; nanos?: unknown } | null | undefined): Timestamp | undefined {
  if (!time || time.seconds === undefined) return undefined;
  return new Timestamp(Number(time.seconds), Number(time.nanos ?? 0));
}

/**
 * Keeps the commit response of `tx` (firebase-admin internals: `Transaction._writeBatch._commit`).
 * Returns a getter; undefined when the internals are not there (the writer then re-reads what it
 * wrote before writing it again).
 */
function captureCommit(tx: Transaction): () => CommitResponseLike | undefined {
  const batch = (tx as unknown as { _writeBatch?: { _commit?: (...args: unknown[]) => Promise<unknown> } })._writeBatch;
  if (!batch || typeof batch._commit !== 'function') return () => undefined;
  const holder = batch as { __wasyncResponse?: CommitResponseLike; __wasyncWrapped?: boolean };
  if (!holder.__wasyncWrapped) {
    const original = batch._commit;
    batch._commit = async function (this: unknown, ...args: unknown[]) {
      const response = (await original.apply(this, args)) as CommitResponseLike;
      holder.__wasyncResponse = response;
      return response;
    };
    holder.__wasyncWrapped = true;
  }
  holder.__wasyncResponse = undefined;
  return () => holder.__wasyncResponse;
}

/** Fields of the stored form of `before` that the stored form of `after` lacks: deleted by the update. */
function removedFields(kind: WriteOp['kind'], before: WrittenDoc | undefined, after: DocumentData): string[] {
  if (!before) return [];
  return Object.keys(stored(kind, before)).filter((field) => !Object.hasOwn(after, field));
}

export class CommitExecutor {
  constructor(private readonly db: Firestore) {}

  /**
   * Run `commit` under `fence`. `versions` holds what the plan read of every document it
   * overwrites or deletes. Resolves with the stored state after the commit; throws
   * `StaleWriteError` when a precondition failed (nothing was written), `LeaseLostError` when the
   * lease moved, or the Firestore error (transient ones are the writer's to retry).
   */
  async run(commit: Commit, versions: Versions, fence: Fence, alongside?: AlongsideWrite): Promise<CommitOutcome> {
    let response: (() => CommitResponseLike | undefined) | undefined;
    const written: Array<{ path: string; data: WrittenDoc | undefined }> = [];
    try {
      await fence.run(
        (tx) => {
          response = captureCommit(tx);
          written.length = 0;
          for (const op of commit.ops) this.#apply(tx, op, versions, written);
          // After the commit's own writes: the response's write results keep their indexes.
          alongside?.(tx);
          // Only staged writes: built while the lease is read (behind another commit holding it, often).
        },
        [],
        { stageWhileChecking: true },
      );
    } catch (err) {
      if (isStaleWrite(err)) throw new StaleWriteError(commitPaths(commit), err);
      throw err;
    }
    const result = response?.();
    const outcome: CommitOutcome = new Map();
    written.forEach(({ path, data }, i) => {
      const time = toTimestamp(result?.writeResults?.[i]?.updateTime) ?? toTimestamp(result?.commitTime);
      if (data === undefined) outcome.set(path, { data: undefined, version: null });
      // Without a known update time the next write must read the document first: leave it out.
      else if (time) outcome.set(path, { data, version: time });
    });
    return outcome;
  }

  #apply(
    tx: Transaction,
    op: WriteOp,
    versions: Versions,
    written: Array<{ path: string; data: WrittenDoc | undefined }>,
  ): void {
    switch (op.type) {
      case 'create':
        tx.create(this.db.doc(op.path), stored(op.kind, op.data));
        written.push({ path: op.path, data: op.data });
        return;
      case 'merge':
        this.#update(tx, op.kind, op.path, op.data, versions.get(op.path));
        written.push({ path: op.path, data: op.data });
        return;
      case 'delete':
        this.#delete(tx, op.path, versions.get(op.path));
        written.push({ path: op.path, data: undefined });
        return;
      case 'rekey': {
        this.#delete(tx, op.from, versions.get(op.from));
        written.push({ path: op.from, data: undefined });
        if (op.toExists) this.#update(tx, op.kind, op.to, op.data, versions.get(op.to));
        else tx.create(this.db.doc(op.to), stored(op.kind, op.data));
        written.push({ path: op.to, data: op.data });
      }
    }
  }

  #update(
    tx: Transaction,
    kind: WriteOp['kind'],
    path: string,
    data: WrittenDoc,
    read: VersionedDoc | undefined,
  ): void {
    const fields = stored(kind, data);
    const update: DocumentData = { ...fields };
    for (const field of removedFields(kind, read?.data, fields)) update[field] = FieldValue.delete();
    const ref = this.db.doc(path);
    if (read?.version) tx.update(ref, update, { lastUpdateTime: read.version });
    // No version (the plan did not read it): the planner said it exists; replace it whole.
    else tx.set(ref, fields);
  }

  #delete(tx: Transaction, path: string, read: VersionedDoc | undefined): void {
    const ref = this.db.doc(path);
    if (read?.version) tx.delete(ref, { lastUpdateTime: read.version });
    else tx.delete(ref);
  }
}
