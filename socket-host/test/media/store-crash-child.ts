/**
 * A host that dies mid-upload: stores `size` bytes of `seed` through MediaStore, prints the
 * session it was handed, passes `stallAfter` bytes on, prints `stalled`, and waits for the
 * parent's SIGKILL. Args: <bucket> <owner as JSON> <size> <seed> <stallAfter> <sha256 hex>.
 */
import { Readable } from 'node:stream';
import { initializeApp } from 'firebase-admin/app';
import { getStorage } from 'firebase-admin/storage';
import { pseudoRandomStream } from '../../../test/support/bytes.ts';
import { MediaStore } from '../../src/media/store.ts';

const [bucketName, owner, size, seed, stallAfter, sha256] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function* stallingSource(): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const chunk of pseudoRandomStream(Number(size), seed) as AsyncIterable<Buffer>) {
    const part = chunk.subarray(0, Math.max(0, Number(stallAfter) - sent));
    yield part;
    sent += part.length;
    if (sent >= Number(stallAfter)) break;
  }
  say({ stalled: sent });
  await new Promise(() => {}); // the download hangs; the parent kills this process
}

const bucket = getStorage(initializeApp({ projectId: 'demo-wasync' })).bucket(bucketName);
await new MediaStore({ bucket, maxBytes: 1 << 30 }).store({
  owner: JSON.parse(owner),
  fileSha256: Buffer.from(sha256, 'hex'),
  contentType: 'video/mp4',
  open: async () => Readable.from(stallingSource()),
  onSession: (session) => {
    say({ session });
  },
});
