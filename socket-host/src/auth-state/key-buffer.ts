/**
 * Write-behind for Signal keys. Baileys writes a session key (and often a sender key or a device
 * list) for every message it decrypts, inside its key-store mutex; a fenced Firestore commit per
 * write would make decryption run at one round trip per message. Here a write lands in memory and
 * is committed with its neighbours:
 *
 * - coalescing: the newest value of a key replaces an older one not yet committed;
 * - bounded in time and size: a batch is committed at most `flushMs` after its first write, or as
 *   soon as it holds `flushKeys` keys; while `maxKeys` wait (Firestore slow or down), `set()`
 *   waits too, which slows Baileys instead of growing memory;
 * - read-your-writes: `get()` answers from the batches not yet committed first;
 * - never dropped: a failed commit is retried (in order, before anything newer) until it lands or
 *   the commit reports the lease lost (then it resolves: the fence has told the owner, and the new
 *   owner's keys must win);
 * - write-through where waiting is not safe: a write that carries pre-keys is committed before
 *   `set()` resolves, because Baileys uploads those keys to WhatsApp right after (a pre-key on the
 *   server that is in no store would fail every session a contact starts with it).
 *
 * What a crash before a commit costs is in the README (auth state).
 */
import type { SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys';
import type { KeyType } from './codec.ts';

export interface KeyBufferOptions {
  /** Longest time a write waits in memory before its batch is committed. */
  flushMs: number;
  /** A batch is committed as soon as it holds this many keys. */
  flushKeys: number;
  /** `set()` waits while this many keys wait to be committed. */
  maxKeys: number;
}

export const DEFAULT_KEY_BUFFER: KeyBufferOptions = { flushMs: 200, flushKeys: 200, maxKeys: 2000 };

/** type → id → value (null: delete). */
type Batch = Map<string, Map<string, unknown>>;

export interface KeyBufferDeps {
  /** Commits one batch; resolves once it landed or was given up for a lost lease. */
  commit: (data: SignalDataSet) => Promise<void>;
  /** Reads committed keys (what no batch holds). */
  read: <T extends KeyType>(type: T, ids: string[]) => Promise<{ [id: string]: SignalDataTypeMap[T] }>;
  /** Whether to retry a failed commit (after its own delay); false drops the batch. */
  retry: (err: unknown, attempt: number) => Promise<boolean>;
}

export class KeyWriteBuffer {
  #pending: Batch = new Map();
  #pendingKeys = 0;
  /** When the oldest write of `#pending` arrived. */
  #pendingSince = 0;
  /** The batch being committed; still read from until it landed. */
  #committing: Batch | undefined;
  #committingKeys = 0;
  #drain: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Moved by `discard()`: a commit being retried for an earlier round gives up. */
  #round = 0;

  constructor(
    private readonly deps: KeyBufferDeps,
    private readonly options: KeyBufferOptions = DEFAULT_KEY_BUFFER,
  ) {}

  /** Keys waiting to be committed (those being committed included). */
  get waiting(): number {
    return this.#pendingKeys + this.#committingKeys;
  }

  async set(data: SignalDataSet): Promise<void> {
    if (this.#pendingKeys === 0) this.#pendingSince = Date.now();
    let preKeys = false;
    for (const [type, values] of Object.entries(data)) {
      const entries = Object.entries(values ?? {});
      if (entries.length === 0) continue;
      const batch = this.#pending.get(type) ?? new Map<string, unknown>();
      this.#pending.set(type, batch);
      for (const [id, value] of entries) {
        if (!batch.has(id)) this.#pendingKeys++;
        batch.set(id, value ?? null);
        if (type === 'pre-key' && value != null) preKeys = true;
      }
    }
    if (preKeys) return this.flush();
    // The age check keeps the bound when decryption runs back to back without the timer getting a turn.
    const due = Date.now() - this.#pendingSince >= this.options.flushMs;
    if (this.#pendingKeys >= this.options.flushKeys || due) this.#startDrain();
    else this.#timer ??= setTimeout(() => this.#startDrain(), this.options.flushMs).unref();
    while (this.waiting >= this.options.maxKeys && this.#drain) await this.#drain;
  }

  async get<T extends KeyType>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
    const out: { [id: string]: SignalDataTypeMap[T] } = {};
    const missing: string[] = [];
    for (const id of ids) {
      const [found, value] = this.#lookup(type, id);
      if (!found) missing.push(id);
      else if (value != null) out[id] = value as SignalDataTypeMap[T];
    }
    if (missing.length === 0) return out;
    const stored = await this.deps.read(type, missing);
    // A write that arrived while the read ran is newer than what the read returned.
    for (const id of missing) {
      const [found, value] = this.#lookup(type, id);
      if (found) {
        if (value != null) out[id] = value as SignalDataTypeMap[T];
      } else if (stored[id] !== undefined) out[id] = stored[id];
    }
    return out;
  }

  /** Resolves once every write made so far has landed (or was given up for a lost lease). */
  async flush(): Promise<void> {
    while (this.#pendingKeys > 0 || this.#drain) {
      this.#startDrain();
      await this.#drain;
    }
  }

  /** Forgets every write not yet committed and waits for the commit in flight to end (a wipe). */
  async discard(): Promise<void> {
    this.#round++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = new Map();
    this.#pendingKeys = 0;
    await this.#drain;
  }

  #lookup(type: string, id: string): [boolean, unknown] {
    for (const batch of [this.#pending, this.#committing]) {
      const values = batch?.get(type);
      if (values?.has(id)) return [true, values.get(id)];
    }
    return [false, undefined];
  }

  #startDrain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#drain ??= this.#commitAll().finally(() => {
      this.#drain = undefined;
    });
  }

  async #commitAll(): Promise<void> {
    while (this.#pendingKeys > 0) {
      this.#committing = this.#pending;
      this.#committingKeys = this.#pendingKeys;
      this.#pending = new Map();
      this.#pendingKeys = 0;
      try {
        await this.#commit(toDataSet(this.#committing));
      } finally {
        this.#committing = undefined;
        this.#committingKeys = 0;
      }
    }
  }

  async #commit(data: SignalDataSet): Promise<void> {
    const round = this.#round;
    for (let attempt = 1; round === this.#round; attempt++) {
      try {
        return await this.deps.commit(data);
      } catch (err) {
        if (!(await this.deps.retry(err, attempt))) return;
      }
    }
  }
}

function toDataSet(batch: Batch): SignalDataSet {
  const data: Record<string, Record<string, unknown>> = {};
  for (const [type, values] of batch) data[type] = Object.fromEntries(values);
  return data as SignalDataSet;
}
