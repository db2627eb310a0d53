/**
 * `planWrites(state, events, options)`: the pure write planner the sync pipeline runs. Normalised
 * messages, updates (edits, revokes, reactions, receipts) and alias pairs in; Firestore operations
 * out, chunked into commits. Same stored state + same events → same operations, and the stored
 * documents after any order, repetition or chunking of a set of events are the same (I1).
 *
 * Steps:
 * 1. Learn every pair the batch reveals FIRST (from aliases events and from the messages' own keys),
 *    so that every event of the batch resolves with the same, final aliases; a message that reveals
 *    a mapping is stored under the canonical JID, not the LID it arrived with.
 * 2. Apply what the new pairs change in stored data: thread merges (LID thread → phone-number
 *    thread), and documents whose ids or keys named a JID that is no longer canonical (found through
 *    `unresolvedJids`) are re-keyed — moved with `rekey` when their path changes.
 * 3. Apply the events: each message is joined with what is stored at its path (`mergeMessageDoc`)
 *    and with pending updates waiting for it; each update is joined into its target, or kept as a
 *    pending update when the target is not stored yet. Only documents whose content changed are
 *    written, so a replay plans nothing.
 * 4. Names (contact, push, verified names, group subjects) are joined into each JID's name document,
 *    and every thread they name — and every thread created, merged or given new aliases — joins in
 *    the names of all its JIDs (`names.ts`): it keeps the best (`name`, `nameFrom`), and the name
 *    documents of its JIDs are deleted (or never written), so a named thread costs no extra write.
 * 5. Emit: message, pending-update and name operations in the order first touched, then — last — one
 *    write per touched thread, the deletion of merged threads and of name documents threads took
 *    over, and the learned pairs. A crash between
 *    commits leaves the pairs unwritten, so the replay plans the same re-keys again (they are joins).
 */
import { AliasResolver, type CanonicalJid, type ThreadMergePlan } from '../identity/alias-resolver.ts';
import { checkLidPnPair } from '../identity/lid-pn-pairs.ts';
import { rekeyMessage } from '../identity/thread-merge.ts';
import { lidPnPairDocId, threadDocId } from '../ids.ts';
import { mergeFragments, mergeMessageDoc } from '../message-doc/merge.ts';
import type { MessageFragment } from '../message-doc/types.ts';
import type { MessageRef, NormalizedMessage, NormalizedUpdate } from '../normalize/types.ts';
import { type LidPnPairDoc, type MessageDoc, type PendingUpdatesDoc, paths, type ThreadKind } from '../schema.ts';
import { chunkOps, MAX_BYTES_PER_COMMIT, MAX_WRITES_PER_COMMIT } from './chunk.ts';
import { sameContent } from './equal.ts';
import {
  canonicalFragment,
  canonicalRef,
  completeDraft,
  jidsOf,
  locate,
  mayChange,
  nameKey,
  pendingKey,
  rekeyKindOf,
  unresolvedOf,
} from './identity.ts';
import { joinName } from './names.ts';
import { messageKey, Overlay, splitMessageKey } from './overlay.ts';
import { ThreadWrites } from './threads.ts';
import type {
  NameEvent,
  PlannerEvent,
  PlannerState,
  PlanOptions,
  PlanStats,
  ReadRequest,
  StoredMessage,
  WriteOp,
  WritePlan,
} from './types.ts';

type PendingEntry = PendingUpdatesDoc['entries'][number];

function pairKey(pair: { lid: string; pn: string }): string {
  return `${pair.lid} ${pair.pn}`;
}

/** One planning run; `planWrites` is its only user. */
class Planner {
  readonly #state: PlannerState;
  readonly #now: number;
  readonly #pendingTtlMs: number | undefined;
  readonly #overlay: Overlay;
  readonly #resolver: AliasResolver;
  readonly #canonical: CanonicalJid;
  readonly #threads: ThreadWrites;
  readonly #knownPairs = new Map<string, LidPnPairDoc>();
  readonly #pairWrites = new Map<string, LidPnPairDoc>();
  readonly stats: PlanStats = {
    events: 0,
    messagesWritten: 0,
    pendingWritten: 0,
    threadsWritten: 0,
    rekeyed: 0,
    pairsLearned: 0,
    namesWritten: 0,
  };

  constructor(state: PlannerState, now: number, pendingTtlMs?: number) {
    this.#state = state;
    this.#now = now;
    this.#pendingTtlMs = pendingTtlMs;
    for (const pair of state.pairs) this.#knownPairs.set(pairKey(pair), pair);
    this.#resolver = new AliasResolver({ self: state.self, pairs: this.#knownPairs.values() });
    this.#canonical = this.#resolver.canonical;
    this.#overlay = new Overlay(state.store);
    this.#threads = new ThreadWrites(this.#overlay, this.#resolver);
  }

  run(events: readonly PlannerEvent[]): WriteOp[] {
    this.stats.events = events.length;
    this.#learnPairs(events);
    for (const event of events) {
      if (event.kind === 'message') this.#applyMessage(event);
      else if (event.kind === 'update') this.#applyUpdate(event);
    }
    // Names last: a thread this plan creates reads its names at the end (`ThreadWrites.finish`).
    for (const event of events) if (event.kind === 'name') this.#applyName(event);
    return this.#emit();
  }

  get learned(): LidPnPairDoc[] {
    return [...this.#pairWrites.values()];
  }

  // ── 1–2: aliases ────────────────────────────────────────────────────────────────────────────

  #learnPairs(events: readonly PlannerEvent[]): void {
    const revealed = new Map<string, LidPnPairDoc>();
    for (const event of events) {
      if (event.kind === 'name') continue;
      const pairs = event.kind === 'aliases' ? event.pairs : event.aliases;
      for (const raw of pairs) {
        const check = checkLidPnPair(raw.lid, raw.pn, this.#state.self);
        if (!check.ok) continue;
        const key = pairKey(check.pair);
        const seen = revealed.get(key);
        if (!seen || seen.learnedAt > event.receivedAt)
          revealed.set(key, { ...check.pair, learnedAt: event.receivedAt });
      }
    }
    // `learnedAt` is a minimum too, so a pair revealed again earlier is rewritten, later is not.
    for (const [key, pair] of revealed) {
      const known = this.#knownPairs.get(key);
      if (!known || known.learnedAt > pair.learnedAt) this.#pairWrites.set(key, pair);
    }
    if (revealed.size === 0) return;
    const change = this.#resolver.add(revealed.values(), (jid) => this.#overlay.thread(threadDocId(jid)) !== undefined);
    for (const plan of change.merges) this.#mergeThread(plan);
    for (const update of change.aliasUpdates) this.#threads.aliasesChanged(update.thread.threadId, update.thread.jid);
    const stale = new Set(change.canonicalChanges.map((c) => c.before).filter(mayChange));
    for (const before of [...stale].sort()) {
      const found = this.#overlay.store.referencing(before);
      for (const stored of found.messages) this.#rekeyStored(stored, before);
      for (const pending of found.pending) this.#reconcilePending(pending.messageId);
    }
  }

  /**
   * Fold the absorbed thread into the survivor and move all its messages. They are listed rather
   * than found through `unresolvedJids`: the absorbed JID may be a phone number (a LID that turns
   * out to have a smaller phone number too, e.g. after a number change), which is never "unresolved".
   */
  #mergeThread(plan: ThreadMergePlan): void {
    const absorbed = this.#overlay.thread(plan.absorbed.threadId);
    if (!absorbed) return;
    this.#threads.merged(plan, absorbed);
    this.#overlay.threads.set(plan.absorbed.threadId, null);
    for (const stored of this.#overlay.store.threadMessages(plan.absorbed.threadId)) {
      this.#rekeyStored(stored, plan.absorbed.jid);
    }
  }

  /** Move or rewrite a stored message that names `before`, which is no longer canonical. */
  #rekeyStored(stored: StoredMessage, before: string): void {
    const doc = this.#overlay.message(stored.threadId, stored.docId);
    if (!doc) return;
    const inStaleThread = stored.threadId === threadDocId(before);
    const threadId = inStaleThread ? threadDocId(this.#canonical(before)) : stored.threadId;
    const { docId, message: rekeyed } = rekeyMessage(doc, this.#canonical, {
      threadId,
      kind: rekeyKindOf(stored.docId),
    });
    const to = { threadId, docId };
    const moved = to.threadId !== stored.threadId || to.docId !== stored.docId;
    const target = moved ? this.#overlay.message(to.threadId, to.docId) : undefined;
    let merged = mergeMessageDoc(target, rekeyed);
    merged = this.#withPending(merged, to);
    const final = this.#finish(merged, [...(doc.unresolvedJids ?? []), ...(target?.unresolvedJids ?? [])]);
    if (moved) {
      this.#overlay.move(stored, to, final);
      this.stats.rekeyed += 1;
    } else if (!sameContent(doc, final)) {
      this.#overlay.setMessage(to.threadId, to.docId, final);
    } else {
      return;
    }
    const thread = this.#overlay.thread(to.threadId);
    const jid = inStaleThread ? this.#canonical(before) : thread?.jid;
    if (jid) this.#threads.messageWritten(to.threadId, jid, thread?.kind ?? 'dm', final);
  }

  // ── 3: events ───────────────────────────────────────────────────────────────────────────────

  #applyMessage(event: NormalizedMessage): void {
    const ref = canonicalRef(event.ref, this.#canonical);
    const { threadId, docId } = locate(ref);
    const draft = completeDraft(event.doc, ref, this.#state.accountId, this.#canonical);
    const existing = this.#overlay.message(threadId, docId);
    let merged = mergeMessageDoc(existing, { ...draft, updatedAt: this.#now } as MessageDoc);
    merged = this.#withPending(merged, { threadId, docId });
    const final = this.#finish(merged, [...(existing?.unresolvedJids ?? []), ref.chatJid]);
    this.#write(threadId, docId, existing, final, ref.chatJid, ref.threadKind);
  }

  #applyUpdate(event: NormalizedUpdate): void {
    const target = canonicalRef(event.target, this.#canonical);
    const { threadId, docId } = locate(target);
    const fragment = canonicalFragment(event.fragment, this.#canonical);
    const existing = this.#overlay.message(threadId, docId);
    if (existing) {
      const final = this.#finish(mergeMessageDoc(existing, fragment), existing.unresolvedJids ?? []);
      this.#write(threadId, docId, existing, final, target.chatJid, target.threadKind);
      return;
    }
    this.#addPending(target, fragment);
  }

  /**
   * Join a name into its JID's name document; the JID's thread, if stored, takes it in (and the
   * document's place: `ThreadWrites` deletes it). Also when the name changes nothing: a crash
   * between the thread's write and the document's deletion leaves the document behind, and the
   * replay must still delete it.
   */
  #applyName(event: NameEvent): void {
    const stored = this.#overlay.name(event.jid);
    const joined = joinName(stored, event, this.#now);
    if (joined !== stored) this.#overlay.names.set(event.jid, joined);
    const jid = this.#canonical(event.jid);
    const threadId = threadDocId(jid);
    if (this.#overlay.thread(threadId)) this.#threads.namesChanged(threadId, jid);
  }

  /** Bookkeeping of a joined document: `unresolvedJids` and `updatedAt`. */
  #finish(doc: MessageDoc, previous: readonly string[]): MessageDoc {
    const { unresolvedJids: _, ...rest } = doc;
    const final: MessageDoc = { ...rest, updatedAt: this.#now };
    const unresolved = unresolvedOf([...previous, ...jidsOf(doc)], this.#canonical);
    if (unresolved) final.unresolvedJids = unresolved;
    return final;
  }

  #write(
    threadId: string,
    docId: string,
    existing: MessageDoc | undefined,
    final: MessageDoc,
    chatJid: string,
    kind: ThreadKind,
  ): void {
    // An unchanged message still counts towards its thread: a crash (or a failed commit) between
    // the plan's message commits and its thread commit leaves messages whose thread never saw
    // them, and the replay, finding them stored, must still bring the thread up to date. The thread
    // doc is only written when its summary really changes, so a plain replay writes nothing.
    if (existing && sameContent(existing, final)) {
      this.#threads.messageWritten(threadId, chatJid, kind, existing);
      return;
    }
    this.#overlay.setMessage(threadId, docId, final);
    this.#threads.messageWritten(threadId, chatJid, kind, final);
  }

  // ── pending updates ─────────────────────────────────────────────────────────────────────────

  /** Entries with canonical targets, one per target, in a fixed order (the doc is a function of the set). */
  #normalEntries(entries: readonly PendingEntry[]): Array<PendingEntry & { at: string }> {
    const byTarget = new Map<string, PendingEntry & { at: string }>();
    for (const entry of entries) {
      const target = canonicalRef(entry.target, this.#canonical);
      const { threadId, docId } = locate(target);
      const at = messageKey(threadId, docId);
      const fragment = canonicalFragment(entry.fragment, this.#canonical);
      const seen = byTarget.get(at);
      byTarget.set(at, { at, target, fragment: seen ? mergeFragments(seen.fragment, fragment) : fragment });
    }
    return [...byTarget.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  #savePending(messageId: string, entries: ReadonlyArray<PendingEntry>): void {
    const stored = this.#overlay.pendingFor(messageId);
    if (entries.length === 0) {
      if (stored) this.#overlay.pending.set(messageId, null);
      return;
    }
    const doc: PendingUpdatesDoc = {
      accountId: this.#state.accountId,
      messageId,
      entries: entries.map(({ target, fragment }) => ({ target, fragment })),
      updatedAt: this.#now,
    };
    const unresolved = unresolvedOf(
      entries.flatMap(({ target, fragment }) => [
        target.chatJid,
        ...(target.sender ? [target.sender] : []),
        ...jidsOf(fragment),
      ]),
      this.#canonical,
    );
    if (unresolved) doc.unresolvedJids = unresolved;
    if (this.#pendingTtlMs !== undefined) doc.expiresAt = this.#now + this.#pendingTtlMs;
    if (stored && sameContent(stored, doc)) return;
    this.#overlay.pending.set(messageId, doc);
  }

  #addPending(target: MessageRef, fragment: MessageFragment): void {
    const stored = this.#overlay.pendingFor(target.id);
    this.#savePending(target.id, this.#normalEntries([...(stored?.entries ?? []), { target, fragment }]));
  }

  /** Join into `doc` (stored at `at`) the pending updates waiting for it, and drop them from the pending doc. */
  #withPending(doc: MessageDoc, at: { threadId: string; docId: string }): MessageDoc {
    const stored = this.#overlay.pendingFor(doc.id);
    if (!stored) return doc;
    const here = messageKey(at.threadId, at.docId);
    let merged = doc;
    const rest: PendingEntry[] = [];
    for (const entry of this.#normalEntries(stored.entries)) {
      if (entry.at === here) merged = mergeMessageDoc(merged, entry.fragment);
      else rest.push(entry);
    }
    this.#savePending(doc.id, rest);
    return merged;
  }

  /** Pending updates that named a JID that is no longer canonical: re-key them, apply those whose message is stored. */
  #reconcilePending(messageId: string): void {
    const stored = this.#overlay.pendingFor(messageId);
    if (!stored) return;
    const rest: PendingEntry[] = [];
    for (const entry of this.#normalEntries(stored.entries)) {
      const { threadId, docId } = splitMessageKey(entry.at);
      const existing = this.#overlay.message(threadId, docId);
      if (!existing) {
        rest.push(entry);
        continue;
      }
      const final = this.#finish(mergeMessageDoc(existing, entry.fragment), existing.unresolvedJids ?? []);
      this.#write(threadId, docId, existing, final, entry.target.chatJid, entry.target.threadKind);
    }
    this.#savePending(messageId, rest);
  }

  // ── 4: operations ───────────────────────────────────────────────────────────────────────────

  #emit(): WriteOp[] {
    const { accountId } = this.#state;
    const store = this.#overlay.store;
    const messagePath = (key: string) => {
      const { threadId, docId } = splitMessageKey(key);
      return paths.message(accountId, threadId, docId);
    };
    const storedAt = (key: string) => {
      const { threadId, docId } = splitMessageKey(key);
      return store.message(threadId, docId);
    };
    const body: WriteOp[] = [];
    const done = new Set<string>();
    for (const [from, to] of this.#overlay.moves) {
      const data = this.#overlay.messages.get(to);
      done.add(from);
      if (!data) {
        body.push({ type: 'delete', kind: 'message', path: messagePath(from) });
        continue;
      }
      done.add(to);
      body.push({
        type: 'rekey',
        kind: 'message',
        from: messagePath(from),
        to: messagePath(to),
        data,
        toExists: storedAt(to) !== undefined,
      });
    }
    for (const [key, data] of this.#overlay.messages) {
      if (done.has(key)) continue;
      const existed = storedAt(key) !== undefined;
      if (data === null) {
        if (existed) body.push({ type: 'delete', kind: 'message', path: messagePath(key) });
      } else {
        body.push({ type: existed ? 'merge' : 'create', kind: 'message', path: messagePath(key), data });
        this.stats.messagesWritten += 1;
      }
    }
    for (const [messageId, data] of this.#overlay.pending) {
      const path = paths.pendingUpdates(accountId, pendingKey(messageId));
      const existed = store.pending(messageId) !== undefined;
      if (data === null) {
        if (existed) body.push({ type: 'delete', kind: 'pendingUpdates', path });
      } else {
        body.push({ type: existed ? 'merge' : 'create', kind: 'pendingUpdates', path, data });
        this.stats.pendingWritten += 1;
      }
    }
    // Threads first: a thread takes over the name documents of its JIDs (`ThreadWrites`).
    const threads = this.#threads.finish(this.#now);
    const folded: WriteOp[] = [];
    for (const [jid, data] of this.#overlay.names) {
      const path = paths.name(accountId, nameKey(jid));
      const existed = store.name(jid) !== undefined;
      if (data === null) {
        if (existed) folded.push({ type: 'delete', kind: 'name', path });
      } else {
        body.push({ type: existed ? 'merge' : 'create', kind: 'name', path, data });
        this.stats.namesWritten += 1;
      }
    }
    const tail: WriteOp[] = [];
    for (const { threadId, doc, existed } of threads) {
      tail.push({
        type: existed ? 'merge' : 'create',
        kind: 'thread',
        path: paths.thread(accountId, threadId),
        data: doc,
      });
      this.stats.threadsWritten += 1;
    }
    for (const [threadId, doc] of this.#overlay.threads) {
      if (doc === null && store.thread(threadId)) {
        tail.push({ type: 'delete', kind: 'thread', path: paths.thread(accountId, threadId) });
      }
    }
    // After the threads that took their names in, so a crash between the two loses no name.
    tail.push(...folded);
    for (const [key, pair] of this.#pairWrites) {
      const path = paths.lidPnPair(accountId, lidPnPairDocId(pair));
      tail.push({ type: this.#knownPairs.has(key) ? 'merge' : 'create', kind: 'lidPnPair', path, data: pair });
      this.stats.pairsLearned += 1;
    }
    return [...body, ...tail];
  }
}

/** Reads a store can report as missing (`SnapshotStore`); other stores answer everything. */
interface ReportsMisses {
  missing(): ReadRequest[];
}

function hasMisses(store: unknown): store is ReportsMisses {
  return typeof (store as Partial<ReportsMisses>).missing === 'function';
}

/**
 * Plan the writes for `events` on top of what `state.store` holds. Pure: reads only through
 * `state.store`, writes nothing. With a `SnapshotStore` that lacked some reads, returns them in
 * `reads` and no commits; fetch them into the snapshot and call again (a few rounds at most: the
 * reads of a round depend only on the answers of the previous one).
 */
export function planWrites(state: PlannerState, events: readonly PlannerEvent[], options: PlanOptions): WritePlan {
  const planner = new Planner(state, options.now, options.pendingTtlMs);
  const ops = planner.run(events);
  const reads = hasMisses(state.store) ? state.store.missing() : [];
  if (reads.length > 0) return { reads, commits: [], learned: [], stats: planner.stats };
  const commits = chunkOps(
    ops,
    options.maxWritesPerCommit ?? MAX_WRITES_PER_COMMIT,
    options.maxBytesPerCommit ?? MAX_BYTES_PER_COMMIT,
  );
  return { reads, commits, learned: planner.learned, stats: planner.stats };
}
