/**
 * GET /api/whatsapp/media/:accountId/:threadId/:messageId against the test Firestore and the
 * Storage emulator: a stored file streamed to a viewer (whole, ranges, ETag), refused to a
 * non-member and without a token; media not stored yet answers 202 with Retry-After and writes
 * one fetch_media command for the socket host (one per message per window, however often asked);
 * expired and too-large media get their own answers.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type MediaInfo, mediaObjectPaths, messageDocId, paths, threadDocId } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import type request from 'supertest';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { sharedStorage, testBucket } from '../../../test/support/storage.ts';
import { mediaBucketName } from '../../src/media/bucket.ts';
import { assertError, assertMatchesSchema, type TestApi, testApi } from '../support/api.ts';
import { newPeople, type Persona, seedAccount } from '../support/fixtures.ts';

const ACCOUNT = 'acct-media';
const JID = '4915112345678@s.whatsapp.net';
const THREAD = threadDocId(JID);
const FILE = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) % 256));
const SHA = createHash('sha256').update(FILE).digest('hex');

let n = 0;
/** A message with `media` in the test thread; returns its URL path. */
async function seedMessage(media: MediaInfo | undefined): Promise<{ url: string; docId: string }> {
  const id = `3EB0${(n++).toString(16).toUpperCase().padStart(18, '0')}`;
  const docId = messageDocId(JID, false, id);
  await testDb()
    .doc(paths.message(ACCOUNT, THREAD, docId))
    .set({
      id,
      threadId: THREAD,
      accountId: ACCOUNT,
      fromMe: false,
      sender: JID,
      timestamp: Timestamp.fromMillis(1_700_000_000_000 + n),
      type: 'image',
      text: null,
      status: 'delivered',
      source: 'history',
      updatedAt: Timestamp.fromMillis(1_700_000_000_000),
      ...(media && { media }),
    });
  return { url: `/api/whatsapp/media/${ACCOUNT}/${encodeURIComponent(THREAD)}/${encodeURIComponent(docId)}`, docId };
}

function bytes(res: request.Response): Buffer {
  return Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.text ?? '', 'binary');
}

describe('api: GET /media/:accountId/:threadId/:messageId', function () {
  this.timeout(120_000);
  let api: TestApi;
  let people: Record<'outsider' | 'viewer' | 'operator', Persona>;
  let stored: { url: string };

  before(async function () {
    this.timeout(180_000);
    await sharedStorage();
    people = await newPeople();
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [people.viewer.uid]: 'viewer' });
    api = testApi();
    const seeded = await seedMessage({ mimetype: 'image/png', fileLength: FILE.length });
    const objects = mediaObjectPaths({ accountId: ACCOUNT, threadId: THREAD, messageDocId: seeded.docId });
    const bucket = testBucket(mediaBucketName());
    await bucket.file(objects.original).save(FILE, { resumable: false, contentType: 'image/png' });
    await bucket.file(objects.thumbnail).save(Buffer.from('thumb'), { resumable: false, contentType: 'image/jpeg' });
    const media: MediaInfo = {
      mimetype: 'image/png',
      fileLength: FILE.length,
      state: 'stored',
      path: objects.original,
      sha256: SHA,
      thumbnailPath: objects.thumbnail,
    };
    await testDb()
      .doc(paths.message(ACCOUNT, THREAD, seeded.docId))
      .update({ media });
    stored = seeded;
  });

  const getBinary = (url: string, token?: string) =>
    api
      .get(url, token)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });

  it('streams the stored file to a viewer with Content-Type, Content-Length and a strong ETag', async () => {
    const res = await getBinary(stored.url, people.viewer.idToken);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/png');
    assert.equal(res.headers['content-length'], String(FILE.length));
    assert.equal(res.headers.etag, `"${SHA}"`);
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.deepEqual(bytes(res), FILE);
  });

  it('answers ranges with 206, a matching ETag with 304, a range outside the file with 416', async () => {
    const part = await getBinary(stored.url, people.viewer.idToken).set('Range', 'bytes=1000-1999');
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-1999/${FILE.length}`);
    assert.equal(part.headers['content-length'], '1000');
    assert.deepEqual(bytes(part), FILE.subarray(1000, 2000));
    const tail = await getBinary(stored.url, people.viewer.idToken).set('Range', 'bytes=-10');
    assert.equal(tail.status, 206);
    assert.deepEqual(bytes(tail), FILE.subarray(FILE.length - 10));
    const same = await api.get(stored.url, people.viewer.idToken).set('If-None-Match', `"${SHA}"`);
    assert.equal(same.status, 304);
    const outside = await api.get(stored.url, people.viewer.idToken).set('Range', `bytes=${FILE.length}-`);
    assert.equal(outside.status, 416);
    assert.equal(outside.headers['content-range'], `bytes */${FILE.length}`);
    assertMatchesSchema('Error', outside.body);
  });

  it('serves the thumbnail as its own object', async () => {
    const res = await getBinary(`${stored.url}?variant=thumbnail`, people.viewer.idToken);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(bytes(res).toString(), 'thumb');
  });

  it('refuses a non-member (403) and a request without a token (401); operators may', async () => {
    assertError(await api.get(stored.url, people.outsider.idToken), 403, 'permission_denied');
    assertError(await api.get(stored.url), 401, 'unauthenticated');
    assert.equal((await getBinary(stored.url, people.operator.idToken)).status, 200);
  });

  it('media not stored yet: 202 with Retry-After and one fetch_media command, however often asked', async () => {
    const { url, docId } = await seedMessage({ mimetype: 'image/jpeg', fileLength: 1234 });
    const first = await api.get(url, people.viewer.idToken);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assertMatchesSchema('MediaFetching', first.body);
    assert.equal(first.headers['retry-after'], String(first.body.retryAfterSeconds));
    const again = await api.get(url, people.viewer.idToken);
    assert.equal(again.body.commandId, first.body.commandId);
    const commands = await testDb()
      .collection(paths.commands(ACCOUNT))
      .where('type', '==', 'fetch_media')
      .where('payload.messageId', '==', docId)
      .get();
    assert.equal(commands.size, 1);
    assert.equal(commands.docs[0]!.get('state'), 'pending');
    assert.deepEqual(commands.docs[0]!.get('payload'), { threadId: THREAD, messageId: docId });
  });

  it('expired media is 404 with details.mediaState, too-large media 412; a message without media 404', async () => {
    const expired = await seedMessage({ mimetype: 'audio/ogg', fileLength: 10, state: 'expired' });
    const res = await api.get(expired.url, people.viewer.idToken);
    assertError(res, 404, 'not_found');
    assert.equal(res.body.error.details.mediaState, 'expired');
    const large = await seedMessage({ mimetype: 'video/mp4', fileLength: 1e9, state: 'too_large' });
    assertError(await api.get(large.url, people.viewer.idToken), 412, 'failed_precondition');
    const none = await seedMessage(undefined);
    assertError(await api.get(none.url, people.viewer.idToken), 404, 'not_found');
  });

  it('media failed for good (sha256 mismatch) is 412 and asks nothing; a failure that may pass asks again', async () => {
    const error = { code: 'sha256_mismatch', message: 'the file does not match its fileSha256' };
    const bad = await seedMessage({ mimetype: 'image/jpeg', fileLength: 10, state: 'failed', error });
    const res = await api.get(bad.url, people.viewer.idToken);
    assertError(res, 412, 'failed_precondition');
    assert.deepEqual(
      [res.body.error.details.mediaState, res.body.error.details.mediaError],
      ['failed', 'sha256_mismatch'],
    );
    const fetches = (docId: string) =>
      testDb()
        .collection(paths.commands(ACCOUNT))
        .where('type', '==', 'fetch_media')
        .where('payload.messageId', '==', docId)
        .get();
    assert.equal((await fetches(bad.docId)).size, 0, 'no fetch asked');
    const transient = await seedMessage({
      mimetype: 'image/jpeg',
      fileLength: 10,
      state: 'failed',
      error: { code: 'source_failed', message: 'the download failed' },
    });
    assert.equal((await api.get(transient.url, people.viewer.idToken)).status, 202);
    assert.equal((await fetches(transient.docId)).size, 1);
  });
});
