/**
 * Every document the sync pipeline stores for an account, read back from Firestore in one
 * canonical text (paths sorted, keys sorted, Timestamps as epoch ms, bytes as base64) and as a
 * hash: what the "identical Firestore state" checks compare.
 */
import { createHash } from 'node:crypto';
import { type InMemoryStore, paths } from '@wasync/shared';
import { type Firestore, Timestamp } from 'firebase-admin/firestore';
import { documents, kindOfPath } from '../../src/pipeline/store/documents.ts';

/** The collections under `accounts/{id}` (any depth) the pipeline writes. */
export const ACCOUNT_COLLECTIONS = ['threads', 'messages', 'pendingUpdates', 'lidPnPairs', 'names'] as const;

/** A stored value in a comparable form: sorted keys, Timestamps as epoch ms, bytes as base64. */
export function canonical(value: unknown): unknown {
  if (value instanceof Timestamp) return value.toMillis();
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Path → stored data (canonical form) of every pipeline document of `accountId`. */
export async function accountDocs(db: Firestore, accountId: string): Promise<Map<string, unknown>> {
  const prefix = `${paths.account(accountId)}/`;
  const docs = new Map<string, unknown>();
  for (const collection of ACCOUNT_COLLECTIONS) {
    const snapshots = await db.collectionGroup(collection).get();
    for (const snapshot of snapshots.docs) {
      if (snapshot.ref.path.startsWith(prefix)) docs.set(snapshot.ref.path, canonical(snapshot.data()));
    }
  }
  const contents = await db.collection(paths.messageContents(accountId)).get();
  for (const snapshot of contents.docs) {
    const { storedAt: _, ...rest } = snapshot.data();
    docs.set(snapshot.ref.path, canonical(rest));
  }
  return docs;
}

/** `accountDocs` as one text, with paths made relative to the account (so two accounts compare). */
export async function accountText(db: Firestore, accountId: string): Promise<string> {
  const docs = await accountDocs(db, accountId);
  const account = paths.account(accountId);
  const contents = paths.messageContents(accountId);
  return [...docs]
    .map(([path, data]) => [path.replace(account, '~').replace(contents, '~contents'), data] as const)
    .map(([path, data]) => [path, JSON.stringify(data).replaceAll(accountId, '~')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, data]) => `${path} ${data}`)
    .join('\n');
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The planner's in-memory model as `accountDocs` reads Firestore (what the writer must leave there). */
export function modelDocs(model: InMemoryStore): Map<string, unknown> {
  return new Map(
    [...model.docs].map(([path, doc]) => [path, canonical(documents[kindOfPath(path)].toFirestore(doc as never))]),
  );
}
