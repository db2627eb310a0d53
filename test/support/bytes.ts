/**
 * Test payloads of any size that never sit in memory whole: deterministic pseudo-random bytes
 * (an AES-256-CTR keystream keyed by a seed), so a stream can be made twice with the same content
 * and its SHA-256 known without keeping it.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

function* keystream(size: number, seed: string): Generator<Buffer> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  for (let sent = 0; sent < size; sent += CHUNK) yield cipher.update(ZEROS.subarray(0, Math.min(CHUNK, size - sent)));
}

export interface StreamWatch {
  /** Called with the bytes read so far each time the consumer pulls a chunk (never ahead of it). */
  onRead?(bytes: number): void;
  /** Fails the stream with `ECONNRESET` once this many bytes were read (a download breaking off). */
  failAfter?: number;
}

/** `size` pseudo-random bytes derived from `seed`, as a stream of 64 KiB chunks. */
export function pseudoRandomStream(size: number, seed = 'seed', watch: StreamWatch = {}): Readable {
  if (!watch.onRead && watch.failAfter === undefined)
    return Readable.from(keystream(size, seed), { objectMode: false });
  async function* watched() {
    let read = 0;
    for (const chunk of keystream(size, seed)) {
      read += chunk.length;
      watch.onRead?.(read);
      yield chunk;
      if (watch.failAfter !== undefined && read >= watch.failAfter) throw new Error('ECONNRESET');
    }
  }
  return Readable.from(watched(), { objectMode: false });
}

/** The same bytes as `pseudoRandomStream(size, seed)`, in one buffer (for small sizes). */
export function pseudoRandomBytes(size: number, seed = 'seed'): Buffer {
  return Buffer.concat([...keystream(size, seed)]);
}

/** SHA-256 (hex) of everything `source` yields. */
export async function sha256Of(source: AsyncIterable<Buffer | string> | Buffer): Promise<string> {
  const hash = createHash('sha256');
  if (Buffer.isBuffer(source)) return hash.update(source).digest('hex');
  for await (const chunk of source) hash.update(chunk);
  return hash.digest('hex');
}
