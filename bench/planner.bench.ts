/**
 * The write path of the domain core: `normalizeBaileysEvents` → `planWrites` → commits applied to
 * the in-memory model, over a large history chunk built with Baileys' own code (`HistorySync`
 * encoded, decoded and run through `processHistoryMessage`: real `Long`s, embedded receipts and
 * reactions, LID chats with `pnJid`, LID-addressed group participants).
 *
 * Baseline in the same run: a naive writer — normalise each message and `set` it plus its thread,
 * with no reads, no join and no chunking (what "the normaliser's output, written" amounts to). It
 * is the floor in time and the ceiling in writes: it rewrites everything on a replay.
 *
 * Lines: throughput of both (msg/s) and their ratio; Firestore writes per message on first import
 * and on a replay; heap held per message while planning the whole chunk in one call; re-keying
 * after a late mapping; and `mergeMessageDoc` against a plain object spread.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type BaileysEventMap, processHistoryMessage, proto } from '@whiskeysockets/baileys';
import { threadDocId } from '../shared/src/ids.ts';
import { mergeMessageDoc } from '../shared/src/message-doc/merge.ts';
import type { MessageDocDraft } from '../shared/src/message-doc/types.ts';
import { normalizeBaileysEvents, normalizeMessage } from '../shared/src/normalize/index.ts';
import { InMemoryStore, planWrites } from '../shared/src/planner/index.ts';
import type { PlannerEvent } from '../shared/src/planner/types.ts';
import { paths } from '../shared/src/schema.ts';
import { SELF, T0 } from '../shared/test/fixtures/wa-messages.ts';
import type { Emit } from './types.ts';

const CONVERSATIONS = Number(process.env.BENCH_PLANNER_CONVERSATIONS ?? 400);
const PER_CONVERSATION = 50;
const MESSAGES_PER_PLAN = 1000;
const ROUNDS = 5;
/** Passes over the drafts per timed merge round, so that a round lasts long enough to time. */
const MERGE_REPEAT = 20;
const RECEIVED_AT = (T0 + 86_400) * 1000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** One big history chunk as `messaging-history.set` delivers it. */
function historyChunk(): BaileysEventMap['messaging-history.set'] {
  const conversations: proto.IConversation[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    const group = c % 4 === 0;
    const lid = `${200_000_000_000 + c}@lid`;
    const pn = `49151${String(c).padStart(8, '0')}@s.whatsapp.net`;
    const id = group ? `120363${String(c).padStart(12, '0')}@g.us` : lid;
    const messages: proto.IHistorySyncMsg[] = [];
    for (let j = 0; j < PER_CONVERSATION; j++) {
      const fromMe = j % 3 === 0;
      messages.push({
        message: {
          key: {
            remoteJid: id,
            fromMe,
            id: `H${c}-${j}`,
            participant: group && !fromMe ? `${300_000 + j}@lid` : undefined,
          },
          messageTimestamp: T0 - j * 60,
          status: fromMe ? proto.WebMessageInfo.Status.READ : undefined,
          message:
            j % 5 === 0
              ? { imageMessage: { caption: 'photo', fileLength: 5000, mimetype: 'image/jpeg' } }
              : { conversation: `message ${j} of chat ${c}` },
          userReceipt: fromMe
            ? [
                {
                  userJid: group ? `${300_001}@lid` : lid,
                  receiptTimestamp: T0 - j * 60 + 5,
                  readTimestamp: T0 - j * 60 + 50,
                },
              ]
            : [],
          reactions:
            j % 7 === 0
              ? [
                  {
                    key: { remoteJid: id, fromMe: !fromMe, id: `R${c}-${j}` },
                    text: '👍',
                    senderTimestampMs: (T0 - j * 60 + 9) * 1000,
                  },
                ]
              : [],
        },
      });
    }
    conversations.push({ id, pnJid: group ? undefined : pn, messages });
  }
  const sync = proto.HistorySync.create({ syncType: proto.HistorySync.HistorySyncType.FULL, conversations });
  return processHistoryMessage(proto.HistorySync.decode(proto.HistorySync.encode(sync).finish()));
}

/** The chunk as the pipeline would feed it: maps of `MESSAGES_PER_PLAN` messages (pairs in the first). */
function slices(chunk: BaileysEventMap['messaging-history.set']): PlannerEvent[][] {
  const out: PlannerEvent[][] = [];
  for (let i = 0; i < chunk.messages.length; i += MESSAGES_PER_PLAN) {
    const map = {
      'messaging-history.set': {
        ...chunk,
        chats: i === 0 ? chunk.chats : [],
        contacts: [],
        messages: chunk.messages.slice(i, i + MESSAGES_PER_PLAN),
      },
    };
    out.push(normalizeBaileysEvents(map, { self: SELF, receivedAt: RECEIVED_AT }).events);
  }
  return out;
}

function planAll(store: InMemoryStore, batches: PlannerEvent[][]): { writes: number; commits: number } {
  let writes = 0;
  let commits = 0;
  for (const events of batches) {
    const plan = planWrites({ accountId: 'bench', self: SELF, pairs: store.pairs(), store }, events, {
      now: RECEIVED_AT,
    });
    for (const commit of plan.commits) {
      store.apply(commit);
      writes += commit.writes;
      commits += 1;
    }
  }
  return { writes, commits };
}

/** The naive writer: every normalised message and its thread set as they are, no reads, no join. */
function naiveAll(chunk: BaileysEventMap['messaging-history.set']): number {
  const docs = new Map<string, unknown>();
  let writes = 0;
  for (const message of chunk.messages) {
    const result = normalizeMessage(message, { source: 'history', receivedAt: RECEIVED_AT, self: SELF });
    if (result.kind !== 'message') continue;
    const threadId = threadDocId(result.ref.chatJid);
    docs.set(paths.message('bench', threadId, `${result.ref.sender ?? 'me'}~${result.ref.id}`), {
      ...result.doc,
      threadId,
    });
    docs.set(paths.thread('bench', threadId), { jid: result.ref.chatJid, lastMessageAt: result.doc.timestamp });
    writes += 2;
  }
  return writes;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function seconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export default async function plannerBench(emit: Emit): Promise<void> {
  const chunk = historyChunk();
  const n = chunk.messages.length;

  // Throughput: normalise + plan + apply, against the naive writer, fresh store each round.
  const planned: number[] = [];
  const naive: number[] = [];
  let first = { writes: 0, commits: 0 };
  for (let round = 0; round < ROUNDS + 1; round++) {
    const store = new InMemoryStore('bench');
    const t = seconds(() => {
      first = planAll(store, slices(chunk));
    });
    const b = seconds(() => naiveAll(chunk));
    if (round > 0) {
      planned.push(n / t);
      naive.push(n / b);
    }
  }
  emit({
    metric: 'planner.history_throughput',
    value: Math.round(median(planned)),
    unit: 'msg/s',
    n,
    rounds: ROUNDS,
    messagesPerPlan: MESSAGES_PER_PLAN,
  });
  emit({
    metric: 'planner.baseline_naive_throughput',
    value: Math.round(median(naive)),
    unit: 'msg/s',
    n,
    rounds: ROUNDS,
  });
  emit({ metric: 'planner.cost_vs_naive', value: Number((median(naive) / median(planned)).toFixed(2)), unit: 'x', n });

  // Writes per message: first import, then a replay of the same chunk (I1: nothing to write).
  const store = new InMemoryStore('bench');
  planAll(store, slices(chunk));
  const replay = planAll(store, slices(chunk));
  emit({
    metric: 'planner.writes_per_message',
    value: Number((first.writes / n).toFixed(3)),
    unit: 'writes/msg',
    n,
    commits: first.commits,
    baselineNaive: 2,
  });
  emit({
    metric: 'planner.replay_writes_per_message',
    value: replay.writes / n,
    unit: 'writes/msg',
    n,
    baselineNaive: 2,
  });

  // Heap held while the whole chunk is planned in one call (plan kept alive), vs. the input events.
  const events = slices(chunk).flat();
  gc();
  const before = process.memoryUsage().heapUsed;
  const plan = planWrites({ accountId: 'bench', self: SELF, pairs: [], store: new InMemoryStore('bench') }, events, {
    now: RECEIVED_AT,
  });
  gc();
  const held = process.memoryUsage().heapUsed - before;
  emit({
    metric: 'planner.heap_per_message',
    value: Math.round(held / n),
    unit: 'B/msg',
    n,
    commits: plan.commits.length,
    maxCommitBytes: Math.max(...plan.commits.map((c) => c.bytes)),
  });

  // Late mapping: group messages of LID participants, then every participant's phone number.
  const groups = new InMemoryStore('bench');
  planAll(groups, slices(chunk));
  const pairs = Array.from({ length: PER_CONVERSATION + 2 }, (_, j) => ({
    lid: `${300_000 + j}@lid`,
    pn: `4917${String(j).padStart(8, '0')}@s.whatsapp.net`,
  }));
  let rekeyed = 0;
  const t = seconds(() => {
    const p = planWrites(
      { accountId: 'bench', self: SELF, pairs: groups.pairs(), store: groups },
      [{ kind: 'aliases', receivedAt: RECEIVED_AT, pairs }],
      { now: RECEIVED_AT },
    );
    rekeyed = p.stats.rekeyed;
    for (const commit of p.commits) groups.apply(commit);
  });
  emit({ metric: 'planner.rekey_throughput', value: Math.round(rekeyed / t), unit: 'docs/s', rekeyed });

  // mergeMessageDoc against a plain spread (which is wrong, but is what "last write wins" costs).
  const drafts = events.flatMap((e) => (e.kind === 'message' ? [e.doc] : [])).slice(0, 5000) as MessageDocDraft[];
  const joins: number[] = [];
  const spreads: number[] = [];
  const merges = MERGE_REPEAT * (drafts.length - 1);
  let sink = 0;
  for (let round = 0; round < ROUNDS + 1; round++) {
    const j = seconds(() => {
      for (let r = 0; r < MERGE_REPEAT; r++) {
        for (let i = 1; i < drafts.length; i++) {
          sink += mergeMessageDoc(drafts[i - 1], drafts[i] as MessageDocDraft).timestamp % 7;
        }
      }
    });
    const s = seconds(() => {
      for (let r = 0; r < MERGE_REPEAT; r++) {
        for (let i = 1; i < drafts.length; i++) sink += ({ ...drafts[i - 1], ...drafts[i] }.timestamp as number) % 7;
      }
    });
    if (round > 0) {
      joins.push(merges / j);
      spreads.push(merges / s);
    }
  }
  emit({ metric: 'merge.throughput', value: Math.round(median(joins)), unit: 'merges/s', n: merges, checksum: sink });
  emit({ metric: 'merge.baseline_spread', value: Math.round(median(spreads)), unit: 'merges/s', n: merges });
  emit({ metric: 'merge.cost_vs_spread', value: Number((median(spreads) / median(joins)).toFixed(2)), unit: 'x' });
}
