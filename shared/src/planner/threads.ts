/**
 * Thread documents in a plan: one write per touched thread, at the end of the plan, carrying the
 * summary of every message written to it.
 *
 * The stored summary must equal the summary of the thread's stored messages whatever the order of
 * events (I1). `mergeThreadSummary` is a join for new messages; the one case it cannot handle is the
 * current last message becoming EARLIER — its timestamp is a minimum over sightings, and a buffered
 * sighting may have carried a later receipt or edit time — because then another message may be the
 * newest. That case re-reads the thread's newest messages (`StoreView.newestMessages`).
 */
import type { AliasResolver, ThreadMergePlan } from '../identity/alias-resolver.ts';
import { mergeThreadDocs } from '../identity/thread-merge.ts';
import type { EpochMs, MessageDoc, ThreadDoc, ThreadKind } from '../schema.ts';
import { mergeThreadSummary, summarizeMessage, type ThreadSummary } from '../thread-summary.ts';
import { sameContent } from './equal.ts';
import { nameFields, nameOfThread, type ThreadName, threadName } from './names.ts';
import type { Overlay } from './overlay.ts';

interface ThreadWork {
  jid: string;
  kind: ThreadKind;
  /** The thread doc so far (stored, or merged from an absorbed thread); undefined for a new thread. */
  doc: ThreadDoc | undefined;
  summary: ThreadSummary | undefined;
  recompute: boolean;
  /** Its name must be computed again: a new thread, a merge, new aliases or a new name of one of its JIDs. */
  rename: boolean;
}

/** What a message shows in its thread's `lastMessage`: its current text, none once deleted. */
function summaryOf(doc: MessageDoc): ThreadSummary {
  const text = doc.deleted ? null : (doc.edited?.text ?? doc.text);
  return summarizeMessage({ ...doc, text });
}

function summaryFields(doc: ThreadDoc): ThreadSummary {
  const summary: ThreadSummary = { lastMessageAt: doc.lastMessageAt, lastMessage: doc.lastMessage };
  if (doc.oldestMessageAt !== undefined) summary.oldestMessageAt = doc.oldestMessageAt;
  return summary;
}

export class ThreadWrites {
  readonly #work = new Map<string, ThreadWork>();
  readonly #overlay: Overlay;
  readonly #resolver: AliasResolver;

  constructor(overlay: Overlay, resolver: AliasResolver) {
    this.#overlay = overlay;
    this.#resolver = resolver;
  }

  #get(threadId: string, jid: string, kind: ThreadKind): ThreadWork {
    let work = this.#work.get(threadId);
    if (!work) {
      const doc = this.#overlay.thread(threadId);
      work = {
        jid: doc?.jid ?? jid,
        kind: doc?.kind ?? kind,
        doc,
        summary: doc && summaryFields(doc),
        recompute: false,
        rename: doc === undefined,
      };
      this.#work.set(threadId, work);
    }
    return work;
  }

  /** A message of the thread was written as `doc` (new, joined or moved in). */
  messageWritten(threadId: string, jid: string, kind: ThreadKind, doc: MessageDoc): void {
    const work = this.#get(threadId, jid, kind);
    const incoming = summaryOf(doc);
    const current = work.summary;
    if (current && current.lastMessage.id === doc.id && current.lastMessage.fromMe === doc.fromMe) {
      if (doc.timestamp < current.lastMessageAt) work.recompute = true;
      const oldest = Math.min(current.oldestMessageAt ?? doc.timestamp, doc.timestamp);
      work.summary = { lastMessageAt: doc.timestamp, lastMessage: incoming.lastMessage, oldestMessageAt: oldest };
    } else {
      work.summary = mergeThreadSummary(current, incoming);
    }
  }

  /** `plan.absorbed` (stored as `absorbed`) is merged into `plan.survivor`; the caller deletes the absorbed doc. */
  merged(plan: ThreadMergePlan, absorbed: ThreadDoc): void {
    const gone = this.#work.get(plan.absorbed.threadId);
    this.#work.delete(plan.absorbed.threadId);
    const from: ThreadDoc = gone?.summary ? { ...absorbed, ...gone.summary } : absorbed;
    const work = this.#get(plan.survivor.threadId, plan.survivor.jid, 'dm');
    const current = work.doc && work.summary ? { ...work.doc, ...work.summary } : undefined;
    const doc = mergeThreadDocs(current, from, plan);
    work.doc = doc;
    work.summary = summaryFields(doc);
    work.recompute ||= gone?.recompute === true;
    work.rename = true;
  }

  /** An existing thread whose `aliases` may have changed. */
  aliasesChanged(threadId: string, jid: string): void {
    if (this.#overlay.thread(threadId)) this.#get(threadId, jid, 'dm').rename = true;
  }

  /** An existing thread one of whose JIDs got a new name. */
  namesChanged(threadId: string, jid: string): void {
    const stored = this.#overlay.thread(threadId);
    if (stored) this.#get(threadId, jid, stored.kind).rename = true;
  }

  /**
   * The thread's name: the best of the one it carries and those of its JIDs' name documents, which
   * it takes over — they are deleted (after the thread's own write: the plan emits them last).
   */
  #name(work: ThreadWork, aliases: readonly string[]): ThreadName | undefined {
    const jids = [work.jid, ...aliases];
    const docs = jids.map((jid) => this.#overlay.name(jid));
    const name = threadName(work.kind, nameOfThread(work.doc), docs);
    for (const [i, jid] of jids.entries()) if (docs[i]) this.#overlay.names.set(jid, null);
    return name;
  }

  #recomputed(threadId: string, work: ThreadWork): ThreadSummary | undefined {
    let summary: ThreadSummary | undefined;
    for (const { doc } of this.#overlay.newestCandidates(threadId))
      summary = mergeThreadSummary(summary, summaryOf(doc));
    const oldest = work.summary?.oldestMessageAt;
    if (summary && oldest !== undefined) summary.oldestMessageAt = Math.min(summary.oldestMessageAt ?? oldest, oldest);
    return summary;
  }

  /** The thread docs to write: only those whose content changed. */
  finish(now: EpochMs): Array<{ threadId: string; doc: ThreadDoc; existed: boolean }> {
    const out: Array<{ threadId: string; doc: ThreadDoc; existed: boolean }> = [];
    for (const [threadId, work] of this.#work) {
      const summary = work.recompute ? this.#recomputed(threadId, work) : work.summary;
      if (!summary) continue;
      const doc: ThreadDoc = {
        ...work.doc,
        jid: work.jid,
        aliases: work.kind === 'dm' ? this.#resolver.aliasesOf(work.jid) : (work.doc?.aliases ?? []),
        kind: work.kind,
        lastMessageAt: summary.lastMessageAt,
        lastMessage: summary.lastMessage,
        updatedAt: now,
      };
      if (summary.oldestMessageAt !== undefined) doc.oldestMessageAt = summary.oldestMessageAt;
      else delete doc.oldestMessageAt;
      if (work.rename) {
        const name = this.#name(work, doc.aliases);
        delete doc.name;
        delete doc.nameFrom;
        if (name) Object.assign(doc, nameFields(name));
      }
      const stored = this.#overlay.store.thread(threadId);
      if (stored && sameContent(stored, doc)) continue;
      this.#overlay.threads.set(threadId, doc);
      out.push({ threadId, doc, existed: stored !== undefined });
    }
    return out;
  }
}
