/**
 * Conformance: what the media store relies on from Cloud Storage, stated as tests that run on the
 * test backend (scripts/lib/storage-backend.ts) and assert only what the real service does too.
 * Everything goes through firebase-admin's bucket (the @google-cloud/storage client), except
 * where a test needs a request the client cannot be made to send (a resumable upload that breaks
 * off mid-way); those speak the JSON API's resumable protocol directly.
 */
import assert from 'node:assert/strict';
import { pipeline } from 'node:stream/promises';
import { pseudoRandomBytes, pseudoRandomStream, sha256Of } from '../support/bytes.ts';
import { sessionStatus, sharedStorage, testBucket, uploadAndBreakOff } from '../support/storage.ts';

const MiB = 1024 * 1024;

type Bucket = ReturnType<typeof testBucket>;
type File = ReturnType<Bucket['file']>;

/** The HTTP status of a failed client call (404 for a missing object). */
function httpCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

async function objectNames(bucket: Bucket, prefix: string): Promise<string[]> {
  const [files] = await bucket.getFiles({ prefix });
  return files.map((f) => f.name);
}

async function uploadWithClient(file: File, size: number, seed: string, options: object = {}): Promise<void> {
  await pipeline(pseudoRandomStream(size, seed), file.createWriteStream({ resumable: true, ...options }));
}

describe('Storage conformance', function () {
  this.timeout(120_000);
  let bucket: Bucket;
  const prefix = `conformance-${process.pid}/`;

  before(async () => {
    const backend = await sharedStorage();
    await backend.clear();
    bucket = testBucket();
  });

  it('save() stores bytes with their content type and custom metadata; getMetadata() and exists() see them', async () => {
    const file = bucket.file(`${prefix}saved/a b+ü.txt`);
    const bytes = pseudoRandomBytes(1000, 'save');
    await file.save(bytes, { contentType: 'audio/ogg; codecs=opus', metadata: { metadata: { sha256: 'abc' } } });
    const [metadata] = await file.getMetadata();
    assert.equal(metadata.contentType, 'audio/ogg; codecs=opus');
    assert.deepEqual(metadata.metadata, { sha256: 'abc' });
    assert.equal(Number(metadata.size), 1000);
    assert.deepEqual(await file.exists(), [true]);
    const [downloaded] = await file.download();
    assert.deepEqual(downloaded, bytes);
  });

  it('a resumable createWriteStream() of 20 MB downloads whole and by ranges with the same bytes', async () => {
    const size = 20 * MiB;
    const file = bucket.file(`${prefix}big/20mb.bin`);
    await uploadWithClient(file, size, '20mb', { contentType: 'video/mp4' });
    const [metadata] = await file.getMetadata();
    assert.equal(Number(metadata.size), size);
    assert.equal(metadata.contentType, 'video/mp4');

    const [whole] = await file.download();
    assert.equal(whole.length, size);
    assert.equal(await sha256Of(whole), await sha256Of(pseudoRandomStream(size, '20mb')));
    assert.equal(await sha256Of(file.createReadStream()), await sha256Of(pseudoRandomStream(size, '20mb')));

    const expected = pseudoRandomBytes(size, '20mb');
    // Ranges are inclusive; one inside, one across a 16-byte boundary, one at the very end.
    for (const [start, end] of [
      [0, 0],
      [5 * MiB + 7, 5 * MiB + 70_000],
      [size - 100, size - 1],
    ] as const) {
      const [part] = await file.download({ start, end });
      assert.deepEqual(part, expected.subarray(start, end + 1), `bytes ${start}-${end}`);
    }
  });

  it('a chunked resumable upload (chunkSize) creates the object only with its last chunk', async () => {
    const size = 3 * MiB + 12_345;
    const file = bucket.file(`${prefix}chunked/c.bin`);
    const stream = file.createWriteStream({ resumable: true, chunkSize: MiB });
    let uri: string | undefined;
    stream.on('uri', (u: string) => {
      uri = u;
    });
    async function* source() {
      let written = 0;
      for await (const chunk of pseudoRandomStream(size, 'chunked') as AsyncIterable<Buffer>) {
        yield chunk;
        written += chunk.length;
        if (written !== 2 * MiB + 64 * 1024) continue;
        // Two chunks went out: the session holds bytes, but there is no object yet.
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.ok(uri, 'the session exists');
        const { status, kept } = await sessionStatus(uri);
        assert.equal(status, 308);
        assert.ok(kept >= MiB && kept <= written, `kept ${kept} of ${written}`);
        assert.deepEqual(await objectNames(bucket, `${prefix}chunked/`), [], 'a status query creates nothing');
      }
    }
    await pipeline(source, stream);
    const [downloaded] = await file.download();
    assert.equal(downloaded.length, size);
    assert.equal(await sha256Of(downloaded), await sha256Of(pseudoRandomStream(size, 'chunked')));
  });

  it('a resumable upload whose source fails mid-way leaves no object', async () => {
    const file = bucket.file(`${prefix}failed/f.bin`);
    const source = pseudoRandomStream(8 * MiB, 'failed', { failAfter: 5 * MiB });
    await assert.rejects(pipeline(source, file.createWriteStream({ resumable: true })), /ECONNRESET/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await file.exists(), [false]);
    assert.deepEqual(await objectNames(bucket, `${prefix}failed/`), []);
  });

  it('a resumable upload broken off mid-way leaves nothing visible; the session keeps what arrived and resumes from there', async () => {
    const size = 6 * MiB + 333;
    const file = bucket.file(`${prefix}broken/manual.bin`);
    const [uri] = await file.createResumableUpload({ metadata: { contentType: 'application/pdf' } });
    await uploadAndBreakOff(uri, size, 'broken', 4 * MiB);

    assert.deepEqual(await file.exists(), [false], 'no partial object');
    assert.deepEqual(await objectNames(bucket, `${prefix}broken/`), []);
    const { status, kept } = await sessionStatus(uri);
    assert.equal(status, 308, 'the session is still open');
    assert.ok(kept <= 4 * MiB, `kept ${kept} bytes, at most what was sent`);
    assert.deepEqual(await file.exists(), [false], 'asking for the status creates nothing');

    // Resume by hand: send exactly the bytes after those kept, as the last request.
    const rest = pseudoRandomBytes(size, 'broken').subarray(kept);
    const res = await fetch(uri, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${kept}-${size - 1}/${size}` },
      body: rest,
    });
    // Cloud Storage answers the request that completes an object with 200 or 201.
    assert.ok([200, 201].includes(res.status), `${res.status} ${await res.clone().text()}`);
    const [metadata] = await file.getMetadata();
    assert.equal(Number(metadata.size), size);
    assert.equal(metadata.contentType, 'application/pdf');
    const [downloaded] = await file.download();
    assert.equal(await sha256Of(downloaded), await sha256Of(pseudoRandomStream(size, 'broken')));
    const finished = (await sessionStatus(uri)).status;
    assert.ok([200, 201].includes(finished), `a finished session answers with the object, got ${finished}`);
  });

  it('the client resumes a broken-off session from its URI, given the whole stream again', async () => {
    const size = 7 * MiB + 5;
    const file = bucket.file(`${prefix}broken/client.bin`);
    const [uri] = await file.createResumableUpload({ metadata: { contentType: 'image/jpeg' } });
    await uploadAndBreakOff(uri, size, 'client-resume', 3 * MiB);
    assert.deepEqual(await file.exists(), [false]);

    // The client asks the session where to go on and skips what it already holds; its CRC32C
    // check still covers every byte, so a resumed object is verified whole.
    await uploadWithClient(file, size, 'client-resume', { uri });
    const [downloaded] = await file.download();
    assert.equal(downloaded.length, size);
    assert.equal(await sha256Of(downloaded), await sha256Of(pseudoRandomStream(size, 'client-resume')));
    assert.deepEqual(await objectNames(bucket, `${prefix}broken/client`), [`${prefix}broken/client.bin`]);
  });

  it('a cancelled session (DELETE on its URI) creates nothing and takes no more bytes', async () => {
    const file = bucket.file(`${prefix}cancelled/x.bin`);
    const [uri] = await file.createResumableUpload();
    await uploadAndBreakOff(uri, 2 * MiB, 'cancelled', MiB);
    const cancelled = await fetch(uri, { method: 'DELETE' });
    assert.equal(cancelled.status, 499);
    const res = await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes 0-9/10' }, body: 'abcdefghij' });
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    assert.deepEqual(await file.exists(), [false]);
  });

  it('delete() removes an object: exists() is false, download() and delete() answer 404', async () => {
    const file = bucket.file(`${prefix}deleted/d.bin`);
    await file.save(Buffer.from('gone soon'));
    await file.delete();
    assert.deepEqual(await file.exists(), [false]);
    await assert.rejects(file.download(), (err) => httpCode(err) === 404);
    await assert.rejects(file.delete(), (err) => httpCode(err) === 404);
    await file.delete({ ignoreNotFound: true });
  });
});
