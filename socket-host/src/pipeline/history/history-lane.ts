/**
 * The history import of one account: stored chunks imported one after another, in arrival order
 * (unfinished ones from an earlier owner first), on the writer's history lane.
 *
 * Memory is bounded whatever the size of the history: a chunk is durable (raw store) before it is
 * queued here, so only the next `keepInMemory` chunks keep their decoded payload; the others are
 * queued as references and loaded again from the raw store when their turn comes. A closed lane
 * stops after the chunk step in progress: what is left is still pending in the raw store, and
 * the next owner replays it.
 */
import { isLeaseLost } from '../../accounts/lease-errors.ts';
import type { Logger } from '../../log.ts';
import type { RawHistory } from './raw-codec.ts';
import type { RawChunkRef } from './raw-store.ts';

export interface HistoryItem {
  ref: RawChunkRef;
  /** The decoded payload, while it is among the next `keepInMemory` items. */
  raw?: RawHistory;
}

/** A chunk whose last writes are still landing while the next chunk is planned. */
export interface ChunkLanding {
  landed: Promise<void>;
}

/**
 * Imports one chunk. It may return before the chunk's last writes landed (with their promise), so
 * that the next chunk is planned meanwhile; the lane reports a failure of either part.
 */
export type ImportChunk = (item: HistoryItem, stillOpen: () => boolean) => Promise<ChunkLanding | undefined>;

export class HistoryLane {
  readonly #queue: HistoryItem[] = [];
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly importChunk: ImportChunk,
    private readonly keepInMemory: number,
    private readonly log: Logger,
  ) {}

  /** Chunks waiting (not counting the one being imported). */
  get waiting(): number {
    return this.#queue.length;
  }

  push(item: HistoryItem): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.keepInMemory) delete item.raw;
    this.#queue.push(item);
    this.#kick();
  }

  #kick(): void {
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
      // A chunk pushed between the drain's last look at the queue and now.
      if (!this.#closed && this.#queue.length > 0) this.#kick();
    });
  }

  /** Resolves when every queued chunk was imported (or failed and was logged). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops after the step in progress; queued chunks stay pending in the raw store. */
  async close(): Promise<void> {
    this.#closed = true;
    const left = this.#queue.splice(0);
    if (left.length > 0) this.log.info({ chunks: left.length }, 'history chunks left to the next owner');
    await this.#running;
  }

  async #drain(): Promise<void> {
    let landing: Promise<void> = Promise.resolve();
    for (;;) {
      const item = this.#closed ? undefined : this.#queue.shift();
      if (!item) {
        // The last chunk's writes (each earlier chunk's landed before the next one's commits);
        // a chunk pushed meanwhile found the lane running, so it is this loop's to import.
        await landing;
        if (this.#closed || this.#queue.length === 0) return;
        continue;
      }
      try {
        const started = await this.importChunk(item, () => !this.#closed);
        if (started) landing = started.landed.catch((err) => this.#failed(item, err));
      } catch (err) {
        this.#failed(item, err);
      }
    }
  }

  /** Left pending in the raw store: the next claim of the account replays it. */
  #failed(item: HistoryItem, err: unknown): void {
    if (this.#closed || isLeaseLost(err)) this.log.info({ chunk: item.ref.id }, 'history chunk left for a replay');
    else this.log.error({ err, chunk: item.ref.id }, 'history chunk import failed; left for a replay');
  }
}
