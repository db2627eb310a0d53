/**
 * The storage layer fed the way the media fetcher will feed it: WhatsApp-encrypted media from the
 * simulated media server, decrypted as a stream by Baileys' `downloadMediaMessage`, checked
 * against the content's `fileSha256` and stored by MediaStore on the Storage emulator. Also the
 * expired-link path: the download's 404/410 is reported with its status, one re-upload request
 * (`updateMediaMessage`) renews the link, and a second attempt stores the file.
 */
import assert from 'node:assert/strict';
import { assertMediaContent, downloadMediaMessage, type proto, type WAMessage } from '@whiskeysockets/baileys';
import { pseudoRandomBytes, sha256Of } from '../../../test/support/bytes.ts';
import { sharedStorage, testBucket } from '../../../test/support/storage.ts';
import { MediaError } from '../../src/media/errors.ts';
import { type Bucket, MediaStore, type StoreMediaRequest } from '../../src/media/store.ts';
import { SimulatedMediaServer } from '../../src/transport/simulated/media.ts';

const MiB = 1024 * 1024;

describe('media: WhatsApp media into Cloud Storage', function () {
  this.timeout(60_000);
  let media: SimulatedMediaServer;
  let bucket: Bucket;
  let store: MediaStore;
  let n = 0;

  before(async () => {
    await sharedStorage();
    bucket = testBucket();
    store = new MediaStore({ bucket, maxBytes: 64 * MiB });
    media = await SimulatedMediaServer.start();
  });
  after(async () => {
    await media.close();
  });

  function received(message: proto.IMessage): WAMessage {
    return { key: { remoteJid: '4915112345678@s.whatsapp.net', fromMe: false, id: `3EB0MEDIA${n++}` }, message };
  }

  /** The request a fetcher makes for a received media message. */
  function requestFor(message: WAMessage): StoreMediaRequest {
    const content = assertMediaContent(message.message);
    return {
      owner: {
        accountId: `wa-${process.pid}`,
        threadId: message.key.remoteJid!,
        messageDocId: `peer~${message.key.id}`,
      },
      fileSha256: content.fileSha256!,
      fileLength: Number(content.fileLength),
      contentType: content.mimetype,
      open: () => downloadMediaMessage(message, 'stream', media.downloadOptions()),
    };
  }

  /** The objects of a message's media folder (accounts/{account}/media/{thread}/{message}/…). */
  async function objectsOf(message: WAMessage): Promise<string[]> {
    const [files] = await bucket.getFiles({ prefix: `accounts/${requestFor(message).owner.accountId}/media/` });
    return files.map((f) => f.name).filter((name) => name.includes(message.key.id!));
  }

  it('stores a received photo with the phone’s bytes (SHA-256 equal to its fileSha256)', async () => {
    const plaintext = pseudoRandomBytes(3 * MiB + 1, 'photo');
    const message = received(await media.publish({ type: 'image', plaintext, caption: 'delivered' }));
    const stored = await store.store(requestFor(message));
    assert.equal(stored.sha256, Buffer.from(assertMediaContent(message.message).fileSha256!).toString('hex'));
    assert.equal(stored.sha256, await sha256Of(plaintext));
    const [metadata] = await bucket.file(stored.path).getMetadata();
    assert.equal(metadata.contentType, 'image/jpeg');
    assert.equal(await sha256Of(bucket.file(stored.path).createReadStream()), stored.sha256);
    const jpeg = message.message?.imageMessage?.jpegThumbnail;
    assert.ok(jpeg, 'Baileys put the thumbnail into the content');
    const thumbnail = await store.storeThumbnail(requestFor(message).owner, jpeg);
    assert.equal(thumbnail.path, stored.path.replace(/original$/, 'thumbnail'));
    assert.deepEqual((await objectsOf(message)).sort(), [stored.path, thumbnail.path].sort());
  });

  it('expired once: the download reports 410, one re-upload request renews the link, the second attempt stores it', async () => {
    const plaintext = pseudoRandomBytes(MiB, 'voice');
    const message = received(await media.publish({ type: 'audio', ptt: true, plaintext, expiry: 'once' }));
    const first = await store.store(requestFor(message)).catch((err: unknown) => err);
    assert.ok(first instanceof MediaError && first.code === 'source_failed' && first.httpStatus === 410, String(first));
    assert.deepEqual(await objectsOf(message), []);

    await media.updateMediaMessage(message);
    const stored = await store.store(requestFor(message));
    assert.equal(stored.sha256, await sha256Of(plaintext));
    assert.equal(stored.outcome, 'stored');
  });

  it('expired for good: 404, and the re-upload request fails with NOT_FOUND (the message is `expired`)', async () => {
    const message = received(
      await media.publish({ type: 'document', plaintext: Buffer.from('%PDF'), expiry: 'forever' }),
    );
    const first = await store.store(requestFor(message)).catch((err: unknown) => err);
    assert.ok(first instanceof MediaError && first.httpStatus === 404, String(first));
    await assert.rejects(
      media.updateMediaMessage(message),
      (err) => (err as { output: { statusCode: number } }).output.statusCode === 404,
    );
  });

  it('refuses media whose plaintext does not match its fileSha256 (a tampered or wrong file)', async () => {
    const message = received(await media.publish({ type: 'video', plaintext: pseudoRandomBytes(2 * MiB, 'video') }));
    const content = assertMediaContent(message.message);
    const tampered = { ...requestFor(message), fileSha256: Buffer.from(content.fileSha256!).fill(7) };
    await assert.rejects(store.store(tampered), (err) => err instanceof MediaError && err.code === 'sha256_mismatch');
    assert.deepEqual(await objectsOf(message), []);
  });
});
