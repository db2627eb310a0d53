/**
 * Counts what a firebase-admin `Firestore` asks of the backend, at its RPC funnel (`request`,
 * `requestStream`), the way Firestore bills it: every document of a `commit` (or `batchWrite`) is a
 * write; every document a `batchGetDocuments` answers (found or missing) and every document a
 * query returns is a read, a query that returns none costs one. Counting here, not in the
 * pipeline's own counters, includes everything: raw history, progress, lease reads, loads.
 */
import { Transform } from 'node:stream';
import type { Firestore } from 'firebase-admin/firestore';

export interface FirestoreMeter {
  reads: number;
  writes: number;
  commits: number;
  /** Added before every request (a network round trip the loopback emulator does not have); 0 by default. */
  delayMs?: number;
}

const pause = (ms: number | undefined) => (ms ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined);

interface Funnel {
  request(method: string, request: { writes?: unknown[] }, ...rest: unknown[]): Promise<unknown>;
  requestStream(method: string, bidi: boolean, request: unknown, ...rest: unknown[]): Promise<NodeJS.ReadableStream>;
}

export function meterFirestore(db: Firestore): FirestoreMeter {
  const meter: FirestoreMeter = { reads: 0, writes: 0, commits: 0, delayMs: 0 };
  const funnel = db as unknown as Funnel;
  const request = funnel.request.bind(funnel);
  const requestStream = funnel.requestStream.bind(funnel);
  funnel.request = async (method, body, ...rest) => {
    if (method === 'commit' || method === 'batchWrite') {
      meter.commits += 1;
      meter.writes += body.writes?.length ?? 0;
    }
    await pause(meter.delayMs);
    return request(method, body, ...rest);
  };
  funnel.requestStream = async (method, bidi, body, ...rest) => {
    if (method !== 'listen') await pause(meter.delayMs);
    const stream = await requestStream(method, bidi, body, ...rest);
    if (method !== 'batchGetDocuments' && method !== 'runQuery') return stream;
    let documents = 0;
    const counted = new Transform({
      objectMode: true,
      transform(chunk: { found?: unknown; missing?: unknown; document?: unknown }, _encoding, callback) {
        if (chunk.found || chunk.missing || chunk.document) documents += 1;
        callback(null, chunk);
      },
      flush(callback) {
        meter.reads += method === 'runQuery' ? Math.max(1, documents) : documents;
        callback();
      },
    });
    stream.on('error', (err) => counted.destroy(err as Error));
    return stream.pipe(counted);
  };
  return meter;
}

/** Calls `landed` with the document names of every commit of `db` once Firestore answered it. */
export function onCommitted(db: Firestore, landed: (names: string[]) => void): void {
  const funnel = db as unknown as Funnel;
  const request = funnel.request.bind(funnel);
  funnel.request = async (method, body, ...rest) => {
    const result = await request(method, body, ...rest);
    if (method === 'commit') {
      const writes = (body.writes ?? []) as Array<{ update?: { name?: string }; delete?: string }>;
      landed(writes.map((w) => w.update?.name ?? w.delete ?? '').filter(Boolean));
    }
    return result;
  };
}
