/**
 * The planner's working copy: reads go through to the store, writes stay here until the plan is
 * emitted as operations. Only the final state of each document is emitted (a document touched by
 * several events is written once), plus the moves (`rekey`) that must be atomic.
 */
import type { MessageDoc, NameDoc, PendingUpdatesDoc, ThreadDoc } from '../schema.ts';
import type { StoredMessage, StoreView } from './types.ts';

/** `threadId/docId`: one key per message document of the account. */
export function messageKey(threadId: string, docId: string): string {
  return `${threadId}/${docId}`;
}

export function splitMessageKey(key: string): { threadId: string; docId: string } {
  const slash = key.indexOf('/');
  return { threadId: key.slice(0, slash), docId: key.slice(slash + 1) };
}

export class Overlay {
  readonly #store: StoreView;
  /** Written message docs (null: deleted), in first-write order. */
  readonly messages = new Map<string, MessageDoc | null>();
  readonly pending = new Map<string, PendingUpdatesDoc | null>();
  readonly threads = new Map<string, ThreadDoc | null>();
  /** Written name docs by JID (null: deleted — its names were joined into the JID's thread). */
  readonly names = new Map<string, NameDoc | null>();
  /** Message moves: old key → new key. */
  readonly moves = new Map<string, string>();
  /** Docs written per thread (for recomputing a thread's newest message). */
  readonly #byThread = new Map<string, Set<string>>();

  constructor(store: StoreView) {
    this.#store = store;
  }

  get store(): StoreView {
    return this.#store;
  }

  message(threadId: string, docId: string): MessageDoc | undefined {
    const key = messageKey(threadId, docId);
    if (this.messages.has(key)) return this.messages.get(key) ?? undefined;
    return this.#store.message(threadId, docId);
  }

  setMessage(threadId: string, docId: string, doc: MessageDoc | null): void {
    const key = messageKey(threadId, docId);
    this.messages.set(key, doc);
    let keys = this.#byThread.get(threadId);
    if (!keys) {
      keys = new Set();
      this.#byThread.set(threadId, keys);
    }
    keys.add(docId);
  }

  move(from: { threadId: string; docId: string }, to: { threadId: string; docId: string }, doc: MessageDoc): void {
    this.setMessage(from.threadId, from.docId, null);
    this.setMessage(to.threadId, to.docId, doc);
    this.moves.set(messageKey(from.threadId, from.docId), messageKey(to.threadId, to.docId));
  }

  pendingFor(messageId: string): PendingUpdatesDoc | undefined {
    if (this.pending.has(messageId)) return this.pending.get(messageId) ?? undefined;
    return this.#store.pending(messageId);
  }

  name(jid: string): NameDoc | undefined {
    if (this.names.has(jid)) return this.names.get(jid) ?? undefined;
    return this.#store.name(jid);
  }

  thread(threadId: string): ThreadDoc | undefined {
    if (this.threads.has(threadId)) return this.threads.get(threadId) ?? undefined;
    return this.#store.thread(threadId);
  }

  /** The thread's messages as they are in this plan: the newest stored ones plus everything written here. */
  newestCandidates(threadId: string): StoredMessage[] {
    const written = this.#byThread.get(threadId) ?? new Set<string>();
    const stored = this.#store.newestMessages(threadId, written.size + 1);
    const out: StoredMessage[] = [];
    for (const m of stored) if (!written.has(m.docId)) out.push(m);
    for (const docId of written) {
      const doc = this.message(threadId, docId);
      if (doc) out.push({ threadId, docId, doc });
    }
    return out;
  }
}
