/**
 * Packing operations into commits that Firestore accepts (I6): at most `maxWrites` writes (a
 * re-key is a delete plus a write, kept in one commit so the move is atomic) and `maxBytes` of
 * documents per commit, in the order given.
 */
import { AppError } from '../errors.ts';
import { documentNameSize, documentSize } from './doc-size.ts';
import type { Commit, WriteOp } from './types.ts';

export const MAX_WRITES_PER_COMMIT = 500;
export const MAX_BYTES_PER_COMMIT = 9 * 1024 * 1024;

/** Writes and estimated bytes of one operation. */
export function opCost(op: WriteOp): { writes: number; bytes: number } {
  switch (op.type) {
    case 'delete':
      return { writes: 1, bytes: documentNameSize(op.path) };
    case 'rekey':
      return { writes: 2, bytes: documentNameSize(op.from) + documentSize(op.to, op.data) };
    default:
      return { writes: 1, bytes: documentSize(op.path, op.data) };
  }
}

export function chunkOps(ops: readonly WriteOp[], maxWrites: number, maxBytes: number): Commit[] {
  const commits: Commit[] = [];
  let current: Commit = { ops: [], writes: 0, bytes: 0 };
  for (const op of ops) {
    const cost = opCost(op);
    if (cost.writes > maxWrites || cost.bytes > maxBytes) {
      const where = op.type === 'rekey' ? op.to : op.path;
      throw new AppError('invalid_argument', `A single write to ${where} exceeds the commit limits`, {
        path: where,
        bytes: cost.bytes,
      });
    }
    if (current.writes + cost.writes > maxWrites || current.bytes + cost.bytes > maxBytes) {
      commits.push(current);
      current = { ops: [], writes: 0, bytes: 0 };
    }
    current.ops.push(op);
    current.writes += cost.writes;
    current.bytes += cost.bytes;
  }
  if (current.ops.length > 0) commits.push(current);
  return commits;
}
