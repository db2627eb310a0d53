/**
 * Baileys auth state in Firestore, encrypted (see crypto.ts), one store per account:
 *
 *   authState/{accountId}                          creds
 *   authState/{accountId}/keys/{type~id}           one document per signal key
 *   …/parts/{n}                                    continuation of a value too big for one document
 *
 * Each document: `{ kid, iv, ct, parts, epoch, updatedAt }` (+ `type` on keys). `ct` is the
 * ciphertext of the BufferJSON-serialised, deflated value; `epoch` is the lease epoch of the
 * writer (for operators). Document ids are readable (`safeDocId(type, id)`); the secrets are the
 * values, and JIDs are no more secret here than in the thread documents.
 *
 * Writes are fenced (see accounts/fence.ts): a host that lost the account cannot overwrite the new
 * owner's ratchets, which is exactly what makes WhatsApp sessions fail with "Bad MAC".
 *
 * Keys are written behind (key-buffer.ts): Baileys' key transactions land in memory and are
 * committed together within a short bound, each commit one fenced transaction (a batch larger than
 * one commit — Baileys' first upload of 812 pre-keys — in order in several).
 *
 * Creds never go back. A write of pre-keys carries the creds in its first commit, with the pre-key
 * counters (`nextPreKeyId`, `firstUnuploadedPreKeyId`) raised past the keys it writes: keys never
 * land without the counter that names them (otherwise the next start would generate keys with the
 * same ids and overwrite the ones already uploaded to WhatsApp). The counters are also stored in
 * the clear on the creds document (they are not secret), and no creds write lowers them. Between
 * sockets of one session the creds object stays in memory (`load()` hands it out again), so a
 * reconnect logs in with the newest creds even while Firestore has not taken them yet.
 */

import { paths, safeDocId } from '@wasync/shared';
import {
  type AuthenticationCreds,
  type AuthenticationState,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import {
  type DocumentReference,
  type DocumentSnapshot,
  FieldValue,
  type Firestore,
  type Transaction,
} from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import type { Logger } from '../log.ts';
import { decodeKey, decodeValue, encodeValue, KEY_TYPES, type KeyType } from './codec.ts';
import type { Keyring, Sealed } from './crypto.ts';
import { DEFAULT_KEY_BUFFER, type KeyBufferOptions, KeyWriteBuffer } from './key-buffer.ts';
import { DEFAULT_SAVE_RETRY, retryUntilSavedOrLeaseLost, type SaveRetryOptions } from './save-retry.ts';

/** Ciphertext bytes per document; well under Firestore's 1 MiB so the other fields always fit. */
export const MAX_PART_BYTES = 700_000;
/** Firestore allows 500 writes per commit; stay below with room for part documents. */
const MAX_WRITES_PER_COMMIT = 400;
/** And about 10 MiB per commit. */
const MAX_BYTES_PER_COMMIT = 8_000_000;
/** `getAll` batches: keeps one request's response small. */
const READ_BATCH = 100;
/** Types whose values can outgrow one document; only for these a write first reads the old part count. */
const LARGE_TYPES: ReadonlySet<string> = new Set<KeyType>(['app-state-sync-version']);
const CREDS_DOC_ID = 'creds';
const KEY_TYPE_SET: ReadonlySet<string> = new Set(KEY_TYPES);

/** What every auth-state document holds. */
interface AuthDocFields {
  kid: string;
  iv: Buffer;
  ct: Buffer;
  /** Number of ciphertext parts, this document's included. */
  parts: number;
  epoch: number;
  updatedAt: Date;
  type?: string;
  /** Creds only, in the clear: the pre-key counters, which no creds write may lower. */
  nextPreKeyId?: number;
  firstUnuploadedPreKeyId?: number;
}

/** The creds fields that name pre-keys: they only grow. */
type PreKeyCounters = Pick<AuthenticationCreds, 'nextPreKeyId' | 'firstUnuploadedPreKeyId'>;

interface Put {
  ref: DocumentReference;
  docId: string;
  type: string | undefined;
  sealed: Sealed;
  large: boolean;
  /** Creds only: their pre-key counters, stored in the clear as well. */
  counters?: PreKeyCounters;
}
interface Del {
  ref: DocumentReference;
  large: boolean;
}
/** The whole creds object: sealed inside the transaction, with pre-key counters no lower than stored. */
type Op = { put: Put } | { del: Del } | { creds: AuthenticationCreds };

export interface AuthStoreDeps {
  db: Firestore;
  keyring: Keyring;
  log: Logger;
  /** How Signal keys are written: behind a buffer (default), or one fenced commit per write (the baseline). */
  keyWrites?: KeyBufferOptions | 'direct';
  /** Delays between retries of a failed key commit. */
  saveRetry?: SaveRetryOptions;
}

export class AccountAuthStore {
  readonly #root: DocumentReference;
  /** Key stores and creds handed out by `load()` are numbered; a wipe retires all earlier ones. */
  #generation = 0;
  #retiredBelow = 0;
  readonly #inFlight = new Set<Promise<void>>();
  /** The generation of each creds object `load()` handed out: a wipe retires them with their key stores. */
  readonly #credsGeneration = new WeakMap<AuthenticationCreds, number>();
  /** The creds the last `load()` handed out: the newest there are, whatever reached Firestore. */
  #live: AuthenticationCreds | undefined;
  /** Key writes not yet committed; undefined on the direct path. */
  readonly #buffer: KeyWriteBuffer | undefined;

  constructor(
    private readonly deps: AuthStoreDeps,
    readonly accountId: string,
    private readonly fence: Fence,
  ) {
    this.#root = deps.db.doc(paths.authState(accountId));
    const keyWrites = deps.keyWrites ?? DEFAULT_KEY_BUFFER;
    if (keyWrites !== 'direct') {
      this.#buffer = new KeyWriteBuffer(
        {
          commit: (data) => this.#setKeys(data, this.#live),
          read: (type, ids) => this.#getKeys(type, ids),
          retry: retryUntilSavedOrLeaseLost(deps.log, 'auth-state keys', deps.saveRetry ?? DEFAULT_SAVE_RETRY),
        },
        keyWrites,
      );
    }
  }

  /**
   * Creds and a cached key store, ready for `makeWASocket`. New accounts get fresh creds (QR
   * pairing). Within one store (one session) the creds handed out before are handed out again:
   * they are newer than what Firestore may hold while a save is still being retried. The key store
   * stops writing once the auth state is wiped: a closed socket's processing may still be
   * running, and its writes must not bring keys back after a logout.
   */
  async load(): Promise<{ state: AuthenticationState; isNew: boolean }> {
    const live = this.#live && this.#isCurrent(this.#live) ? this.#live : undefined;
    const stored = live ?? (await this.readCreds());
    // Keys without creds are what a wipe leaves when the process dies half-way (creds go first):
    // finish it, or the new pairing would run on the old identity's sessions and app-state keys.
    if (stored === undefined) await this.#deleteKeys();
    const creds = stored ?? initAuthCreds();
    const generation = ++this.#generation;
    if (!live) this.#credsGeneration.set(creds, generation);
    this.#live = creds;
    const keys = makeCacheableSignalKeyStore(
      this.#keyStore(creds, () => generation >= this.#retiredBelow),
      this.deps.log,
    );
    return { state: { creds, keys }, isNew: stored === undefined };
  }

  /** Resolves once every key write made so far has landed (or was dropped for a lost lease). */
  flush(): Promise<void> {
    return this.#buffer?.flush() ?? Promise.resolve();
  }

  #isCurrent(creds: AuthenticationCreds): boolean {
    return (this.#credsGeneration.get(creds) ?? Infinity) >= this.#retiredBelow;
  }

  #keyStore(creds: AuthenticationCreds, writable: () => boolean): SignalKeyStore {
    const buffer = this.#buffer;
    return {
      get: (type, ids) => (buffer ? buffer.get(type, ids) : this.#getKeys(type, ids)),
      set: async (data) => {
        if (!writable()) return;
        for (const type of Object.keys(data)) assertKeyType(type);
        const write = buffer ? buffer.set(data) : this.#setKeys(data, creds);
        this.#inFlight.add(write);
        try {
          await write;
        } finally {
          this.#inFlight.delete(write);
        }
      },
      clear: () => this.wipe(),
    };
  }

  async readCreds(): Promise<AuthenticationCreds | undefined> {
    const bytes = await this.#openDoc(await this.#root.get(), CREDS_DOC_ID);
    return bytes && (decodeValue(bytes) as AuthenticationCreds);
  }

  /** Key ids of the creds document (cheap: not decrypted), to tell whether this host can read them. */
  async credsKeyId(): Promise<string | undefined> {
    return (await this.#root.get()).get('kid') as string | undefined;
  }

  /**
   * Writes the whole creds object (Baileys merges every `creds.update` into it in place), its
   * pre-key counters never below the stored ones.
   */
  async writeCreds(creds: AuthenticationCreds): Promise<void> {
    // Creds of a socket from before a wipe (logged out) must not come back.
    if (!this.#isCurrent(creds)) return;
    await this.#commit([{ creds }]);
  }

  /**
   * Deletes creds first (so a half-finished wipe never leaves usable creds), then every key. Key
   * stores from earlier `load()`s go read-only first, and their writes in flight are awaited.
   * Throws LeaseLostError once the lease is gone: its deletes are refused, so the key pages would
   * never empty.
   */
  async wipe(): Promise<void> {
    this.#retiredBelow = this.#generation + 1;
    this.#live = undefined;
    await this.#buffer?.discard();
    await Promise.allSettled([...this.#inFlight]);
    // The account's pairing generation moves in the same transaction as the creds go: commands
    // written for this session are never run in the next one (shared/src/commands.ts).
    const account = this.deps.db.doc(paths.account(this.accountId));
    await this.#commitFenced([{ del: { ref: this.#root, large: true } }], (tx) =>
      tx.set(account, { pairingGeneration: FieldValue.increment(1) }, { merge: true }),
    );
    await this.#deleteKeys();
    this.deps.log.info({ accountId: this.accountId }, 'auth state wiped');
  }

  /** Deletes every key document (and its parts), a page per fenced commit. */
  async #deleteKeys(): Promise<void> {
    for (;;) {
      const page = await this.#root.collection('keys').limit(MAX_WRITES_PER_COMMIT).get();
      if (page.empty) return;
      await this.#commitFenced(page.docs.map((d) => ({ del: { ref: d.ref, large: (d.get('parts') ?? 1) > 1 } })));
    }
  }

  /**
   * Re-seals every document still sealed with an older key, so that key can be retired after a
   * rotation. Each document is re-read inside the fenced transaction that rewrites it, so a value
   * Baileys wrote in between is not replaced by the older one. Returns how many were rewritten.
   */
  async reencrypt(): Promise<number> {
    const { keyring } = this.deps;
    let rewritten = 0;
    const credsKid = await this.credsKeyId();
    const staleKeys = await this.#root.collection('keys').where('kid', '!=', keyring.currentId).get();
    const stale = [
      ...(credsKid !== undefined && credsKid !== keyring.currentId ? [{ ref: this.#root, docId: CREDS_DOC_ID }] : []),
      ...staleKeys.docs.map((d) => ({ ref: d.ref, docId: d.id })),
    ];
    for (let i = 0; i < stale.length; i += READ_BATCH) {
      const chunk = stale.slice(i, i + READ_BATCH);
      rewritten += await this.fence.run(async (tx) => {
        const snaps = await tx.getAll(...chunk.map((c) => c.ref));
        const puts: Put[] = [];
        for (const [j, snap] of snaps.entries()) {
          if (snap.get('kid') === keyring.currentId) continue;
          const { docId } = chunk[j]!;
          const plain = await this.#openDoc(snap, docId, tx);
          if (!plain) continue;
          puts.push({
            ref: snap.ref,
            docId,
            type: snap.get('type') as string | undefined,
            sealed: keyring.seal(plain, { accountId: this.accountId, docId }),
            large: true,
            ...(docId === CREDS_DOC_ID ? { counters: storedCounters(snap) } : {}),
          });
        }
        this.#applyPuts(tx, puts, new Map(snaps.map((s) => [s.ref.path, partsOf(s)])));
        return puts.length;
      });
    }
    if (rewritten > 0) this.deps.log.info({ accountId: this.accountId, rewritten }, 'auth state re-encrypted');
    return rewritten;
  }

  async #getKeys<T extends KeyType>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
    assertKeyType(type);
    const out: { [id: string]: SignalDataTypeMap[T] } = {};
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      const chunk = ids.slice(i, i + READ_BATCH);
      const snaps = await this.deps.db.getAll(...chunk.map((id) => this.#keyRef(type, id)));
      for (const [j, snap] of snaps.entries()) {
        const id = chunk[j]!;
        const bytes = await this.#openDoc(snap, keyDocId(type, id));
        if (bytes) out[id] = decodeKey(type, bytes);
      }
    }
    return out;
  }

  /**
   * Commits keys; pre-keys go with `creds` in the first commit, their counters raised past the
   * highest pre-key id written (in memory too: the next socket of this store logs in with them).
   */
  async #setKeys(data: SignalDataSet, creds: AuthenticationCreds | undefined): Promise<void> {
    const ops: Op[] = [];
    let lastPreKeyId = 0;
    for (const [type, values] of Object.entries(data)) {
      assertKeyType(type);
      for (const [id, value] of Object.entries(values ?? {})) {
        const ref = this.#keyRef(type, id);
        const large = LARGE_TYPES.has(type);
        // Baileys' contract: null (or undefined) deletes.
        ops.push(
          value == null ? { del: { ref, large } } : { put: this.#put(ref, keyDocId(type, id), type, value, large) },
        );
        if (type === 'pre-key' && value != null) lastPreKeyId = Math.max(lastPreKeyId, Number(id) || 0);
      }
    }
    if (lastPreKeyId > 0 && creds && this.#isCurrent(creds)) {
      creds.nextPreKeyId = Math.max(creds.nextPreKeyId, lastPreKeyId + 1);
      creds.firstUnuploadedPreKeyId = Math.max(creds.firstUnuploadedPreKeyId, lastPreKeyId + 1);
      ops.unshift({ creds });
    }
    await this.#commit(ops);
  }

  #put(ref: DocumentReference, docId: string, type: string | undefined, value: unknown, large: boolean): Put {
    const sealed = this.deps.keyring.seal(encodeValue(value), { accountId: this.accountId, docId });
    return { ref, docId, type, sealed, large: large || sealed.ct.length > MAX_PART_BYTES };
  }

  /**
   * Commits `ops` in fenced transactions, as few as the per-commit limits allow, in order.
   *
   * Once the lease is lost the writes are dropped rather than failed: the fence has told the owner,
   * which closes the socket at once, and an error would only make Baileys retry the commit for
   * half a minute (10 × 3 s) on a socket that no longer exists.
   */
  async #commit(ops: Op[]): Promise<void> {
    try {
      await this.#commitFenced(ops);
    } catch (err) {
      if (!isLeaseLost(err)) throw err;
      this.deps.log.debug({ accountId: this.accountId, writes: ops.length }, 'auth-state writes dropped: lease lost');
    }
  }

  /** `alsoWrite` adds writes to the first transaction (after its reads). */
  async #commitFenced(ops: Op[], alsoWrite?: (tx: Transaction) => void): Promise<void> {
    for (const [i, group] of commitGroups(ops).entries()) {
      await this.fence.run(async (tx) => {
        // Values that may span parts: learn the old part count so no stale part stays behind. The
        // creds document is read for its counters too, which also orders creds writes.
        const refs = group.flatMap((op) => {
          if ('creds' in op) return [this.#root];
          const { ref, large } = 'put' in op ? op.put : op.del;
          return large ? [ref] : [];
        });
        const snaps = refs.length > 0 ? await tx.getAll(...refs) : [];
        const oldParts = new Map(snaps.map((snap) => [snap.ref.path, partsOf(snap)]));
        const storedCreds = snaps.find((snap) => snap.ref.path === this.#root.path);
        const puts = group.flatMap((op) => {
          if ('put' in op) return [op.put];
          return 'creds' in op ? [this.#credsPut(op.creds, storedCreds)] : [];
        });
        this.#applyPuts(tx, puts, oldParts);
        for (const op of group) {
          if (!('del' in op)) continue;
          tx.delete(op.del.ref);
          for (let n = 1; n < (oldParts.get(op.del.ref.path) ?? 1); n++) tx.delete(partRef(op.del.ref, n));
        }
        if (i === 0) alsoWrite?.(tx);
      });
    }
  }

  /** `creds` sealed as they are now, their pre-key counters raised to the stored ones if those are higher. */
  #credsPut(creds: AuthenticationCreds, stored: DocumentSnapshot | undefined): Put {
    const before = stored && storedCounters(stored);
    const counters: PreKeyCounters = {
      nextPreKeyId: Math.max(creds.nextPreKeyId, before?.nextPreKeyId ?? 0),
      firstUnuploadedPreKeyId: Math.max(creds.firstUnuploadedPreKeyId, before?.firstUnuploadedPreKeyId ?? 0),
    };
    return { ...this.#put(this.#root, CREDS_DOC_ID, undefined, { ...creds, ...counters }, true), counters };
  }

  #applyPuts(tx: Transaction, puts: Put[], oldParts: ReadonlyMap<string, number>): void {
    const updatedAt = new Date();
    for (const { ref, type, sealed, counters } of puts) {
      const chunks = splitBytes(sealed.ct, MAX_PART_BYTES);
      const fields: AuthDocFields = {
        kid: sealed.kid,
        iv: sealed.iv,
        ct: chunks[0]!,
        parts: chunks.length,
        epoch: this.fence.epoch,
        updatedAt,
      };
      if (type !== undefined) fields.type = type;
      if (counters) Object.assign(fields, counters);
      tx.set(ref, fields);
      for (let n = 1; n < chunks.length; n++) tx.set(partRef(ref, n), { ct: chunks[n] });
      for (let n = chunks.length; n < (oldParts.get(ref.path) ?? 1); n++) tx.delete(partRef(ref, n));
    }
  }

  /**
   * The plaintext of `snap`, undefined if the document does not exist. Parts are read in `tx`; a
   * value in parts read outside a transaction is read again with its parts in one read-only
   * transaction, because a write between reading its head and its parts (it replaces both at once)
   * would pair them across values, which fails authentication as if the state were corrupt.
   */
  async #openDoc(snap: DocumentSnapshot, docId: string, tx?: Transaction): Promise<Buffer | undefined> {
    if (!snap.exists) return undefined;
    const parts = partsOf(snap);
    if (parts > 1 && !tx) {
      return this.deps.db.runTransaction(async (t) => this.#openDoc(await t.get(snap.ref), docId, t), {
        readOnly: true,
      });
    }
    const { kid, iv, ct } = snap.data() as AuthDocFields;
    let bytes = Buffer.from(ct);
    if (tx && parts > 1) {
      const refs = Array.from({ length: parts - 1 }, (_, i) => partRef(snap.ref, i + 1));
      const rest = await tx.getAll(...refs);
      bytes = Buffer.concat([bytes, ...rest.map((p) => Buffer.from((p.get('ct') as Buffer | undefined) ?? []))]);
    }
    return this.deps.keyring.open({ kid, iv: Buffer.from(iv), ct: bytes }, { accountId: this.accountId, docId });
  }

  #keyRef(type: string, id: string): DocumentReference {
    return this.#root.collection('keys').doc(keyDocId(type, id));
  }
}

export function keyDocId(type: string, id: string): string {
  return safeDocId(type, id);
}

function assertKeyType(type: string): asserts type is KeyType {
  if (!KEY_TYPE_SET.has(type)) throw new TypeError(`unknown signal key type "${type}"`);
}

/** The pre-key counters stored in the clear on a creds document (0 where absent). */
function storedCounters(snap: DocumentSnapshot): PreKeyCounters {
  return {
    nextPreKeyId: (snap.get('nextPreKeyId') as number | undefined) ?? 0,
    firstUnuploadedPreKeyId: (snap.get('firstUnuploadedPreKeyId') as number | undefined) ?? 0,
  };
}

function partsOf(snap: DocumentSnapshot): number {
  return snap.exists ? ((snap.get('parts') as number | undefined) ?? 1) : 0;
}

function partRef(ref: DocumentReference, n: number): DocumentReference {
  return ref.collection('parts').doc(String(n));
}

function splitBytes(bytes: Buffer, size: number): Buffer[] {
  if (bytes.length <= size) return [bytes];
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Splits ops into commits that respect Firestore's per-commit write and size limits. */
function commitGroups(ops: Op[]): Op[][] {
  const groups: Op[][] = [];
  let current: Op[] = [];
  let writes = 0;
  let bytes = 0;
  for (const op of ops) {
    // Creds are sealed inside the transaction; a few KiB, more with a large `processedHistoryMessages`.
    const ctBytes = 'put' in op ? op.put.sealed.ct.length : 'creds' in op ? 64_000 : 0;
    const opBytes = ctBytes + 200;
    const opWrites = 'del' in op ? 2 : Math.ceil(ctBytes / MAX_PART_BYTES) + 1;
    if (current.length > 0 && (writes + opWrites > MAX_WRITES_PER_COMMIT || bytes + opBytes > MAX_BYTES_PER_COMMIT)) {
      groups.push(current);
      current = [];
      writes = 0;
      bytes = 0;
    }
    current.push(op);
    writes += opWrites;
    bytes += opBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
