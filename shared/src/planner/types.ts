/**
 * Inputs and outputs of the write planner (`plan.ts`): what the sync pipeline hands it, what it
 * reads from the store, and the Firestore operations it returns.
 */
import type { SelfIdentity } from '../identity/self.ts';
import type { NormalizedMessage, NormalizedUpdate } from '../normalize/types.ts';
import type {
  EpochMs,
  LidPnPair,
  LidPnPairDoc,
  MessageDoc,
  NameDoc,
  NameSource,
  PendingUpdatesDoc,
  ThreadDoc,
} from '../schema.ts';

/** LID ↔ phone-number pairs learned outside messages (`lid-mapping.update`, history chats and contacts). */
export interface AliasEvent {
  kind: 'aliases';
  receivedAt: EpochMs;
  pairs: LidPnPair[];
}

/**
 * A name WhatsApp gave a JID (a contact, push or verified name, a group subject), with the time
 * that orders it against other names of the same source (the receive time of its event).
 */
export interface NameEvent {
  kind: 'name';
  receivedAt: EpochMs;
  /** The JID as seen (device-free): a user or group JID. */
  jid: string;
  source: NameSource;
  name: string;
  at: EpochMs;
}

/** One input event: a message, an update of another message (edit, revoke, reaction, receipt, vote), aliases or a name. */
export type PlannerEvent = NormalizedMessage | NormalizedUpdate | AliasEvent | NameEvent;

/** A stored message with where it is. */
export interface StoredMessage {
  threadId: string;
  docId: string;
  doc: MessageDoc;
}

/**
 * Read access to what is stored for one account. The planner only reads through this (it is pure);
 * `InMemoryStore` implements it fully, `SnapshotStore` from reads the pipeline fetched beforehand.
 */
export interface StoreView {
  thread(threadId: string): ThreadDoc | undefined;
  message(threadId: string, docId: string): MessageDoc | undefined;
  /** Pending updates for a WhatsApp message id. */
  pending(messageId: string): PendingUpdatesDoc | undefined;
  /** Message and pending-update docs whose `unresolvedJids` contain `jid` (an `array-contains` query). */
  referencing(jid: string): { messages: StoredMessage[]; pending: PendingUpdatesDoc[] };
  /** The `limit` newest messages of a thread (`orderBy('timestamp', 'desc').limit(limit)`). */
  newestMessages(threadId: string, limit: number): StoredMessage[];
  /** Every message of a thread (its `messages` collection): what a thread merge moves. */
  threadMessages(threadId: string): StoredMessage[];
  /** The names known for a JID (`names/{safeDocId(jid)}`). */
  name(jid: string): NameDoc | undefined;
}

/** A read the planner needed and a `SnapshotStore` did not have (see `SnapshotStore`). */
export type ReadRequest =
  | { kind: 'thread'; threadId: string }
  | { kind: 'message'; threadId: string; docId: string }
  | { kind: 'pending'; messageId: string }
  | { kind: 'referencing'; jid: string }
  | { kind: 'newest'; threadId: string; limit: number }
  | { kind: 'threadMessages'; threadId: string }
  | { kind: 'name'; jid: string };

/** What the planner is given besides the events. */
export interface PlannerState {
  accountId: string;
  /** Who we are (required: without it own DMs and own reactions cannot be keyed). */
  self: SelfIdentity;
  /** Every pair learned so far: the account's `lidPnPairs` collection. */
  pairs: Iterable<LidPnPairDoc>;
  store: StoreView;
}

export interface PlanOptions {
  /** `updatedAt` of every document written. */
  now: EpochMs;
  /** Firestore allows 500 writes per commit. */
  maxWritesPerCommit?: number;
  /** Firestore allows 10 MiB per request; the default 9 MiB leaves room for request overhead. */
  maxBytesPerCommit?: number;
  /** Pending updates expire (`expiresAt`) this long after their last write; without it they never do. */
  pendingTtlMs?: number;
}

/** Which converter a written document goes through (`makeDocumentConverters`). */
export type WrittenKind = 'message' | 'thread' | 'pendingUpdates' | 'lidPnPair' | 'name';

export type WrittenDoc = MessageDoc | ThreadDoc | PendingUpdatesDoc | LidPnPairDoc | NameDoc;

/**
 * One Firestore operation. Documents are always written WHOLE (`set` without merge): the planner
 * has already joined them with what is stored, and JID-keyed maps (receipts, reactions) must never
 * be written as field paths (quoting `111@lid` in a field path is fragile, and emulators drop such keys).
 * - `create`: the document does not exist (a writer may use `create()` to detect a stale view).
 * - `merge`: the document exists; `data` is the join of it and the new events.
 * - `delete`: the document goes away (a merged thread, a pending update that found its message, the
 *   name document of a JID whose thread took its names).
 * - `rekey`: the document moves from `from` to `to` (its id or thread changed with a mapping):
 *   delete `from` and write `data` to `to`, atomically — both in this op's commit.
 */
export type WriteOp =
  | { type: 'create'; kind: WrittenKind; path: string; data: WrittenDoc }
  | { type: 'merge'; kind: WrittenKind; path: string; data: WrittenDoc }
  | { type: 'delete'; kind: WrittenKind; path: string }
  | { type: 'rekey'; kind: 'message'; from: string; to: string; data: MessageDoc; toExists: boolean };

/** One atomic batch: at most `maxWritesPerCommit` writes (a re-key counts two) and `maxBytesPerCommit`. */
export interface Commit {
  ops: WriteOp[];
  writes: number;
  /** Estimated Firestore size of the documents written (`doc-size.ts`). */
  bytes: number;
}

/** Counts, for logs and benchmarks. */
export interface PlanStats {
  events: number;
  messagesWritten: number;
  pendingWritten: number;
  threadsWritten: number;
  rekeyed: number;
  pairsLearned: number;
  namesWritten: number;
}

export interface WritePlan {
  /**
   * Reads the store could not answer (a `SnapshotStore` missing them). When non-empty, `commits`
   * is empty: fetch these into the snapshot and plan again.
   */
  reads: ReadRequest[];
  /** Commit in order; each is atomic. Thread documents, thread-merge deletions and pairs come last. */
  commits: Commit[];
  /** Pairs new to the state (also written as `lidPnPair` ops): add them to the next state. */
  learned: LidPnPairDoc[];
  stats: PlanStats;
}
