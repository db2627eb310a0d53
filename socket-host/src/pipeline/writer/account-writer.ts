/**
 * One account's writer: planner events in, the right Firestore documents out — once, fenced, at
 * Firestore's speed. Everything the sync pipeline stores about threads and messages goes through
 * `write()` (history, live events, and later the command executor's sends and backfill answers).
 *
 *   events ─► planWithReads (cache + batched Firestore reads) ─► commits ─► CommitExecutor
 *                      ▲                                                      │ stale: drop cache,
 *                      └──────────────────── re-plan ◄────────────────────────┘ read, plan again
 *
 * Two lanes share the writer: `live` (a plan holds the commit gate from planning to its last
 * commit) and `history` (plans outside the gate, then takes it one commit step at a time, letting
 * live plans in between). A commit of another plan can make a history plan's reads stale — not
 * only for the documents it overwrites, which preconditions catch, but for what it decided from
 * absences (a pending update kept because its message was not stored yet) — so a history plan
 * watches what other plans land while it is open (`ReadWatch`) and re-plans when one of them
 * touched anything it read: a document it read (present or absent: every read is in its
 * `Versions`), a thread whose messages it queried, a message or pending update listing a JID it
 * asked references for, any pair. Live messages to threads the import is not planning do not disturb
 * it (re-planning on every live commit made a 2,000-message plan start over, and after two tries
 * plan holding the gate, for seconds, while live messages waited). Landed commits are joins:
 * re-planning finds them stored and plans only what is left.
 *
 * Within a plan, commits that touch different documents and hold no thread, thread deletion or
 * pair (those come last, after everything they summarise) run several at a time.
 *
 * The writer keeps, per account: every learned LID ↔ PN pair (`lidPnPairs`, loaded once), the ids
 * of the account's pending-update documents (so a message's "any pending update?" costs no read),
 * and a bounded cache of documents with their update times.
 */
import { setImmediate } from 'node:timers/promises';
import {
  type Commit,
  type DrivenPlan,
  type LidPnPairDoc,
  lidPnPairDocId,
  type MessageDoc,
  type PlannerEvent,
  type PlanStats,
  paths,
  planWithReads,
  type ReadRequest,
  type SelfIdentity,
  SnapshotStore,
} from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';
import type { Fence } from '../../accounts/fence.ts';
import { isLeaseLost } from '../../accounts/lease-errors.ts';
import type { Logger } from '../../log.ts';
import type { AlongsideWrite } from '../store/commit-executor.ts';
import { CommitExecutor, type CommitOutcome, commitPaths, StaleWriteError } from '../store/commit-executor.ts';
import { documents, kindOfPath } from '../store/documents.ts';
import { FirestoreReader } from '../store/firestore-reader.ts';
import { DocCache, type Versions } from '../store/versioned.ts';
import { CommitGate, type Lane } from './commit-gate.ts';
import { DEFAULT_RETRY, type RetryOptions, withRetry } from './retry.ts';
import type { WriteBudget } from './write-budget.ts';

export interface WriterOptions {
  maxWritesPerCommit: number;
  /** Commits of one plan in flight at once (where the plan's order allows). */
  commitConcurrency: number;
  /** Documents kept in the account's cache. */
  cacheSize: number;
  /** Pending updates expire this long after their last write. */
  pendingTtlMs: number;
  retry: RetryOptions;
  /** `updatedAt` of what is written (tests fix it). */
  now: () => number;
}

export const DEFAULT_WRITER_OPTIONS: WriterOptions = {
  maxWritesPerCommit: 500,
  commitConcurrency: 2,
  cacheSize: 5_000,
  pendingTtlMs: 30 * 24 * 3_600_000,
  retry: DEFAULT_RETRY,
  now: Date.now,
};

/** What the writer did, for logs, progress and the CLI's summary. */
export interface WriterCounters {
  reads: number;
  writes: number;
  commits: number;
  plans: number;
  /** Plans made again: on stale reads, or after another lane committed in between. */
  replans: number;
  /** Live plans beside a history step that touched what it had in flight, planned again holding the gate. */
  besideFallbacks: number;
  /** Commits refused by a precondition. */
  staleCommits: number;
  /** Transient Firestore failures retried. */
  retries: number;
  messagesWritten: number;
  /** Thread document writes (a thread written by several plans counts each time). */
  threadsWritten: number;
  /** Distinct threads written (what a summary calls "threads"). */
  threadsTouched: number;
  pendingWritten: number;
  rekeyed: number;
  pairsLearned: number;
}

export function emptyWriterCounters(): WriterCounters {
  return {
    reads: 0,
    writes: 0,
    commits: 0,
    plans: 0,
    replans: 0,
    besideFallbacks: 0,
    staleCommits: 0,
    retries: 0,
    messagesWritten: 0,
    threadsWritten: 0,
    threadsTouched: 0,
    pendingWritten: 0,
    rekeyed: 0,
    pairsLearned: 0,
  };
}

export interface WriterDeps {
  db: Firestore;
  accountId: string;
  fence: Fence;
  /** Who the account is, read per plan (pairing sets it mid-ownership). */
  self: () => SelfIdentity | undefined;
  budget?: WriteBudget;
  log: Logger;
  options?: Partial<WriterOptions>;
}

/** The account has no identity yet (not paired): nothing can be keyed. */
export class NotPairedError extends Error {
  override readonly name = 'NotPairedError';
  constructor(accountId: string) {
    super(`account ${accountId} has no identity (creds.me) yet; its events cannot be stored`);
  }
}

/** A write stopped before all its commits landed (its account is being let go); the rest is not written. */
export class WriteStoppedError extends Error {
  override readonly name = 'WriteStoppedError';
  constructor(accountId: string, why: string) {
    super(`write for account ${accountId} stopped: ${why}`);
  }
}

/** Re-plans of one write before it gives up (each landed commit is progress, so this is never reached in practice). */
const MAX_REPLANS = 50;
/** Re-plans outside the gate before a history plan plans holding it (so live traffic cannot starve it). */
const OPTIMISTIC_REPLANS = 2;

/**
 * What other plans landed while a history plan was open, against what that plan read. Paths are
 * collected as they land and compared at each commit step, so a read that answered after a
 * commit landed is compared too.
 */
class ReadWatch {
  readonly landed = new Set<string>();
  /** `unresolvedJids` of the messages and pending updates others landed. */
  readonly landedUnresolved = new Set<string>();
  /** Message collections the plan queried (`newest`, `threadMessages`), as path prefixes. */
  readonly queried = new Set<string>();
  /** JIDs the plan asked references for (messages and pending updates listing them as unresolved). */
  readonly referencing = new Set<string>();

  /** Pairs the plan was made with (by path), also those of the writes it follows that had not landed yet. */
  readonly knownPairs = new Map<string, LidPnPairDoc>();
  /** Pairs other plans landed (or have in flight), by path. */
  readonly #landedPairs = new Map<string, LidPnPairDoc>();

  constructor(readonly versions: Versions) {}

  /** The requests of one read round of the plan. */
  noteReads(accountId: string, requests: readonly ReadRequest[]): void {
    for (const request of requests) {
      if (request.kind === 'newest' || request.kind === 'threadMessages') {
        this.queried.add(`${paths.messages(accountId, request.threadId)}/`);
      } else if (request.kind === 'referencing') this.referencing.add(request.jid);
    }
  }

  /** What another plan's commit touched. */
  noteCommit(commit: Commit): void {
    for (const path of commitPaths(commit)) this.landed.add(path);
    for (const op of commit.ops) {
      if (op.type === 'delete') continue;
      if (op.kind === 'lidPnPair') this.#landedPairs.set(op.path, op.data as LidPnPairDoc);
      const unresolved = (op.data as { unresolvedJids?: string[] }).unresolvedJids;
      for (const jid of unresolved ?? []) this.landedUnresolved.add(jid);
    }
  }

  /** Documents the plan read that another plan landed (pairs aside: they are not read, they are known). */
  readAndLanded(): string[] {
    return [...this.landed].filter((path) => this.versions.has(path) && kindOfPath(path) !== 'lidPnPair');
  }

  /** The plan was made with the pair another plan landed at `path`, as it landed. */
  #knew(path: string): boolean {
    const known = this.knownPairs.get(path);
    const landed = this.#landedPairs.get(path);
    return !!known && !!landed && samePair(known, landed);
  }

  get stale(): boolean {
    for (const jid of this.referencing) if (this.landedUnresolved.has(jid)) return true;
    for (const path of this.landed) {
      if (this.versions.has(path)) return true;
      // Pairs are planning inputs from memory, not reads: one the plan did not know changes its keys.
      if (kindOfPath(path) === 'lidPnPair' && !this.#knew(path)) return true;
      for (const prefix of this.queried) if (path.startsWith(prefix)) return true;
    }
    return false;
  }
}

/** The same pair document: same identities, learned at the same time. */
function samePair(a: LidPnPairDoc, b: LidPnPairDoc): boolean {
  return a.lid === b.lid && a.pn === b.pn && a.learnedAt === b.learnedAt;
}

/** How a plan stands to the commit gate (`#planAndCommit`). */
type PlanMode = 'holding' | 'optimistic' | 'beside';

function learnsPairs(commit: Commit): boolean {
  return commit.ops.some((op) => op.kind === 'lidPnPair');
}

/** Thread docs, thread deletions and pairs summarise or follow the rest: they wait for every earlier commit. */
function isBarrier(commit: Commit): boolean {
  return commit.ops.some((op) => op.kind === 'thread' || op.kind === 'lidPnPair');
}

/**
 * Consecutive commits that may run at once: disjoint documents, no barrier except alone. The
 * commit that carries the caller's own writes (`alone`: a history chunk's `done` mark) is a
 * barrier too: they must not land while another commit of the plan may still fail.
 */
function commitGroups(commits: readonly Commit[], concurrency: number, alone?: Commit | false): Commit[][] {
  const groups: Commit[][] = [];
  let group: Commit[] = [];
  let seen = new Set<string>();
  const barrier = (commit: Commit) => commit === alone || isBarrier(commit);
  for (const commit of commits) {
    const touched = commitPaths(commit);
    const overlaps = touched.some((path) => seen.has(path));
    if (group.length > 0 && (barrier(commit) || overlaps || group.length >= concurrency)) {
      groups.push(group);
      group = [];
      seen = new Set();
    }
    group.push(commit);
    for (const path of touched) seen.add(path);
    if (barrier(commit)) {
      groups.push(group);
      group = [];
      seen = new Set();
    }
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

export class AccountWriter {
  readonly counters: WriterCounters = emptyWriterCounters();
  readonly options: WriterOptions;
  readonly #deps: WriterDeps;
  readonly #gate = new CommitGate();
  readonly #cache: DocCache;
  readonly #reader: FirestoreReader;
  readonly #executor: CommitExecutor;
  /** Learned pairs by document path, with their stored versions. */
  readonly #pairs = new Map<string, LidPnPairDoc>();
  readonly #pendingIds = new Set<string>();
  /** Thread paths written (one entry per thread of the account: bounded by its thread count). */
  readonly #threadsTouched = new Set<string>();
  /** Pair documents a failed commit may have written: read again before the next plan. */
  readonly #stalePairs = new Set<string>();
  /** Open watched plans (history, live beside a history step), told what every other plan lands. */
  readonly #watches = new Set<ReadWatch>();
  /** Commits in flight: a watched plan opened meanwhile counts them as landed. */
  readonly #inFlight = new Set<Commit>();
  /**
   * Pairs learned by history plans made but not landed yet, by the write's place in the history
   * order: a history write planned while the one before it commits plans with them (it commits
   * only once that one landed, and nothing if it failed), instead of being planned again when
   * they land — the first slice of a chunk carries its pairs, and the next one is planned beside it.
   */
  readonly #pairsAhead = new Map<number, LidPnPairDoc[]>();
  #historyWrites = 0;
  /** History plans are made one at a time, in the order of their writes (each after the pairs of the one before). */
  #historyPlanning: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #messageListeners: Array<(path: string, doc: MessageDoc) => void> = [];

  private constructor(deps: WriterDeps) {
    this.#deps = deps;
    this.options = { ...DEFAULT_WRITER_OPTIONS, ...deps.options };
    this.#cache = new DocCache(this.options.cacheSize);
    this.#reader = new FirestoreReader({
      db: deps.db,
      accountId: deps.accountId,
      cache: this.#cache,
      pendingIds: this.#pendingIds,
      counter: this.counters,
      retry: (read) => this.#retryRead(read),
    });
    this.#executor = new CommitExecutor(deps.db);
  }

  /** A writer with the account's pairs and pending-update ids loaded (two queries). */
  static async open(deps: WriterDeps): Promise<AccountWriter> {
    const writer = AccountWriter.create(deps);
    await writer.load();
    return writer;
  }

  /** A writer that must be `load()`ed before its first write (so the caller can load other things beside it). */
  static create(deps: WriterDeps): AccountWriter {
    return new AccountWriter(deps);
  }

  get accountId(): string {
    return this.#deps.accountId;
  }

  /** The other identity (LID ↔ phone number) of a user JID, from the pairs learned so far. */
  alternateOf(jid: string): string | undefined {
    for (const pair of this.#pairs.values()) {
      if (pair.lid === jid) return pair.pn;
      if (pair.pn === jid) return pair.lid;
    }
    return undefined;
  }

  /**
   * Told of every message document a landed commit wrote (its path and what it holds now): the
   * media fetcher learns there which messages have media to fetch. Listeners must not throw.
   */
  onMessageWritten(listener: (path: string, doc: MessageDoc) => void): void {
    this.#messageListeners.push(listener);
  }

  /**
   * Another writer (the media fetcher's fenced transaction) changed these documents: drop them
   * from the cache, so the next plan reads them instead of failing a commit on a stale version.
   * (A plan already made on the old version still fails its precondition and re-plans.)
   */
  invalidate(paths: readonly string[]): void {
    for (const path of paths) this.#cache.delete(path);
  }

  /** Stops new plans (a lost lease, or the account let go). */
  close(): void {
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Loads the account's pairs and pending-update ids (two queries, together). */
  async load(): Promise<void> {
    const { db, accountId } = this.#deps;
    const [pairs, pending] = await Promise.all([
      db.collection(paths.lidPnPairs(accountId)).get(),
      db
        .collection(`${paths.account(accountId)}/pendingUpdates`)
        .select()
        .get(),
    ]);
    this.counters.reads += Math.max(1, pairs.size) + Math.max(1, pending.size);
    for (const snapshot of pairs.docs) {
      const doc = documents.lidPnPair.fromFirestore(snapshot.data());
      this.#pairs.set(snapshot.ref.path, doc);
      this.#cache.set(snapshot.ref.path, { data: doc, version: snapshot.updateTime });
    }
    for (const snapshot of pending.docs) this.#pendingIds.add(snapshot.id);
  }

  /**
   * Plan `events` and commit them. Resolves once every commit landed; rejects with
   * `LeaseLostError` (the account is no longer ours), `NotPairedError`, or a non-transient
   * Firestore error (retries of transient ones never end while the writer is open).
   */
  async write(
    events: readonly PlannerEvent[],
    lane: Lane,
    /** Checked before each commit step: false stops the write there (`WriteStoppedError`); what landed stays. */
    keepGoing: () => boolean = () => true,
    /**
     * Writes of the caller's own that land with the plan's last commit, in its fenced transaction
     * (all or nothing with it); in a fenced transaction of their own when the plan writes nothing.
     */
    alongside?: AlongsideWrite,
    /**
     * A write this one must land after (history: the slice before it). This one is planned at
     * once, while that one commits, and commits only once it landed — planned again if it landed
     * something this plan read; nothing is committed when it failed (`WriteStoppedError`).
     */
    after?: Promise<unknown>,
  ): Promise<PlanStats | undefined> {
    if (events.length === 0) {
      await this.#landedFirst(after);
      if (alongside) await this.#alone(alongside);
      return undefined;
    }
    const startedAt = Date.now();
    // Its place among history writes that follow another one (`after`): what pairs it may plan with.
    const place = lane === 'history' && after ? ++this.#historyWrites : undefined;
    /** The previous try ran beside a history step: planning again holding the gate is its fallback, not a re-plan. */
    let besideBefore = false;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) throw new WriteStoppedError(this.accountId, 'the writer is closed');
      if (attempt > 1 && !besideBefore) this.counters.replans += 1;
      // Live goes beside a watched history step when it can (first try only), else holds the gate.
      const beside = lane === 'live' && attempt === 1 ? this.#gate.tryBeside() : undefined;
      besideBefore = beside !== undefined;
      const holdGate = !beside && (lane === 'live' || attempt > OPTIMISTIC_REPLANS);
      // Never wait for the write before while holding the gate: its commits need it.
      if (holdGate) await this.#landedFirst(after);
      const release = holdGate ? await this.#gate.acquire(lane) : undefined;
      const gateMs = Date.now() - startedAt;
      try {
        const mode: PlanMode = release ? 'holding' : beside ? 'beside' : 'optimistic';
        const done = await this.#planAndCommit(events, lane, mode, keepGoing, alongside, after, place);
        if (!done && besideBefore) this.counters.besideFallbacks += 1;
        if (done) {
          const ms = Date.now() - startedAt;
          this.#deps.log.debug({ lane, events: events.length, attempt, gateMs, ms }, 'write landed');
          return done;
        }
      } catch (err) {
        if (!(err instanceof StaleWriteError)) throw err;
        this.counters.staleCommits += 1;
        this.#forget(err.paths);
        this.#deps.log.debug({ paths: err.paths.length, attempt }, 'commit met newer documents; planning again');
      } finally {
        if (place !== undefined) this.#pairsAhead.delete(place);
        release?.();
        beside?.();
      }
      // Pairs are known from memory, not read per plan: what the failed commit wrote of them is read now.
      if (this.#stalePairs.size > 0) await this.#refreshPairs();
      if (attempt >= MAX_REPLANS) throw new Error(`gave up after ${attempt} plans of one batch`);
    }
  }

  /** The plan `write` would commit now, committing nothing (a dry run); reads what it needs. */
  async plan(events: readonly PlannerEvent[]): Promise<DrivenPlan> {
    const self = this.#deps.self();
    if (!self) throw new NotPairedError(this.accountId);
    return this.#plan(events, self, new Map());
  }

  async #plan(
    events: readonly PlannerEvent[],
    self: SelfIdentity,
    versions: Versions,
    watch?: ReadWatch,
    ahead: ReadonlyMap<string, LidPnPairDoc> = new Map(),
  ): Promise<DrivenPlan> {
    // Planning is synchronous work of up to a few hundred ms; plans of many accounts whose reads
    // answered together would otherwise run back to back as one burst of promise callbacks, with
    // no timer in between — the lease's renewal and deadline among them.
    await setImmediate();
    for (const path of this.#pairs.keys()) {
      const cached = this.#cache.get(path);
      if (cached) versions.set(path, cached);
    }
    const pairs = new Map([...this.#pairs, ...ahead]);
    if (watch) for (const [path, pair] of pairs) watch.knownPairs.set(path, pair);
    this.counters.plans += 1;
    return await planWithReads(
      { accountId: this.accountId, self, pairs: [...pairs.values()] },
      events,
      {
        now: this.options.now(),
        maxWritesPerCommit: this.options.maxWritesPerCommit,
        pendingTtlMs: this.options.pendingTtlMs,
      },
      (requests, snapshot) => {
        watch?.noteReads(this.accountId, requests);
        return this.#reader.read(requests, snapshot, versions);
      },
      new SnapshotStore(),
    );
  }

  /**
   * One plan and its commits; undefined when it must be planned again (another plan committed
   * first). `holding`: the gate is held throughout; `optimistic` (history): planned without it,
   * taken per commit step; `beside` (live): planned and committed beside a watched history step
   * holding it. The last two are watched.
   */
  async #planAndCommit(
    events: readonly PlannerEvent[],
    lane: Lane,
    mode: PlanMode,
    keepGoing: () => boolean,
    alongside: AlongsideWrite | undefined,
    after: Promise<unknown> | undefined,
    place?: number,
  ): Promise<PlanStats | undefined> {
    const self = this.#deps.self();
    if (!self) throw new NotPairedError(this.accountId);
    const holding = mode === 'holding';
    const versions: Versions = new Map();
    // Without the gate, what other plans land or have in flight is checked against what this one read.
    const watch = holding ? undefined : new ReadWatch(versions);
    if (watch) {
      for (const commit of this.#inFlight) watch.noteCommit(commit);
      this.#watches.add(watch);
    }
    try {
      const ahead = new Map<string, LidPnPairDoc>();
      const plan = await this.#planInTurn(
        events,
        self,
        versions,
        watch,
        mode === 'optimistic' ? place : undefined,
        ahead,
      );
      // Planned while the write before it committed; its commits, which the watch saw land, follow.
      await this.#landedFirst(after);
      // The pairs it planned with, learned by writes before it, must have landed: `after` may be one
      // that never rejects (the previous chunk's tail), and a write that failed stored none of them.
      if (!this.#stored(ahead)) return undefined;
      // Pairs change how every other plan keys its documents: learned holding the gate, not beside.
      if (mode === 'beside' && plan.commits.some(learnsPairs)) return undefined;
      const last = plan.commits.at(-1);
      if (alongside && !last) await this.#alone(alongside);
      for (const group of commitGroups(plan.commits, this.options.commitConcurrency, alongside && last)) {
        // The live lane holds the gate throughout (or runs beside a history step); history takes
        // it per step and checks that nothing it read changed since.
        if (!keepGoing()) throw new WriteStoppedError(this.accountId, 'stopped between commits');
        // The budget before the gate: a throttled import must not hold the gate while it waits.
        if (!holding) await this.#budget(group, lane);
        const release = mode === 'optimistic' ? await this.#gate.acquire(lane, true) : undefined;
        try {
          if (watch?.stale) {
            // What this plan read of them may have been answered after they landed, and cached
            // over the newer documents: the next plan reads them again.
            this.#forget(watch.readAndLanded());
            return undefined;
          }
          if (holding) await this.#budget(group, lane);
          // From the check on, synchronously: the step's commits are in flight for every watch.
          this.#starting(group, watch);
          // Every commit of the step settles before the gate goes or the plan is made again (a
          // failed one must not leave its step-mate in flight); each one that landed told the watches.
          const settled = await Promise.allSettled(
            group.map((commit) => this.#commit(commit, versions, watch, commit === last ? alongside : undefined)),
          ).finally(() => {
            for (const commit of group) this.#inFlight.delete(commit);
          });
          const failed = settled.find((result) => result.status === 'rejected');
          if (failed) throw failed.reason;
        } finally {
          release?.();
        }
      }
      for (const pair of plan.learned) this.#pairs.set(this.#pairPath(pair), pair);
      this.#count(plan.stats);
      return plan.stats;
    } finally {
      if (watch) this.#watches.delete(watch);
    }
  }

  /**
   * A history write planned before the writes it follows have landed (`place`) waits for their
   * plans and plans with the pairs they learned; its own are then known to the writes after it.
   * Only planning waits its turn, which nothing else holds: no wait here waits on a commit.
   */
  async #planInTurn(
    events: readonly PlannerEvent[],
    self: SelfIdentity,
    versions: Versions,
    watch: ReadWatch | undefined,
    place: number | undefined,
    /** Filled with the pairs of earlier writes it planned with. */
    ahead: Map<string, LidPnPairDoc>,
  ): Promise<DrivenPlan> {
    if (place === undefined) return this.#plan(events, self, versions, watch);
    const before = this.#historyPlanning;
    let done!: () => void;
    this.#historyPlanning = new Promise<void>((resolve) => (done = resolve));
    try {
      await before;
      for (const [at, pairs] of this.#pairsAhead) {
        if (at >= place) continue;
        for (const pair of pairs) ahead.set(this.#pairPath(pair), pair);
      }
      const plan = await this.#plan(events, self, versions, watch, ahead);
      if (plan.learned.length > 0) this.#pairsAhead.set(place, plan.learned);
      return plan;
    } finally {
      done();
    }
  }

  #pairPath(pair: LidPnPairDoc): string {
    return paths.lidPnPair(this.accountId, lidPnPairDocId(pair));
  }

  /** Every pair of `ahead` is stored as it was planned with (learned by the writer, none of them in doubt). */
  #stored(ahead: ReadonlyMap<string, LidPnPairDoc>): boolean {
    if (ahead.size === 0) return true;
    if (this.#stalePairs.size > 0) return false;
    for (const [path, pair] of ahead) {
      const known = this.#pairs.get(path);
      if (!known || !samePair(known, pair)) return false;
    }
    return true;
  }

  /** Waits for the write this one follows (`write`'s `after`); throws when it failed. */
  async #landedFirst(after: Promise<unknown> | undefined): Promise<void> {
    if (!after) return;
    try {
      await after;
    } catch {
      throw new WriteStoppedError(this.accountId, 'the write it follows failed');
    }
  }

  async #budget(group: readonly Commit[], lane: Lane): Promise<void> {
    const budget = this.#deps.budget;
    if (budget) await Promise.all(group.map((commit) => budget.acquire(this.accountId, commit.writes, lane)));
  }

  /** `alongside` of a write whose plan has no commit: in a fenced transaction of its own, retried like a commit. */
  async #alone(alongside: AlongsideWrite): Promise<void> {
    await withRetry(
      async () => {
        try {
          return await this.#deps.fence.run((tx) => alongside(tx));
        } catch (err) {
          if (isLeaseLost(err)) this.close();
          throw err;
        }
      },
      this.options.retry,
      { shouldStop: () => this.#closed, onRetry: () => (this.counters.retries += 1) },
    );
  }

  async #commit(commit: Commit, versions: Versions, own?: ReadWatch, alongside?: AlongsideWrite): Promise<void> {
    const outcome = await withRetry(
      async () => {
        try {
          return await this.#executor.run(commit, versions, this.#deps.fence, alongside);
        } catch (err) {
          if (isLeaseLost(err)) this.close();
          // The outcome is unknown (the commit may have landed): forget what we knew of its documents,
          // and open history plans that read them must read again.
          this.#forget(commitPaths(commit));
          this.#landed(commit, own);
          throw err;
        }
      },
      this.options.retry,
      {
        shouldStop: () => this.#closed,
        onRetry: (err, attempt, delayMs) => {
          this.counters.retries += 1;
          this.#deps.log.warn({ err, attempt, delayMs, writes: commit.writes }, 'commit failed; retrying');
        },
      },
    );
    this.counters.commits += 1;
    this.counters.writes += commit.writes;
    this.#remember(commit, outcome);
    this.#landed(commit, own);
  }

  /** `group` goes out now: every other open plan's watch counts it as landed (it may be, at any moment). */
  #starting(group: readonly Commit[], own: ReadWatch | undefined): void {
    for (const commit of group) {
      this.#inFlight.add(commit);
      this.#landed(commit, own);
    }
  }

  /** Tells every other open watched plan what `commit` (of the plan watched by `own`, if any) touched. */
  #landed(commit: Commit, own: ReadWatch | undefined): void {
    for (const watch of this.#watches) {
      if (watch !== own) watch.noteCommit(commit);
    }
  }

  /**
   * What the writer knew of `paths` may be wrong (a commit that failed on them, or whose outcome is
   * unknown): drop them from the cache, let pending-update documents be read again (they may exist
   * now), and re-read the pairs among them before the next plan.
   */
  #forget(paths: readonly string[]): void {
    for (const path of paths) {
      this.#cache.delete(path);
      const kind = kindOfPath(path);
      if (kind === 'pendingUpdates') this.#pendingIds.add(path.slice(path.lastIndexOf('/') + 1));
      if (kind === 'lidPnPair') this.#stalePairs.add(path);
    }
  }

  async #refreshPairs(): Promise<void> {
    const paths = [...this.#stalePairs];
    this.#stalePairs.clear();
    const { db } = this.#deps;
    const snapshots = await this.#retryRead(() => db.getAll(...paths.map((path) => db.doc(path))));
    this.counters.reads += snapshots.length;
    for (const snapshot of snapshots) {
      if (!snapshot.exists) continue;
      const doc = documents.lidPnPair.fromFirestore(snapshot.data());
      this.#pairs.set(snapshot.ref.path, doc);
      this.#cache.set(snapshot.ref.path, { data: doc, version: snapshot.updateTime ?? null });
    }
  }

  /** A read the writer plans on, retried like a commit while the writer is open. */
  #retryRead<T>(read: () => Promise<T>): Promise<T> {
    return withRetry(read, this.options.retry, {
      shouldStop: () => this.#closed,
      onRetry: (err, attempt, delayMs) => {
        this.counters.retries += 1;
        this.#deps.log.warn({ err, attempt, delayMs }, 'read failed; retrying');
      },
    });
  }

  /** The cache and the pending-id set after a landed commit. */
  #remember(commit: Commit, outcome: CommitOutcome): void {
    for (const path of commitPaths(commit)) {
      const after = outcome.get(path);
      if (after) this.#cache.set(path, after);
      else this.#cache.delete(path);
    }
    for (const op of commit.ops) {
      if (op.kind === 'message' && op.type !== 'delete') {
        const path = op.type === 'rekey' ? op.to : op.path;
        for (const listener of this.#messageListeners) listener(path, op.data as MessageDoc);
      }
      if (op.type !== 'rekey' && op.type !== 'delete' && op.kind === 'thread') this.#threadsTouched.add(op.path);
      if (op.type === 'rekey' || op.kind !== 'pendingUpdates') continue;
      const id = op.path.slice(op.path.lastIndexOf('/') + 1);
      if (op.type === 'delete') this.#pendingIds.delete(id);
      else this.#pendingIds.add(id);
    }
    this.counters.threadsTouched = this.#threadsTouched.size;
  }

  #count(stats: PlanStats): void {
    this.counters.messagesWritten += stats.messagesWritten;
    this.counters.threadsWritten += stats.threadsWritten;
    this.counters.pendingWritten += stats.pendingWritten;
    this.counters.rekeyed += stats.rekeyed;
    this.counters.pairsLearned += stats.pairsLearned;
  }
}
