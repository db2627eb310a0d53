/**
 * The plaintext on its way to Cloud Storage: counted against the size limit and hashed while it
 * streams, and held back at its end unless its SHA-256 is WhatsApp's `fileSha256`.
 *
 * Holding back the end is what keeps a wrong file invisible: the upload (one resumable request of
 * undeclared length) creates the object only when its body ends, and the body ends only when this
 * stream does. A mismatch fails the stream in `flush` instead, the pipeline aborts the request, and
 * Cloud Storage never finalises the object. The same goes for a file that grows past the limit,
 * which fails as soon as it crosses it.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { MediaError } from './errors.ts';

export class VerifiedPlaintext extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;

  constructor(
    private readonly expectedSha256: string,
    private readonly maxBytes: number,
  ) {
    super();
  }

  /** Bytes that went through so far. */
  get bytes(): number {
    return this.#bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.maxBytes) {
      callback(new MediaError('too_large', `the file is larger than the limit of ${this.maxBytes} bytes`));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.#hash.digest('hex');
    if (actual === this.expectedSha256) callback();
    else
      callback(
        new MediaError(
          'sha256_mismatch',
          `the file's SHA-256 ${actual} is not WhatsApp's fileSha256 ${this.expectedSha256} (${this.#bytes} bytes)`,
        ),
      );
  }
}
