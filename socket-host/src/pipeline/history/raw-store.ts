/**
 * Durable raw history (server only): every history payload is stored, compressed, with its
 * `receivedAt`, BEFORE it is processed, and marked done after. Baileys acknowledges a history
 * notification to WhatsApp before it even downloads it, so a crash between receipt and import
 * would otherwise lose that chunk for good; with this store the next owner of the account
 * replays what is not done.
 *
 *   rawHistory/{accountId}/chunks/{chunkId}                 head: state, receivedAt, counts, data (when small)
 *   rawHistory/{accountId}/chunks/{chunkId}/chunkParts/{n}  the rest of a large payload, ≤ 900 kB each
 *
 * A top-level collection, like `messageContent`, so no client rule on `accounts/**` can expose it.
 * Chunk ids start with the receive time (zero-padded), so listing by id is listing in arrival
 * order. Parts are written first, the head last (fenced): a head always has all its parts.
 * Retention: heads and parts carry `expiresAt` (`receivedAt` + RAW_HISTORY_RETENTION_DAYS); a
 * Firestore TTL policy on the collection groups `chunks` and `chunkParts` (field `expiresAt`)
 * deletes them — done or not: an import that failed for that long needs an operator anyway.
 */
import type { MessageSource } from '@wasync/shared';
import { type DocumentData, type Firestore, Timestamp, type Transaction } from 'firebase-admin/firestore';
import type { Fence } from '../../accounts/fence.ts';
import { decodeRawHistory, encodeRawHistory, type RawHistory } from './raw-codec.ts';

/** Below Firestore's 1 MiB per document, with room for the other fields. */
export const MAX_PART_BYTES = 900_000;
/** Parts per batch commit: stays well under the 10 MiB request limit. */
const PARTS_PER_BATCH = 8;

export const RAW_HISTORY_COLLECTION = 'rawHistory';

export const rawHistoryPaths = {
  chunks: (accountId: string) => `${RAW_HISTORY_COLLECTION}/${accountId}/chunks`,
  chunk: (accountId: string, chunkId: string) => `${rawHistoryPaths.chunks(accountId)}/${chunkId}`,
  part: (accountId: string, chunkId: string, n: number) =>
    `${rawHistoryPaths.chunk(accountId, chunkId)}/chunkParts/${String(n).padStart(4, '0')}`,
};

/** What the pipeline needs to know about a stored chunk without loading it. */
export interface RawChunkRef {
  id: string;
  receivedAt: number;
  state: 'pending' | 'done';
  syncType: number | null;
  messages: number;
  parts: number;
  bytes: number;
  /** The source its messages were imported as, when the pipeline was told one (`import` for the CLI's files). */
  source?: MessageSource;
}

interface ChunkHead extends DocumentData {
  receivedAt: Timestamp;
  state: 'pending' | 'done';
  syncType: number | null;
  progress: number | null;
  messages: number;
  parts: number;
  bytes: number;
  /** Lease epoch of the owner that stored it, and of the one that imported it. */
  epoch: number;
  storedAt: Timestamp;
  expiresAt: Timestamp;
  doneAt?: Timestamp;
  doneEpoch?: number;
  /** The whole payload when it fits in the head (`parts` is 0 then). */
  data?: Buffer;
  source?: MessageSource;
}

/** The chunk id of a payload received at `receivedAt` as batch `seq` of lease epoch `epoch`. */
export function chunkId(receivedAt: number, epoch: number, seq: number): string {
  return `${String(receivedAt).padStart(15, '0')}-${epoch}-${seq}`;
}

function refOf(id: string, head: DocumentData): RawChunkRef {
  return {
    id,
    receivedAt: (head.receivedAt as Timestamp).toMillis(),
    state: head.state,
    syncType: head.syncType ?? null,
    messages: head.messages ?? 0,
    parts: head.parts ?? 0,
    bytes: head.bytes ?? 0,
    ...(head.source ? { source: head.source } : {}),
  };
}

/** What a chunk reference is made of (listings read only these). */
const REF_FIELDS = ['receivedAt', 'state', 'syncType', 'messages', 'parts', 'bytes', 'source'];

export class RawHistoryStore {
  constructor(
    private readonly db: Firestore,
    readonly accountId: string,
    private readonly fence: Fence,
    private readonly retentionMs: number,
  ) {}

  /** Stores `raw` (parts first, then the fenced head) and returns its reference. */
  async put(raw: RawHistory, at: { receivedAt: number; seq: number; source?: MessageSource }): Promise<RawChunkRef> {
    const bytes = await encodeRawHistory(raw);
    const { epoch } = this.fence;
    const id = chunkId(at.receivedAt, epoch, at.seq);
    const expiresAt = Timestamp.fromMillis(at.receivedAt + this.retentionMs);
    const parts: Buffer[] = [];
    if (bytes.length > MAX_PART_BYTES) {
      for (let i = 0; i < bytes.length; i += MAX_PART_BYTES) parts.push(bytes.subarray(i, i + MAX_PART_BYTES));
    }
    for (let i = 0; i < parts.length; i += PARTS_PER_BATCH) {
      const batch = this.db.batch();
      parts.slice(i, i + PARTS_PER_BATCH).forEach((data, j) => {
        batch.set(this.db.doc(rawHistoryPaths.part(this.accountId, id, i + j)), { data, expiresAt });
      });
      await batch.commit();
    }
    const head: ChunkHead = {
      receivedAt: Timestamp.fromMillis(at.receivedAt),
      state: 'pending',
      syncType: raw.set.syncType ?? null,
      progress: raw.set.progress ?? null,
      messages: raw.set.messages?.length ?? 0,
      parts: parts.length,
      bytes: bytes.length,
      epoch,
      storedAt: Timestamp.now(),
      expiresAt,
      ...(parts.length === 0 ? { data: bytes } : {}),
      ...(at.source ? { source: at.source } : {}),
    };
    const ref = this.db.doc(rawHistoryPaths.chunk(this.accountId, id));
    await this.fence.run((tx) => {
      tx.set(ref, head);
    });
    return refOf(id, head);
  }

  async load(chunk: Pick<RawChunkRef, 'id'>): Promise<RawHistory> {
    const head = await this.db.doc(rawHistoryPaths.chunk(this.accountId, chunk.id)).get();
    if (!head.exists) throw new Error(`raw history chunk ${chunk.id} of ${this.accountId} is gone`);
    const data = head.get('data') as Buffer | undefined;
    if (data) return decodeRawHistory(data);
    const parts = await this.db.collection(`${head.ref.path}/chunkParts`).orderBy('__name__').get();
    if (parts.size !== head.get('parts')) {
      throw new Error(`raw history chunk ${chunk.id} has ${parts.size} of ${head.get('parts')} parts`);
    }
    return decodeRawHistory(Buffer.concat(parts.docs.map((p) => p.get('data') as Buffer)));
  }

  /**
   * Marks the chunk done inside `tx` (a fenced transaction of the caller's: the writer puts it in
   * the chunk's last commit, so the mark lands with the last of its documents and costs no commit).
   */
  markDoneIn(tx: Transaction, chunk: Pick<RawChunkRef, 'id'>): void {
    const ref = this.db.doc(rawHistoryPaths.chunk(this.accountId, chunk.id));
    tx.update(ref, { state: 'done', doneAt: Timestamp.now(), doneEpoch: this.fence.epoch });
  }

  /** Chunks not imported yet, oldest first. */
  async pending(): Promise<RawChunkRef[]> {
    const snapshot = await this.db
      .collection(rawHistoryPaths.chunks(this.accountId))
      .where('state', '==', 'pending')
      .select(...REF_FIELDS)
      .get();
    return snapshot.docs.map((d) => refOf(d.id, d.data())).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Every stored chunk, oldest first (what `replay-history` re-runs). */
  async all(): Promise<RawChunkRef[]> {
    const snapshot = await this.db
      .collection(rawHistoryPaths.chunks(this.accountId))
      .select(...REF_FIELDS)
      .get();
    return snapshot.docs.map((d) => refOf(d.id, d.data())).sort((a, b) => (a.id < b.id ? -1 : 1));
  }
}
