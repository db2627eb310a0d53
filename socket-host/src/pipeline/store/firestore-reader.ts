/**
 * Answers the write planner's reads (`ReadRequest`) from Firestore, for one account:
 *
 * | request          | Firestore                                                                              |
 * | ---------------- | -------------------------------------------------------------------------------------- |
 * | `thread`         | `accounts/{a}/threads/{t}` (batched `getAll`)                                            |
 * | `message`        | `accounts/{a}/threads/{t}/messages/{m}` (batched `getAll`; see "empty threads" below)    |
 * | `pending`        | `accounts/{a}/pendingUpdates/{id}` (batched `getAll`; none when the id has no pending doc) |
 * | `referencing`    | collection group `messages` where `accountId ==` and `unresolvedJids array-contains-any`,|
 * |                  | and `accounts/{a}/pendingUpdates` where `unresolvedJids array-contains-any` (the JIDs of |
 * |                  | one read round together, 30 per query)                                                    |
 * | `newest`         | `…/threads/{t}/messages` ordered by `timestamp` desc, limited (ties at the edge included) |
 * | `threadMessages` | `…/threads/{t}/messages` (all of them: what a thread merge moves)                         |
 * | `name`           | `accounts/{a}/names/{jid}` (batched `getAll`)                                            |
 *
 * Documents come from the account's cache first; what is read is cached. Every answer also
 * records the document's update time in the plan's `Versions`, which the commit turns into
 * preconditions. Pending-update documents are rare, so the writer keeps the set of their ids and
 * answers "absent" for the others without a read. Every Firestore call goes through `retry`: a
 * read that failed for a reason that passes is made again, as a commit is (the planner's reads
 * are as much a part of storing a batch as its commits).
 *
 * Empty threads: a read round that asks for several uncached messages of one thread first asks
 * whether the thread has any message at all (`limit(1)`, no fields: one read), and answers
 * "absent" for all of them when it has none — on a first import that is almost every thread, and
 * one probe replaces a `getAll` read per message (20,000 of the benchmark's 20,300 reads). The
 * answer is exactly what a `getAll` made at the probe's time would have said, and is used for that
 * round only (recorded per document, in the plan's `Versions` and the cache, as a `getAll`'s
 * "absent" is): a message another writer stores between the probe and the commit fails the
 * commit's `create()` precondition, and the plan is read and made again. What the reader keeps
 * across rounds is only that a thread has messages (it then reads them by id without a probe).
 */
import {
  type MessageDoc,
  type NameDoc,
  nameKey,
  type PendingUpdatesDoc,
  paths,
  pendingKey,
  type ReadRequest,
  type SnapshotStore,
  type StoredMessage,
  type ThreadDoc,
  type WrittenDoc,
} from '@wasync/shared';
import type { DocumentSnapshot, Firestore, QueryDocumentSnapshot } from 'firebase-admin/firestore';
import { documents, kindOfPath } from './documents.ts';
import type { DocCache, VersionedDoc, Versions } from './versioned.ts';

/** Documents per `getAll` call. */
const GET_ALL_BATCH = 300;
/** Values per `array-contains-any` filter (Firestore's limit). */
const ANY_BATCH = 30;
/**
 * Uncached messages of one thread in a read round from which its emptiness is probed first: the
 * probe is one read, as is a single `getAll`ed message, and costs one read more when the thread
 * has messages.
 */
const PROBE_FROM = 2;

/** What lists a JID as unresolved (`ReadRequest` `referencing`). */
interface Referencing {
  messages: StoredMessage[];
  pending: PendingUpdatesDoc[];
}

/** `items` in consecutive batches of at most `size` (Firestore's per-call limits). */
function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** Counts Firestore reads the way Firestore bills them (a query costs at least one). */
export interface ReadCounter {
  reads: number;
}

export interface ReaderDeps {
  db: Firestore;
  accountId: string;
  cache: DocCache;
  /** `pendingKey(messageId)` of every pending-updates document of the account. */
  pendingIds: ReadonlySet<string>;
  counter: ReadCounter;
  /** Runs one Firestore read, retrying transient failures (the writer's retry policy). */
  retry: <T>(read: () => Promise<T>) => Promise<T>;
}

/** A stored document's data as the domain type of its path. */
export function fromStored(path: string, data: unknown): WrittenDoc {
  return documents[kindOfPath(path)].fromFirestore(data) as WrittenDoc;
}

function versioned(snapshot: DocumentSnapshot): VersionedDoc {
  if (!snapshot.exists) return { data: undefined, version: null };
  return { data: fromStored(snapshot.ref.path, snapshot.data()), version: snapshot.updateTime ?? null };
}

/** `accounts/{a}/threads/{t}/messages/{m}` → its thread and doc id. */
function storedMessage(snapshot: QueryDocumentSnapshot, doc: MessageDoc): StoredMessage {
  const parts = snapshot.ref.path.split('/');
  return { threadId: parts[3] as string, docId: parts[5] as string, doc };
}

export class FirestoreReader {
  /** Threads a probe found messages in (one entry per thread of the account): read by id, not probed. */
  readonly #withMessages = new Set<string>();

  constructor(private readonly deps: ReaderDeps) {}

  /** Fetch `requests` into `snapshot`, recording every document's version in `versions`. */
  async read(requests: readonly ReadRequest[], snapshot: SnapshotStore, versions: Versions): Promise<void> {
    const docs = new Map<string, (entry: VersionedDoc) => void>();
    const queries: Array<Promise<void>> = [];
    const { accountId } = this.deps;
    const referencing = new Set<string>();
    /** Uncached message reads by thread (some are answered by an emptiness probe). */
    const messages = new Map<string, Map<string, (entry: VersionedDoc) => void>>();
    for (const request of requests) {
      switch (request.kind) {
        case 'thread':
          docs.set(paths.thread(accountId, request.threadId), (e) =>
            snapshot.addThread(request.threadId, e.data as ThreadDoc | undefined),
          );
          break;
        case 'message': {
          const path = paths.message(accountId, request.threadId, request.docId);
          const add = (e: VersionedDoc) =>
            snapshot.addMessage(request.threadId, request.docId, e.data as MessageDoc | undefined);
          if (this.deps.cache.get(path) || this.#withMessages.has(request.threadId)) docs.set(path, add);
          else {
            const thread = messages.get(request.threadId) ?? new Map();
            thread.set(path, add);
            messages.set(request.threadId, thread);
          }
          break;
        }
        case 'pending': {
          const key = pendingKey(request.messageId);
          const path = paths.pendingUpdates(accountId, key);
          const add = (e: VersionedDoc) =>
            snapshot.addPending(request.messageId, e.data as PendingUpdatesDoc | undefined);
          if (this.deps.pendingIds.has(key) || this.deps.cache.get(path)) docs.set(path, add);
          else {
            const absent: VersionedDoc = { data: undefined, version: null };
            versions.set(path, absent);
            add(absent);
          }
          break;
        }
        case 'referencing':
          referencing.add(request.jid);
          break;
        case 'newest':
          queries.push(
            this.#newest(request.threadId, request.limit, versions).then((found) =>
              snapshot.addNewest(request.threadId, request.limit, found),
            ),
          );
          break;
        case 'name':
          docs.set(paths.name(accountId, nameKey(request.jid)), (e) =>
            snapshot.addName(request.jid, e.data as NameDoc | undefined),
          );
          break;
        case 'threadMessages':
          queries.push(
            this.#threadMessages(request.threadId, versions).then((found) =>
              snapshot.addThreadMessages(request.threadId, found),
            ),
          );
          break;
      }
    }
    if (referencing.size > 0) {
      queries.push(
        this.#referencing([...referencing], versions).then((found) => {
          for (const [jid, docs] of found) snapshot.addReferencing(jid, docs);
        }),
      );
    }
    // A thread with too few of them to probe is read by id with the rest, not after the probes.
    for (const [threadId, wanted] of messages) {
      if (wanted.size >= PROBE_FROM) continue;
      for (const [path, add] of wanted) docs.set(path, add);
      messages.delete(threadId);
    }
    await Promise.all([this.#getDocs(docs, versions), this.#getProbed(messages, versions), ...queries]);
  }

  /**
   * Uncached messages of threads with several of them: "absent" for those of a thread a probe
   * finds empty, read by id for the others.
   */
  async #getProbed(byThread: Map<string, Map<string, (entry: VersionedDoc) => void>>, versions: Versions) {
    const threads = [...byThread];
    const empty = await Promise.all(threads.map(([threadId]) => this.#isEmpty(threadId)));
    const byId = new Map<string, (entry: VersionedDoc) => void>();
    for (const [i, [, wanted]] of threads.entries()) {
      for (const [path, add] of wanted) {
        if (!empty[i]) {
          byId.set(path, add);
          continue;
        }
        const absent: VersionedDoc = { data: undefined, version: null };
        this.deps.cache.set(path, absent);
        versions.set(path, absent);
        add(absent);
      }
    }
    await this.#getDocs(byId, versions);
  }

  /** Whether the thread has no message (one `limit(1)` query of no fields); remembers one that has. */
  async #isEmpty(threadId: string): Promise<boolean> {
    const { db, accountId, retry, counter } = this.deps;
    const found = await retry(() => db.collection(paths.messages(accountId, threadId)).select().limit(1).get());
    counter.reads += 1;
    if (found.empty) return true;
    this.#withMessages.add(threadId);
    return false;
  }

  /** Cached documents first; the rest with `getAll`, in batches. */
  async #getDocs(wanted: Map<string, (entry: VersionedDoc) => void>, versions: Versions): Promise<void> {
    const missing: string[] = [];
    for (const [path, add] of wanted) {
      const cached = this.deps.cache.get(path);
      if (cached) {
        versions.set(path, cached);
        add(cached);
      } else missing.push(path);
    }
    const { db, cache, counter } = this.deps;
    for (const batch of batchesOf(missing, GET_ALL_BATCH)) {
      const snapshots = await this.deps.retry(() => db.getAll(...batch.map((path) => db.doc(path))));
      counter.reads += snapshots.length;
      for (const snapshot of snapshots) {
        const entry = versioned(snapshot);
        const path = snapshot.ref.path;
        cache.set(path, entry);
        versions.set(path, entry);
        wanted.get(path)?.(entry);
      }
    }
  }

  /** Record query results as read documents (cache and versions) and return them. */
  #record<T extends WrittenDoc>(
    snapshots: QueryDocumentSnapshot[],
    versions: Versions,
  ): Array<[QueryDocumentSnapshot, T]> {
    this.deps.counter.reads += Math.max(1, snapshots.length);
    return snapshots.map((snapshot) => {
      const entry = versioned(snapshot);
      this.deps.cache.set(snapshot.ref.path, entry);
      versions.set(snapshot.ref.path, entry);
      return [snapshot, entry.data as T];
    });
  }

  /**
   * Messages and pending updates listing any of `jids` as unresolved, per JID. One pair of
   * `array-contains-any` queries per ANY_BATCH JIDs, not one pair per JID: a history chunk
   * that reveals dozens of pairs asks for all of them in one round (38 queries per chunk of the
   * benchmark history became 2, each of which the embedded emulator answers by a scan).
   */
  async #referencing(jids: readonly string[], versions: Versions): Promise<Map<string, Referencing>> {
    const found = new Map<string, Referencing>(jids.map((jid) => [jid, { messages: [], pending: [] }]));
    await Promise.all(batchesOf(jids, ANY_BATCH).map((batch) => this.#referencingAny(batch, versions, found)));
    return found;
  }

  async #referencingAny(jids: string[], versions: Versions, found: Map<string, Referencing>): Promise<void> {
    const { db, accountId, retry } = this.deps;
    const [messages, pending] = await Promise.all([
      retry(() =>
        db
          .collectionGroup('messages')
          .where('accountId', '==', accountId)
          .where('unresolvedJids', 'array-contains-any', jids)
          .get(),
      ),
      retry(() =>
        db
          .collection(`${paths.account(accountId)}/pendingUpdates`)
          .where('unresolvedJids', 'array-contains-any', jids)
          .get(),
      ),
    ]);
    const listing = (doc: MessageDoc | PendingUpdatesDoc) => jids.filter((jid) => doc.unresolvedJids?.includes(jid));
    for (const [s, doc] of this.#record<MessageDoc>(messages.docs, versions)) {
      for (const jid of listing(doc)) found.get(jid)!.messages.push(storedMessage(s, doc));
    }
    for (const [, doc] of this.#record<PendingUpdatesDoc>(pending.docs, versions)) {
      for (const jid of listing(doc)) found.get(jid)!.pending.push(doc);
    }
  }

  /**
   * The thread's `limit` newest messages, ordered as `InMemoryStore` orders them (time descending,
   * then doc id ascending). Messages tied with the last one are fetched too, so the cut falls in
   * the same place whatever order Firestore returns ties in.
   */
  async #newest(threadId: string, limit: number, versions: Versions): Promise<StoredMessage[]> {
    const col = this.deps.db.collection(paths.messages(this.deps.accountId, threadId));
    const { retry } = this.deps;
    const newest = await retry(() => col.orderBy('timestamp', 'desc').limit(limit).get());
    const first = this.#record<MessageDoc>(newest.docs, versions);
    const found = new Map(first.map(([s, doc]) => [s.ref.path, storedMessage(s, doc)]));
    const last = first.at(-1);
    if (first.length === limit && last) {
      const ties = (await retry(() => col.where('timestamp', '==', last[0].get('timestamp')).get())).docs;
      for (const [s, doc] of this.#record<MessageDoc>(ties, versions)) found.set(s.ref.path, storedMessage(s, doc));
    }
    return [...found.values()]
      .sort((a, b) => b.doc.timestamp - a.doc.timestamp || (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : 0))
      .slice(0, limit);
  }

  async #threadMessages(threadId: string, versions: Versions): Promise<StoredMessage[]> {
    const col = this.deps.db.collection(paths.messages(this.deps.accountId, threadId));
    const snapshots = await this.deps.retry(() => col.get());
    return this.#record<MessageDoc>(snapshots.docs, versions).map(([s, doc]) => storedMessage(s, doc));
  }
}
