/**
 * What the writer knows about one stored document: its content (domain form) and its Firestore
 * update time, the version a later write's precondition names. `version: null` means "known not
 * to exist" (the write is a `create()`).
 */
import type { WrittenDoc } from '@wasync/shared';
import type { Timestamp } from 'firebase-admin/firestore';

export interface VersionedDoc {
  /** Undefined when the document does not exist. */
  data: WrittenDoc | undefined;
  /** The document's update time; null when it does not exist. */
  version: Timestamp | null;
}

/** Path → what a plan's reads saw (from the cache or Firestore). */
export type Versions = Map<string, VersionedDoc>;

/**
 * A bounded least-recently-used map of the documents an account's writer read or wrote, so that
 * hot documents (threads, recent messages that receipts and reactions target) are read once, not
 * per plan. Only the account's writer writes these documents (the lease fences everyone else),
 * so an entry stays true until the writer itself changes it; a commit whose outcome is unknown
 * drops the entries it touched.
 */
export class DocCache {
  readonly #entries = new Map<string, VersionedDoc>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get(path: string): VersionedDoc | undefined {
    const entry = this.#entries.get(path);
    if (entry) {
      this.#entries.delete(path);
      this.#entries.set(path, entry);
    }
    return entry;
  }

  set(path: string, entry: VersionedDoc): void {
    this.#entries.delete(path);
    this.#entries.set(path, entry);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(path: string): void {
    this.#entries.delete(path);
  }

  clear(): void {
    this.#entries.clear();
  }
}
