/**
 * The reads a plan will ask for, known before planning: the driver fetches them first, so that a
 * batch usually plans once instead of twice (a first pass that only finds out what it lacks, then
 * the real one). Each planning pass joins every message of the batch, so on a history import
 * that first pass was a fifth of the host's CPU.
 *
 * A guess, never a rule: whatever it misses the planning loop still asks for (one more round),
 * and whatever it asks for needlessly costs a read. So it asks only for what the planner reads
 * for sure — each message's document and pending updates, its thread; the threads and queries a
 * newly revealed pair makes the planner look at; the names a new thread or a name event reads —
 * and nothing a live receipt to a stored message would not read anyway.
 *
 * In two steps, as the planner reads: `documents` before anything is known, then `followUps`
 * with those answers (a new thread reads its names, an absorbed thread its messages, an update to
 * an absent message its pending updates).
 */
import { AliasResolver, type CanonicalJid } from '../identity/alias-resolver.ts';
import { checkLidPnPair } from '../identity/lid-pn-pairs.ts';
import { threadDocId } from '../ids.ts';
import type { MessageRef } from '../normalize/types.ts';
import type { LidPnPairDoc, ThreadKind } from '../schema.ts';
import { canonicalRef, locate, mayChange } from './identity.ts';
import type { PlannerEvent, PlannerState, ReadRequest } from './types.ts';

/** What the second step needs to know of stored documents. */
export interface KnownDocuments {
  /** Whether the answer to `request` is known, and whether that answer is a document. */
  answer(request: ReadRequest): 'present' | 'absent' | 'unknown';
}

interface Touched {
  threads: Map<string, { jid: string; kind: ThreadKind }>;
  updates: MessageRef[];
}

/** The two steps of reads a plan of `events` is sure to ask for, worked out once. */
export interface ExpectedReads {
  /** Before anything is known. */
  documents: ReadRequest[];
  /** With the answers to `documents` (and whatever else is `known`). */
  followUps(known: KnownDocuments): ReadRequest[];
}

export function expectedReads(state: Omit<PlannerState, 'store'>, events: readonly PlannerEvent[]): ExpectedReads {
  const resolver = new AliasResolver({ self: state.self, pairs: state.pairs });
  const change = resolver.add(revealedPairs(state, events));
  const documents: ReadRequest[] = [];
  const touched = touchedBy(events, resolver.canonical, documents);
  // The planner asks whether a thread exists for each JID of an identity a pair grew.
  for (const canonical of new Set(change.canonicalChanges.map((c) => c.after))) {
    for (const jid of [canonical, ...resolver.aliasesOf(canonical)])
      documents.push({ kind: 'thread', threadId: threadDocId(jid) });
  }
  for (const { before: stale } of change.canonicalChanges) {
    if (mayChange(stale)) documents.push({ kind: 'referencing', jid: stale });
  }
  const followUps = (known: KnownDocuments): ReadRequest[] => {
    const reads: ReadRequest[] = [];
    // A thread whose JID was canonical before the pair is merged: its messages are moved.
    for (const { jid, before } of change.canonicalChanges) {
      const absorbed = threadDocId(jid);
      if (before === jid && known.answer({ kind: 'thread', threadId: absorbed }) === 'present') {
        reads.push({ kind: 'threadMessages', threadId: absorbed });
      }
    }
    for (const [threadId, { jid, kind }] of touched.threads) {
      if (known.answer({ kind: 'thread', threadId }) !== 'absent') continue;
      // A new thread takes in the names of its JIDs.
      for (const name of [jid, ...(kind === 'dm' ? resolver.aliasesOf(jid) : [])])
        reads.push({ kind: 'name', jid: name });
    }
    for (const target of touched.updates) {
      const { threadId, docId } = locate(target);
      if (known.answer({ kind: 'message', threadId, docId }) === 'absent') {
        reads.push({ kind: 'pending', messageId: target.id });
      }
    }
    return reads;
  };
  return { documents, followUps };
}

/** The threads messages go to and the targets of updates; the first step's reads into `reads`. */
function touchedBy(events: readonly PlannerEvent[], canonical: CanonicalJid, reads: ReadRequest[]): Touched {
  const touched: Touched = { threads: new Map(), updates: [] };
  for (const event of events) {
    if (event.kind === 'message') {
      const ref = canonicalRef(event.ref, canonical);
      const { threadId, docId } = locate(ref);
      reads.push({ kind: 'message', threadId, docId }, { kind: 'pending', messageId: ref.id });
      if (!touched.threads.has(threadId)) {
        touched.threads.set(threadId, { jid: ref.chatJid, kind: ref.threadKind });
        reads.push({ kind: 'thread', threadId });
      }
    } else if (event.kind === 'update') {
      const target = canonicalRef(event.target, canonical);
      const { threadId, docId } = locate(target);
      reads.push({ kind: 'message', threadId, docId });
      touched.updates.push(target);
    } else if (event.kind === 'name') {
      reads.push({ kind: 'name', jid: event.jid }, { kind: 'thread', threadId: threadDocId(canonical(event.jid)) });
    }
  }
  return touched;
}

/** The valid pairs the events reveal, as the planner learns them. */
function revealedPairs(state: Omit<PlannerState, 'store'>, events: readonly PlannerEvent[]): LidPnPairDoc[] {
  const pairs: LidPnPairDoc[] = [];
  for (const event of events) {
    if (event.kind === 'name') continue;
    for (const raw of event.kind === 'aliases' ? event.pairs : event.aliases) {
      const check = checkLidPnPair(raw.lid, raw.pn, state.self);
      if (check.ok) pairs.push({ ...check.pair, learnedAt: event.receivedAt });
    }
  }
  return pairs;
}
