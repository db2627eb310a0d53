/**
 * An in-memory model of one account's Firestore documents that the planner writes: a complete
 * `StoreView` plus `apply(commit)`. The property tests run plans against it, benchmarks measure with
 * it, and a dry run (`WHATSAPP_HISTORY_SYNC_DRY_RUN`) can use it to show what would be written.
 * Paths are the contract's (`paths.*`); documents are the domain types.
 */

import type { LidPnPairDoc, MessageDoc, NameDoc, PendingUpdatesDoc, ThreadDoc } from '../schema.ts';
import { paths } from '../schema.ts';
import { nameKey, pendingKey } from './identity.ts';
import type { Commit, StoredMessage, StoreView, WrittenDoc } from './types.ts';

export class InMemoryStore implements StoreView {
  readonly accountId: string;
  /** Every document by path. */
  readonly docs = new Map<string, WrittenDoc>();
  readonly #threadMessages = new Map<string, Map<string, MessageDoc>>();
  readonly #pendingById = new Map<string, PendingUpdatesDoc>();
  /** `unresolvedJids` index: jid → paths of message and pending docs. */
  readonly #referencing = new Map<string, Set<string>>();
  readonly #messagePaths = new Map<string, { threadId: string; docId: string }>();
  readonly #pairs = new Map<string, LidPnPairDoc>();

  constructor(accountId: string) {
    this.accountId = accountId;
  }

  thread(threadId: string): ThreadDoc | undefined {
    return this.docs.get(paths.thread(this.accountId, threadId)) as ThreadDoc | undefined;
  }

  message(threadId: string, docId: string): MessageDoc | undefined {
    return this.#threadMessages.get(threadId)?.get(docId);
  }

  name(jid: string): NameDoc | undefined {
    return this.docs.get(paths.name(this.accountId, nameKey(jid))) as NameDoc | undefined;
  }

  pending(messageId: string): PendingUpdatesDoc | undefined {
    return this.#pendingById.get(messageId);
  }

  referencing(jid: string): { messages: StoredMessage[]; pending: PendingUpdatesDoc[] } {
    const messages: StoredMessage[] = [];
    const pending: PendingUpdatesDoc[] = [];
    for (const path of this.#referencing.get(jid) ?? []) {
      const doc = this.docs.get(path);
      const at = this.#messagePaths.get(path);
      if (at) messages.push({ ...at, doc: doc as MessageDoc });
      else if (doc) pending.push(doc as PendingUpdatesDoc);
    }
    return { messages, pending };
  }

  newestMessages(threadId: string, limit: number): StoredMessage[] {
    const all = [...(this.#threadMessages.get(threadId) ?? [])].map(([docId, doc]) => ({ threadId, docId, doc }));
    all.sort((a, b) => b.doc.timestamp - a.doc.timestamp || (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : 0));
    return all.slice(0, limit);
  }

  threadMessages(threadId: string): StoredMessage[] {
    return [...(this.#threadMessages.get(threadId) ?? [])].map(([docId, doc]) => ({ threadId, docId, doc }));
  }

  /** Learned pairs, for the next `PlannerState`. */
  pairs(): LidPnPairDoc[] {
    return [...this.#pairs.values()];
  }

  #index(path: string, doc: WrittenDoc | undefined): void {
    const before = this.docs.get(path) as { unresolvedJids?: string[] } | undefined;
    for (const jid of before?.unresolvedJids ?? []) this.#referencing.get(jid)?.delete(path);
    for (const jid of (doc as { unresolvedJids?: string[] } | undefined)?.unresolvedJids ?? []) {
      let set = this.#referencing.get(jid);
      if (!set) {
        set = new Set();
        this.#referencing.set(jid, set);
      }
      set.add(path);
    }
  }

  #put(path: string, kind: string, value: WrittenDoc | undefined): void {
    const doc = value && structuredClone(value);
    const previous = this.docs.get(path);
    this.#index(path, doc);
    if (doc) this.docs.set(path, doc);
    else this.docs.delete(path);
    if (kind === 'message') {
      // accounts/{accountId}/threads/{threadId}/messages/{docId}
      const parts = path.split('/');
      const threadId = parts[3] as string;
      const docId = parts[5] as string;
      let messages = this.#threadMessages.get(threadId);
      if (!messages) {
        messages = new Map();
        this.#threadMessages.set(threadId, messages);
      }
      if (doc) {
        messages.set(docId, doc as MessageDoc);
        this.#messagePaths.set(path, { threadId, docId });
      } else {
        messages.delete(docId);
        this.#messagePaths.delete(path);
      }
    } else if (kind === 'lidPnPair') {
      if (doc) this.#pairs.set(path, doc as LidPnPairDoc);
      else this.#pairs.delete(path);
    } else if (kind === 'pendingUpdates') {
      const messageId = ((doc ?? previous) as PendingUpdatesDoc | undefined)?.messageId;
      if (messageId !== undefined && doc) this.#pendingById.set(messageId, doc as PendingUpdatesDoc);
      else if (messageId !== undefined) this.#pendingById.delete(messageId);
    }
  }

  /** Apply one commit as Firestore would (all of it). */
  apply(commit: Commit): void {
    for (const op of commit.ops) {
      switch (op.type) {
        case 'create':
        case 'merge':
          this.#put(op.path, op.kind, op.data);
          break;
        case 'delete':
          this.#put(op.path, op.kind, undefined);
          break;
        case 'rekey':
          this.#put(op.from, op.kind, undefined);
          this.#put(op.to, op.kind, op.data);
          break;
      }
    }
  }

  /** The pending-updates path of a message id (for tests). */
  pendingPath(messageId: string): string {
    return paths.pendingUpdates(this.accountId, pendingKey(messageId));
  }
}
