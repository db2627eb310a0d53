/**
 * The sync pipeline (issue 13) on a generated history (`sync/history.ts`: 200 threads, DMs by
 * phone number and by LID, groups, text, media metadata, quotes, revokes, receipts, reactions,
 * edits), through `HistoryIngest` — the host's own path — fenced by a lease as on the host:
 *
 * (a) into the test Firestore: messages/s, Firestore reads and writes per message and commits per
 *     1,000 messages, metered at the client's RPC funnel (`sync/meter.ts`: everything — raw
 *     history, progress, lease reads — not only the writer's own counts), against the naive
 *     writer (`sync/naive-writer.ts`: one `set()` per message plus one thread update) in the
 *     same run on the same backend — and again with BENCH_SYNC_RTT_MS added to every request, as
 *     a network between host and Firestore adds it;
 * (b) the pipeline without Firestore: raw encoding, normalisation and planning in 2,000-message
 *     slices against a counting in-memory store;
 * (c) peak RSS importing 25,000 and 100,000 messages, each in a fresh process (`sync/rss-child.ts`),
 *     with its heap after a full GC once done and V8's heap limit (which sets how much garbage V8
 *     lets pile up before a full GC: see the child);
 * (d) a live message's latency from `messages.upsert` to the commit that stored it (and to a
 *     listener of another client seeing the document) while
 *     a history import of the same account runs — under the host's write budget, and unthrottled —
 *     against the same with no import; with the event loop's delays meanwhile.
 *
 * Knobs: BENCH_SYNC_MESSAGES (20000), BENCH_SYNC_NAIVE_MESSAGES (as many), BENCH_SYNC_RTT_MS (10),
 * BENCH_SYNC_RSS_MESSAGES ("25000,100000"), BENCH_SYNC_ROUNDS (3), BENCH_SYNC_RSS_OLD_SPACE_MB
 * (unset: the host's own heap limit, the Dockerfile's NODE_OPTIONS; "default": the limit Node
 * derives from this machine's memory — 4 GiB here), BENCH_SYNC_PARTS ("a,b,c,d").
 */
import { execFile } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { processHistoryMessage, proto, type WAMessage } from '@whiskeysockets/baileys';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';
import { hostNodeOptions } from '../scripts/lib/dockerfile.ts';
import { DEMO_PROJECT, startFirestoreBackend } from '../scripts/lib/firestore-backend.ts';
import { threadDocId } from '../shared/src/ids.ts';
import { normalizeBaileysEvents } from '../shared/src/normalize/index.ts';
import { InMemoryStore, planFromStore } from '../shared/src/planner/index.ts';
import { paths } from '../shared/src/schema.ts';
import { type Fence, leaseFence } from '../socket-host/src/accounts/fence.ts';
import { DEFAULT_SYNC_OPTIONS } from '../socket-host/src/pipeline/account-sync.ts';
import { encodeRawHistory } from '../socket-host/src/pipeline/history/raw-codec.ts';
import { historySlices } from '../socket-host/src/pipeline/history/slices.ts';
import { HistoryIngest } from '../socket-host/src/pipeline/ingest.ts';
import { WriteBudget } from '../socket-host/src/pipeline/writer/write-budget.ts';
import { ME } from '../socket-host/test/support/sync.ts';
import { type BenchHistory, benchHistory } from './sync/history.ts';
import { type FirestoreMeter, meterFirestore, onCommitted } from './sync/meter.ts';
import { naiveImport } from './sync/naive-writer.ts';
import type { Emit } from './types.ts';

const MESSAGES = Number(process.env.BENCH_SYNC_MESSAGES ?? 20_000);
const NAIVE_MESSAGES = Number(process.env.BENCH_SYNC_NAIVE_MESSAGES ?? MESSAGES);
const RSS_MESSAGES = (process.env.BENCH_SYNC_RSS_MESSAGES ?? '25000,100000').split(',').filter(Boolean).map(Number);
/** The RSS children's heap flags: the host's (its container's NODE_OPTIONS), a given old-generation limit, or Node's default. */
const RSS_HEAP_FLAGS = ((mb = process.env.BENCH_SYNC_RSS_OLD_SPACE_MB) =>
  mb === undefined
    ? hostNodeOptions().split(' ').filter(Boolean)
    : mb === 'default'
      ? []
      : [`--max-old-space-size=${mb}`])();
/** Added to every Firestore request in a second comparison with the naive writer (0 skips it). */
const RTT_MS = Number(process.env.BENCH_SYNC_RTT_MS ?? 10);
/**
 * Part (a)'s pipeline and naive imports, measured in turn this many times (after a cold import
 * and a naive warm-up). On this kind of shared 2-core machine one writer's rate swings by ±15 %
 * between runs minutes apart, so a ratio of one run each can land anywhere in a ±30 % band; the
 * reported ratio is the median of the rounds' (each round's two runs side by side).
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_SYNC_ROUNDS ?? 3));
/** Which parts run (a: import vs naive, b: pipeline only, c: peak RSS, d: live latency). */
const PARTS = new Set((process.env.BENCH_SYNC_PARTS ?? 'a,b,c,d').split(','));
const LIVE_EVERY_MS = 100;
const IDLE_LIVE_MESSAGES = 30;
const HOLDER = 'bench-host';
const RSS_CHILD = fileURLToPath(new URL('./sync/rss-child.ts', import.meta.url));

const round = (x: number) => Math.round(x * 1000) / 1000;
const seconds = (since: number) => (performance.now() - since) / 1000;

/** A paired account with a lease this process holds (the fence reads it in every commit, as on the host). */
async function leasedAccount(db: Firestore, accountId: string) {
  await db.doc(paths.account(accountId)).set({ displayName: accountId, me: ME });
  await db.doc(paths.lease(accountId)).set({ holder: HOLDER, epoch: 1 });
  return leaseFence(db, accountId, HOLDER, 1);
}

/**
 * The ingest of a paired, leased account (`leasedAccount` creates both; on a host they exist before
 * any import, so the figures call it apart, before they start counting writes and time).
 */
async function openIngest(db: Firestore, accountId: string, budget?: WriteBudget, fence?: Fence) {
  const leased = fence ?? (await leasedAccount(db, accountId));
  return HistoryIngest.open({ db, accountId, me: ME, source: 'import', fence: leased, ...(budget ? { budget } : {}) });
}

function delta(meter: FirestoreMeter, before: FirestoreMeter): FirestoreMeter {
  return {
    reads: meter.reads - before.reads,
    writes: meter.writes - before.writes,
    commits: meter.commits - before.commits,
  };
}

// ── (a) into Firestore, against the naive writer ───────────────────────────────────────────────

/** Empties the emulator: each run starts on an empty database (see `bench`). */
type Fresh = () => Promise<void>;

/** One import of `history` into an empty database, metered. */
async function timedImport(db: Firestore, meter: FirestoreMeter, history: BenchHistory, fresh: Fresh) {
  await fresh();
  const accountId = `bench-sync-${Date.now()}`;
  const fence = await leasedAccount(db, accountId);
  const before = { ...meter };
  const started = performance.now();
  const ingest = await openIngest(db, accountId, undefined, fence);
  await ingest.historySyncs(history.chunks);
  const summary = await ingest.finish();
  const took = seconds(started);
  return { summary, took, used: delta(meter, before), rate: summary.historyMessages / took };
}

/** One naive import of `history` into an empty database, metered. */
async function timedNaive(db: Firestore, meter: FirestoreMeter, history: BenchHistory, fresh: Fresh) {
  await fresh();
  const before = { ...meter };
  const started = performance.now();
  const messages = await naiveImport(db, `bench-naive-${Date.now()}`, history.chunks, Date.now());
  const took = seconds(started);
  return { messages, used: delta(meter, before), rate: messages / took };
}

/**
 * The pipeline's figures are those of its imports after the first in this process: the first one
 * also pays for compiling the pipeline's code and growing the heap, which a host pays once (its
 * `cold` figure is reported beside). The naive writer is warmed up too, on a small history. Then
 * `ROUNDS` rounds of one pipeline import and one naive import; the figures are the round with the
 * median ratio's.
 */
async function importFigures(db: Firestore, meter: FirestoreMeter, history: BenchHistory, emit: Emit, fresh: Fresh) {
  const cold = await timedImport(db, meter, history, fresh);
  const naiveHistory = NAIVE_MESSAGES < MESSAGES ? benchHistory(NAIVE_MESSAGES, 'sync-bench') : history;
  await fresh();
  await naiveImport(db, `bench-naive-warm-${Date.now()}`, benchHistory(1_000, 'sync-warm').chunks, Date.now());
  const rounds: Array<{
    pipeline: Awaited<ReturnType<typeof timedImport>>;
    naive: Awaited<ReturnType<typeof timedNaive>>;
  }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const pipeline = await timedImport(db, meter, history, fresh);
    const naive = await timedNaive(db, meter, naiveHistory, fresh);
    process.stderr.write(
      `bench: round ${i + 1}/${ROUNDS}: pipeline ${Math.round(pipeline.rate)} msg/s, naive ${Math.round(naive.rate)} msg/s\n`,
    );
    rounds.push({ pipeline, naive });
  }
  const ratio = (r: (typeof rounds)[number]) => r.pipeline.rate / r.naive.rate;
  const middle = [...rounds].sort((a, b) => ratio(a) - ratio(b))[Math.floor((rounds.length - 1) / 2)]!;
  const { summary, took, used, rate } = middle.pipeline;
  const messages = summary.historyMessages;
  const { messages: naiveMessages, used: naive, rate: naiveRate } = middle.naive;

  const common = { messages, threads: history.threads.length, chunks: history.chunks.length, backend: 'embedded' };
  emit({
    metric: 'sync.import.throughput',
    value: round(rate),
    unit: 'msg/s',
    ...common,
    vs_naive: round(rate / naiveRate),
    cold: round(cold.rate),
    cold_vs_naive: round(cold.rate / naiveRate),
    rounds_vs_naive: rounds.map((r) => round(ratio(r))),
    rounds_msg_per_s: rounds.map((r) => round(r.pipeline.rate)),
  });
  emit({
    metric: 'sync.import.naive_throughput',
    value: round(naiveRate),
    unit: 'msg/s',
    messages: naiveMessages,
    rounds_msg_per_s: rounds.map((r) => round(r.naive.rate)),
  });
  for (const kind of ['writes', 'reads'] as const) {
    emit({
      metric: `sync.import.${kind}_per_message`,
      value: round(used[kind] / messages),
      unit: kind,
      ...common,
      writer_only: round(summary[kind] / messages),
      naive: round(naive[kind] / naiveMessages),
    });
  }
  emit({
    metric: 'sync.import.commits_per_1k_messages',
    value: round((used.commits / messages) * 1000),
    unit: 'commits',
    ...common,
    writer_only: round((summary.commits / messages) * 1000),
  });
  if (RTT_MS > 0) await withRoundTrips(db, meter, history, emit, fresh);
  return { summary, seconds: took };
}

/**
 * The same comparison with RTT_MS added to every request: the emulator answers over loopback in
 * about a millisecond, Firestore from Cloud Run in several, and the naive writer pays that twice
 * per message while the pipeline pays it a few times per 500 messages. The naive writer gets a
 * 1,000-message history (its rate does not depend on the size).
 */
async function withRoundTrips(db: Firestore, meter: FirestoreMeter, history: BenchHistory, emit: Emit, fresh: Fresh) {
  await fresh();
  meter.delayMs = RTT_MS;
  try {
    const accountId = `bench-rtt-${Date.now()}`;
    const fence = await leasedAccount(db, accountId);
    const started = performance.now();
    const ingest = await openIngest(db, accountId, undefined, fence);
    await ingest.historySyncs(history.chunks);
    const summary = await ingest.finish();
    const rate = summary.historyMessages / seconds(started);
    await fresh();
    const naiveStarted = performance.now();
    const naiveMessages = await naiveImport(
      db,
      `bench-rtt-naive-${Date.now()}`,
      benchHistory(1_000, 'sync-rtt').chunks,
      Date.now(),
    );
    const naiveRate = naiveMessages / seconds(naiveStarted);
    emit({
      metric: 'sync.import.throughput_with_rtt',
      value: round(rate),
      unit: 'msg/s',
      rtt_ms: RTT_MS,
      messages: summary.historyMessages,
      naive: round(naiveRate),
      vs_naive: round(rate / naiveRate),
    });
  } finally {
    meter.delayMs = 0;
  }
}

// ── (b) without Firestore ─────────────────────────────────────────────────────────────────────

async function pipelineOnly(history: BenchHistory, emit: Emit) {
  const store = new InMemoryStore('bench');
  const self = { pn: ME.id, lid: ME.lid };
  const receivedAt = Date.now();
  let messages = 0;
  let writes = 0;
  let commits = 0;
  let rounds = 0;
  const started = performance.now();
  for (const chunk of history.chunks) {
    const set = processHistoryMessage(proto.HistorySync.fromObject(chunk));
    await encodeRawHistory({ set, pairs: [] }); // what the host stores before importing
    const all = normalizeBaileysEvents(
      { 'messaging-history.set': set },
      { self, receivedAt, historySource: 'import' },
    ).events;
    // As the history lane slices a chunk.
    for (const slice of historySlices(all, DEFAULT_SYNC_OPTIONS.historyMessagesPerPlan)) {
      const plan = planFromStore({ accountId: 'bench', self, pairs: store.pairs() }, slice, { now: receivedAt }, store);
      for (const commit of plan.commits) {
        store.apply(commit);
        writes += commit.writes;
      }
      commits += plan.commits.length;
      rounds += plan.rounds;
      messages += slice.filter((e) => e.kind === 'message').length;
    }
  }
  const took = seconds(started);
  emit({
    metric: 'sync.pipeline_only.throughput',
    value: round(messages / took),
    unit: 'msg/s',
    messages,
    writes_per_message: round(writes / messages),
    commits,
    read_rounds: rounds,
  });
  return messages / took;
}

// ── (c) peak RSS, each size in a fresh process ─────────────────────────────────────────────────

async function peakRss(host: string, messages: number) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      // Exposes gc() only: the child collects once, after it read its peak.
      '--expose-gc',
      ...RSS_HEAP_FLAGS,
      '--import',
      'tsx',
      RSS_CHILD,
      String(messages),
      `bench-rss-${messages}-${Date.now()}`,
    ],
    {
      env: { ...process.env, FIRESTORE_EMULATOR_HOST: host },
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    messages: number;
    seconds: number;
    baselineRssMb: number;
    peakRssMb: number;
    heapAfterGcMb: number;
    heapLimitMb: number;
  };
}

// ── (d) live latency during an import ─────────────────────────────────────────────────────────

const PEER = '4917000000001@s.whatsapp.net';

function liveMessage(i: number, prefix = 'LIVE'): WAMessage {
  return {
    key: { remoteJid: PEER, fromMe: false, id: `${prefix}${String(i).padStart(6, '0')}` },
    messageTimestamp: Math.floor(Date.now() / 1000),
    pushName: 'Live Peer',
    message: { conversation: `live message ${i}` },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

type ImportMode = 'idle' | 'host budget' | 'unthrottled';

/** Told the document names of every commit of the benchmark's client (set by `liveLatencies`). */
let committedAt: (names: string[]) => void = () => {};

/**
 * Sends a live message every LIVE_EVERY_MS — while the import runs, or IDLE_LIVE_MESSAGES of them
 * with none — and resolves with each one's latency (ms) and the event loop's delays meanwhile.
 */
async function liveLatencies(db: Firestore, observer: Firestore, mode: ImportMode, fresh: Fresh) {
  await fresh();
  const history = mode === 'idle' ? undefined : benchHistory(MESSAGES, `sync-live-${mode}`);
  const accountId = `bench-live-${Date.now()}-${mode.replace(' ', '-')}`;
  // The host's default budget (SYNC_WRITES_PER_SECOND 500, ramping to 10,000).
  const budget = mode === 'host budget' ? new WriteBudget({ startPerSecond: 500, maxPerSecond: 10_000 }) : undefined;
  const ingest = await openIngest(db, accountId, budget);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let allSeen: () => void = () => {};
  let sending = true;
  // Latency to the commit that stored it (what the pipeline controls), and to a listener seeing it.
  committedAt = (names) => {
    const at = performance.now();
    for (const name of names) {
      const id = /~(LIVE\d+)$/.exec(name)?.[1];
      const sent = id === undefined ? undefined : sentAt.get(id);
      if (sent === undefined || !name.includes(accountId)) continue;
      latencies.push(at - sent);
      sentAt.delete(id!);
      if (!sending && sentAt.size === 0) allSeen();
    }
  };
  const seenBy: number[] = [];
  const sentFirst = new Map<string, number>();
  const unsubscribe = observer.collection(paths.messages(accountId, threadDocId(PEER))).onSnapshot((snap) => {
    const at = performance.now();
    for (const change of snap.docChanges()) {
      const sent = sentFirst.get(change.doc.get('id'));
      if (change.type === 'added' && sent !== undefined) seenBy.push(at - sent);
    }
  });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  try {
    // Warm-up (a host has been running): the account's first live writes, not measured.
    for (let i = 0; i < 3; i++) {
      await ingest.events([{ 'messages.upsert': { messages: [liveMessage(i, 'WARM')], type: 'notify' } }]);
    }
    await ingest.sync.drain();
    if (history) await ingest.historySyncs(history.chunks);
    loop.enable();
    let sent = 0;
    const busy = () => (history ? ingest.counters.historyChunks < history.chunks.length : sent < IDLE_LIVE_MESSAGES);
    const seen = new Promise<void>((resolve) => {
      allSeen = resolve;
    });
    for (let i = 0; busy(); i++) {
      const message = liveMessage(i);
      sent += 1;
      sentAt.set(message.key.id!, performance.now());
      sentFirst.set(message.key.id!, sentAt.get(message.key.id!)!);
      await ingest.events([{ 'messages.upsert': { messages: [message], type: 'notify' } }]);
      await new Promise((resolve) => setTimeout(resolve, LIVE_EVERY_MS));
    }
    sending = false;
    if (sentAt.size > 0) await seen;
    loop.disable();
    const summary = await ingest.finish();
    return { latencies, seenBy, summary, loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6 };
  } finally {
    unsubscribe();
  }
}

async function liveFigures(db: Firestore, observer: Firestore, emit: Emit, fresh: Fresh) {
  const p = (values: number[], q: number) => round(percentile(values, q));
  const idle = await liveLatencies(db, observer, 'idle', fresh);
  const base = { idle_p50: p(idle.latencies, 50), idle_p99: p(idle.latencies, 99) };
  for (const mode of ['host budget', 'unthrottled'] as const) {
    const during = await liveLatencies(db, observer, mode, fresh);
    const common = {
      import: mode,
      live: during.latencies.length,
      history: during.summary.historyMessages,
      import_seconds: round(during.summary.seconds),
      history_replans: during.summary.replans,
      live_beside_fallbacks: during.summary.besideFallbacks,
      every_ms: LIVE_EVERY_MS,
      event_loop_delay_p99_ms: round(during.loopP99Ms),
      event_loop_delay_max_ms: round(during.loopMaxMs),
    };
    const metric = `sync.live.latency_during_import${mode === 'unthrottled' ? '_unthrottled' : ''}`;
    emit({ metric: `${metric}_p50`, value: p(during.latencies, 50), unit: 'ms', ...common, ...base });
    emit({
      metric: `${metric}_p99`,
      value: p(during.latencies, 99),
      unit: 'ms',
      ...common,
      ...base,
      max: p(during.latencies, 100),
      listener_p50: p(during.seenBy, 50),
      listener_p99: p(during.seenBy, 99),
    });
  }
}

export default async function bench(emit: Emit): Promise<void> {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const history = benchHistory(MESSAGES, 'sync-bench');
  const onlyRate = PARTS.has('b') ? await pipelineOnly(history, emit) : undefined;
  const external = process.env.FIRESTORE_EMULATOR_HOST;
  const backend = await startFirestoreBackend();
  process.env.FIRESTORE_EMULATOR_HOST = backend.host; // read when the clients are created
  const app = initializeApp({ projectId: DEMO_PROJECT }, 'bench-sync');
  const observerApp = initializeApp({ projectId: DEMO_PROJECT }, 'bench-sync-observer');
  // The embedded emulator answers collection-group queries (the pipeline's reference lookups
  // after a new LID pair) by scanning every stored message; Firestore uses an index. Every run
  // starts on an empty database, so none pays for the documents of the runs before it.
  const fresh: Fresh = () => backend.clear();
  try {
    const db = getFirestore(app);
    db.settings({ ignoreUndefinedProperties: true });
    const meter = meterFirestore(db);
    onCommitted(db, (names) => committedAt(names));
    const imported = PARTS.has('a') ? await importFigures(db, meter, history, emit, fresh) : undefined;
    if (imported && onlyRate)
      emit({
        metric: 'sync.pipeline_only.vs_firestore',
        value: round(onlyRate / (imported.summary.historyMessages / imported.seconds)),
        unit: 'x',
      });
    if (PARTS.has('d')) await liveFigures(db, getFirestore(observerApp), emit, fresh);
    const rss: Awaited<ReturnType<typeof peakRss>>[] = [];
    for (const messages of PARTS.has('c') ? RSS_MESSAGES : []) {
      await fresh();
      const figures = await peakRss(backend.host, messages);
      rss.push(figures);
      emit({
        metric: 'sync.import.peak_rss',
        value: round(figures.peakRssMb),
        unit: 'MB',
        messages: figures.messages,
        baseline_rss_mb: round(figures.baselineRssMb),
        heap_after_gc_mb: round(figures.heapAfterGcMb),
        heap_limit_mb: round(figures.heapLimitMb),
        heap_flags: RSS_HEAP_FLAGS.join(' ') || 'default',
        seconds: round(figures.seconds),
        ...(rss.length > 1 ? { vs_smallest: round(figures.peakRssMb / rss[0]!.peakRssMb) } : {}),
      });
    }
  } finally {
    await Promise.all([deleteApp(app), deleteApp(observerApp)]);
    await backend.stop();
    if (external) process.env.FIRESTORE_EMULATOR_HOST = external;
    else delete process.env.FIRESTORE_EMULATOR_HOST;
  }
}
