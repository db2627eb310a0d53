/**
 * A `StoreView` over reads fetched beforehand — how the pipeline gives the pure planner what it
 * needs from Firestore. Unknown reads are answered as "absent" and recorded; `planWrites` returns
 * them (`WritePlan.reads`) instead of commits, the pipeline fetches them (`getAll` for documents,
 * `array-contains` / `orderBy(...).limit(...)` queries for the rest) into the snapshot, and plans
 * again. Each round only needs what the previous round's answers point at, so a batch settles in
 * a few rounds.
 */
import type { MessageDoc, NameDoc, PendingUpdatesDoc, ThreadDoc } from '../schema.ts';
import { messageKey } from './overlay.ts';
import type { ReadRequest, StoredMessage, StoreView } from './types.ts';

function requestKey(request: ReadRequest): string {
  switch (request.kind) {
    case 'thread':
      return `t ${request.threadId}`;
    case 'message':
      return `m ${messageKey(request.threadId, request.docId)}`;
    case 'pending':
      return `p ${request.messageId}`;
    case 'referencing':
      return `r ${request.jid}`;
    case 'newest':
      return `n ${request.threadId}`;
    case 'threadMessages':
      return `a ${request.threadId}`;
    case 'name':
      return `j ${request.jid}`;
  }
}

export class SnapshotStore implements StoreView {
  readonly #threads = new Map<string, ThreadDoc | undefined>();
  readonly #messages = new Map<string, MessageDoc | undefined>();
  readonly #pending = new Map<string, PendingUpdatesDoc | undefined>();
  readonly #referencing = new Map<string, { messages: StoredMessage[]; pending: PendingUpdatesDoc[] }>();
  readonly #newest = new Map<string, { limit: number; messages: StoredMessage[] }>();
  readonly #threadMessages = new Map<string, StoredMessage[]>();
  readonly #names = new Map<string, NameDoc | undefined>();
  readonly #missing = new Map<string, ReadRequest>();

  #miss(request: ReadRequest): void {
    const key = requestKey(request);
    const seen = this.#missing.get(key);
    // For `newest`, ask once with the largest limit any lookup needed.
    if (!seen || (seen.kind === 'newest' && request.kind === 'newest' && request.limit > seen.limit)) {
      this.#missing.set(key, request);
    }
  }

  /** Reads asked for and not in the snapshot, since the last `clearMissing()`. */
  missing(): ReadRequest[] {
    return [...this.#missing.values()];
  }

  clearMissing(): void {
    this.#missing.clear();
  }

  /** `requests` whose answers the snapshot lacks, each once. */
  lacking(requests: readonly ReadRequest[]): ReadRequest[] {
    const out = new Map<string, ReadRequest>();
    for (const request of requests) {
      if (this.answer(request) === 'unknown') out.set(requestKey(request), request);
    }
    return [...out.values()];
  }

  /** Whether the snapshot holds the answer to `request`, and (documents) whether it is one. */
  answer(request: ReadRequest): 'present' | 'absent' | 'unknown' {
    const of = <T>(map: Map<string, T | undefined>, key: string) =>
      !map.has(key) ? 'unknown' : map.get(key) === undefined ? 'absent' : 'present';
    switch (request.kind) {
      case 'thread':
        return of(this.#threads, request.threadId);
      case 'message':
        return of(this.#messages, messageKey(request.threadId, request.docId));
      case 'pending':
        return of(this.#pending, request.messageId);
      case 'name':
        return of(this.#names, request.jid);
      case 'referencing':
        return this.#referencing.has(request.jid) ? 'present' : 'unknown';
      case 'threadMessages':
        return this.#threadMessages.has(request.threadId) ? 'present' : 'unknown';
      case 'newest': {
        const newest = this.#newest.get(request.threadId);
        return newest && newest.limit >= request.limit ? 'present' : 'unknown';
      }
    }
  }

  /** Record a fetched read's answer (`undefined`: the document does not exist). */
  addThread(threadId: string, doc: ThreadDoc | undefined): void {
    this.#threads.set(threadId, doc);
  }

  addMessage(threadId: string, docId: string, doc: MessageDoc | undefined): void {
    this.#messages.set(messageKey(threadId, docId), doc);
  }

  addPending(messageId: string, doc: PendingUpdatesDoc | undefined): void {
    this.#pending.set(messageId, doc);
  }

  addReferencing(jid: string, result: { messages: StoredMessage[]; pending: PendingUpdatesDoc[] }): void {
    this.#referencing.set(jid, result);
    for (const m of result.messages) this.addMessage(m.threadId, m.docId, m.doc);
    for (const p of result.pending) this.addPending(p.messageId, p);
  }

  addNewest(threadId: string, limit: number, messages: StoredMessage[]): void {
    this.#newest.set(threadId, { limit, messages });
    for (const m of messages) this.addMessage(m.threadId, m.docId, m.doc);
  }

  addThreadMessages(threadId: string, messages: StoredMessage[]): void {
    this.#threadMessages.set(threadId, messages);
    for (const m of messages) this.addMessage(m.threadId, m.docId, m.doc);
  }

  addName(jid: string, doc: NameDoc | undefined): void {
    this.#names.set(jid, doc);
  }

  name(jid: string): NameDoc | undefined {
    if (!this.#names.has(jid)) this.#miss({ kind: 'name', jid });
    return this.#names.get(jid);
  }

  thread(threadId: string): ThreadDoc | undefined {
    if (!this.#threads.has(threadId)) this.#miss({ kind: 'thread', threadId });
    return this.#threads.get(threadId);
  }

  message(threadId: string, docId: string): MessageDoc | undefined {
    const key = messageKey(threadId, docId);
    if (!this.#messages.has(key)) this.#miss({ kind: 'message', threadId, docId });
    return this.#messages.get(key);
  }

  pending(messageId: string): PendingUpdatesDoc | undefined {
    if (!this.#pending.has(messageId)) this.#miss({ kind: 'pending', messageId });
    return this.#pending.get(messageId);
  }

  referencing(jid: string): { messages: StoredMessage[]; pending: PendingUpdatesDoc[] } {
    const result = this.#referencing.get(jid);
    if (!result) this.#miss({ kind: 'referencing', jid });
    return result ?? { messages: [], pending: [] };
  }

  newestMessages(threadId: string, limit: number): StoredMessage[] {
    const result = this.#newest.get(threadId);
    if (!result || result.limit < limit) {
      // Fewer stored messages than the limit asked means all of them: enough for any limit.
      if (!result || result.messages.length >= result.limit) this.#miss({ kind: 'newest', threadId, limit });
    }
    return (result?.messages ?? []).slice(0, limit);
  }

  threadMessages(threadId: string): StoredMessage[] {
    const result = this.#threadMessages.get(threadId);
    if (!result) this.#miss({ kind: 'threadMessages', threadId });
    return result ?? [];
  }
}

/** Answer `requests` from any complete store (e.g. an `InMemoryStore`, or Firestore through an adapter). */
export function fillSnapshot(snapshot: SnapshotStore, source: StoreView, requests: readonly ReadRequest[]): void {
  for (const request of requests) {
    switch (request.kind) {
      case 'thread':
        snapshot.addThread(request.threadId, source.thread(request.threadId));
        break;
      case 'message':
        snapshot.addMessage(request.threadId, request.docId, source.message(request.threadId, request.docId));
        break;
      case 'pending':
        snapshot.addPending(request.messageId, source.pending(request.messageId));
        break;
      case 'referencing':
        snapshot.addReferencing(request.jid, source.referencing(request.jid));
        break;
      case 'newest':
        snapshot.addNewest(request.threadId, request.limit, source.newestMessages(request.threadId, request.limit));
        break;
      case 'threadMessages':
        snapshot.addThreadMessages(request.threadId, source.threadMessages(request.threadId));
        break;
      case 'name':
        snapshot.addName(request.jid, source.name(request.jid));
        break;
    }
  }
}
