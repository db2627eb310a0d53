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

/** `size` pseudo-random bytes derived from `seed`, as a stream of 64 KiB chunks. */
export function pseudoRandomStream(size: number, seed = 'seed'): Readable {
  return Readable.from(keystream(size, seed), { objectMode: false });
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
