/**
 * The media fetcher through the real pipeline: live media stored eagerly with WhatsApp's bytes,
 * history media only on request or by the bounded background pass, one re-upload request on an
 * expired link, too-large files never downloaded, and the per-account bound.
 */
import assert from 'node:assert/strict';
import { assertMediaContent, type proto } from '@whiskeysockets/baileys';
import { PEER } from '../../../shared/test/fixtures/wa-messages.ts';
import { deliver, history } from '../../../shared/test/support/baileys-feed.ts';
import { pseudoRandomBytes, sha256Of } from '../../../test/support/bytes.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { testBucket } from '../../../test/support/storage.ts';
import { SimulatedMediaServer } from '../../src/transport/simulated/media.ts';
import { recentHistoryOf } from '../support/history-gen.ts';
import { liveMedia, type MediaSync, MiB, messageId, openMediaSync } from '../support/media.ts';
import { feed } from '../support/sync.ts';

/** Every media state an account's messages go through, as a member's listener sees them. */
function watchMediaStates(accountId: string) {
  const states: (string | undefined)[] = [];
  const stop = testDb()
    .collectionGroup('messages')
    .where('accountId', '==', accountId)
    .onSnapshot((snap) => {
      for (const change of snap.docChanges()) {
        const state: string | undefined = change.doc.get('media.state');
        if (states.at(-1) !== state || states.length === 0) states.push(state);
      }
    });
  return { states, stop };
}

describe('media/fetcher', function () {
  this.timeout(60_000);
  let server: SimulatedMediaServer;
  const open: MediaSync[] = [];

  before(async () => {
    server = await SimulatedMediaServer.start();
  });
  after(async () => {
    await server.close();
  });
  afterEach(async () => {
    for (const m of open.splice(0)) await m.close();
  });

  async function account(o: Parameters<typeof openMediaSync>[1] = {}): Promise<MediaSync> {
    const m = await openMediaSync(server, o);
    open.push(m);
    return m;
  }

  async function settle(m: MediaSync): Promise<void> {
    await m.sync.drain();
    await m.media.idle();
  }

  function fileSha(content: proto.IMessage): string {
    return Buffer.from(assertMediaContent(content).fileSha256!).toString('hex');
  }

  it('stores live media eagerly: the phone’s bytes, `stored` with path, sha256 and the thumbnail as its own object', async () => {
    const m = await account();
    const plaintext = pseudoRandomBytes(2 * MiB + 5, 'live photo');
    const content = await server.publish({ type: 'image', plaintext, caption: 'the delivery' });
    const { id, maps } = await liveMedia(content);
    const { states, stop } = watchMediaStates(m.accountId);
    await feed(m.sync, maps, Date.now());
    await settle(m);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    assert.deepEqual(states, [undefined, 'pending', 'stored'], 'stored without media state, then pending, then stored');
    const { doc } = await m.message(id);
    assert.equal(doc.media?.state, 'stored');
    assert.equal(doc.media?.sha256, fileSha(content));
    assert.equal(doc.media?.sha256, await sha256Of(plaintext));
    assert.ok(doc.media?.path?.startsWith(`accounts/${m.accountId}/media/`));
    const bucket = testBucket();
    assert.equal(await sha256Of(bucket.file(doc.media!.path!).createReadStream()), doc.media?.sha256);
    const [meta] = await bucket.file(doc.media!.path!).getMetadata();
    assert.equal(meta.contentType, 'image/jpeg');
    assert.ok(doc.media?.thumbnailPath?.endsWith('/thumbnail'));
    const [thumb] = await bucket.file(doc.media!.thumbnailPath!).download();
    assert.deepEqual(thumb, Buffer.from(content.imageMessage!.jpegThumbnail!));
    assert.equal(doc.text, 'the delivery', 'the pipeline’s fields stay');
    // The media key never reaches the message document.
    assert.ok(!JSON.stringify(doc).includes(Buffer.from(content.imageMessage!.mediaKey!).toString('base64')));
    const source = (await testDb().collection(`mediaSources/${m.accountId}/messages`).get()).docs;
    assert.equal(source.length, 1);
    assert.equal(source[0]!.get('wanted'), false);
  });

  it('expired once: one re-upload request through the socket, then stored', async () => {
    const m = await account();
    const plaintext = pseudoRandomBytes(MiB, 'voice once');
    const content = await server.publish({ type: 'audio', ptt: true, plaintext, expiry: 'once' });
    const { id, maps } = await liveMedia(content);
    const { states, stop } = watchMediaStates(m.accountId);
    await feed(m.sync, maps, Date.now());
    await settle(m);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    assert.deepEqual(states, [undefined, 'pending', 'stored'], 'stored without media state, then pending, then stored');
    const { doc } = await m.message(id);
    assert.equal(doc.media?.state, 'stored');
    assert.equal(doc.media?.sha256, await sha256Of(plaintext));
    assert.equal(server.reuploadRequests.filter((r) => r === id).length, 1);
    assert.equal(m.media.counters.reuploads, 1);
  });

  it('expired for good: `expired` after exactly one re-upload request, and asking again requests nothing more', async () => {
    const m = await account();
    const content = await server.publish({
      type: 'document',
      plaintext: pseudoRandomBytes(300_000, 'gone'),
      fileName: 'invoice.pdf',
      mimetype: 'application/pdf',
      expiry: 'forever',
    });
    const { id, maps } = await liveMedia(content);
    await feed(m.sync, maps, Date.now());
    await settle(m);
    const found = await m.message(id);
    assert.equal(found.doc.media?.state, 'expired');
    assert.equal(found.doc.media?.error?.code, 'media_expired');
    assert.equal(found.doc.media?.fileName, 'invoice.pdf');
    const requests = server.requests.length;
    const [threadId, , messageDocId] = found.path.split('/').slice(3);
    assert.equal(await m.media.fetchNow({ threadId: threadId!, messageDocId: messageDocId! }), 'expired');
    assert.equal(server.reuploadRequests.filter((r) => r === id).length, 1, 'one re-upload request, no storm');
    assert.equal(server.requests.length, requests, 'no download either');
  });

  it('a link that expires while no socket is open is `failed`, not `expired`, and is stored once the socket is back', async () => {
    let connected = false;
    const m = await account({ connected: () => connected });
    const plaintext = pseudoRandomBytes(200_000, 'between reconnects');
    const content = await server.publish({ type: 'image', plaintext, expiry: 'once' });
    const { id, maps } = await liveMedia(content);
    await feed(m.sync, maps, Date.now());
    await settle(m);
    const found = await m.message(id);
    assert.equal(found.doc.media?.state, 'failed', 'the phone was never asked: not its answer');
    assert.equal(found.doc.media?.error?.code, 'media_reupload_unavailable');
    assert.equal(server.reuploadRequests.filter((r) => r === id).length, 0);
    assert.equal(m.media.counters.reuploads, 0);
    connected = true;
    const [threadId, , messageDocId] = found.path.split('/').slice(3);
    assert.equal(await m.media.fetchNow({ threadId: threadId!, messageDocId: messageDocId! }), 'stored');
    assert.equal((await m.message(id)).doc.media?.sha256, await sha256Of(plaintext));
    assert.equal(server.reuploadRequests.filter((r) => r === id).length, 1);
  });

  it('too large: `too_large` from the declared length, nothing downloaded', async () => {
    const m = await account({ maxBytes: MiB });
    const content = await server.publish({ type: 'video', plaintext: pseudoRandomBytes(MiB + 1, 'big') });
    const before = server.requests.length;
    const { id, maps } = await liveMedia(content);
    await feed(m.sync, maps, Date.now());
    await settle(m);
    const { doc } = await m.message(id);
    assert.equal(doc.media?.state, 'too_large');
    assert.equal(doc.media?.error?.code, 'too_large');
    assert.equal(server.requests.length, before);
  });

  it('history media is lazy: not fetched on arrival, fetched on the first request', async () => {
    const m = await account({ fetch: { prefetchNewest: 0 } });
    const plaintext = pseudoRandomBytes(700_000, 'old photo');
    const content = await server.publish({ type: 'image', plaintext });
    const id = messageId();
    const maps = await deliver([historyOf([{ id, t: 1_700_000_000, content }])], false);
    const before = server.requests.length;
    await feed(m.sync, maps, Date.now());
    await settle(m);
    const found = await m.message(id);
    assert.equal(found.doc.media?.state, undefined, 'not looked at yet');
    assert.equal(server.requests.length, before, 'nothing downloaded');
    const [threadId, , messageDocId] = found.path.split('/').slice(3);
    assert.equal(await m.media.fetchNow({ threadId: threadId!, messageDocId: messageDocId! }), 'stored');
    assert.equal((await m.message(id)).doc.media?.sha256, await sha256Of(plaintext));
  });

  it('live media of a type not in MEDIA_EAGER_TYPES is lazy: not fetched on arrival, fetched on request or by the background pass', async () => {
    const arrive = async (m: MediaSync) => {
      const photo = await server.publish({ type: 'image', plaintext: pseudoRandomBytes(40_000, 'eager photo') });
      const voice = await server.publish({ type: 'audio', ptt: true, plaintext: pseudoRandomBytes(30_000, 'voice') });
      const clip = await server.publish({ type: 'video', plaintext: pseudoRandomBytes(50_000, 'clip') });
      const arrived = [await liveMedia(photo), await liveMedia(voice), await liveMedia(clip)];
      const before = server.requests.length;
      // One batch, as Baileys' event buffer hands them over together.
      await feed(
        m.sync,
        arrived.flatMap((a) => a.maps),
        Date.now(),
      );
      await settle(m);
      const [image, audio, video] = await Promise.all(arrived.map((a) => m.message(a.id)));
      return {
        image: image!,
        audio: audio!,
        video: video!,
        contents: { voice },
        downloads: server.requests.length - before,
      };
    };

    // Only images eager, no background pass: the voice note and the video wait for a request.
    const m = await account({ fetch: { eagerTypes: ['image'], prefetchNewest: 0 } });
    const { image, audio, video, contents, downloads } = await arrive(m);
    assert.equal(image.doc.media?.state, 'stored');
    assert.deepEqual([audio.doc.media?.state, video.doc.media?.state], [undefined, undefined], 'not looked at');
    assert.equal(downloads, 1, 'only the image downloaded');
    const sources = await testDb().collection(`mediaSources/${m.accountId}/messages`).get();
    assert.deepEqual(
      sources.docs.map((d) => d.get('wanted') === true),
      [false, false, false],
      'no fetch owed to a next owner either',
    );
    const [threadId, , messageDocId] = audio.path.split('/').slice(3);
    assert.equal(await m.media.fetchNow({ threadId: threadId!, messageDocId: messageDocId! }), 'stored');
    assert.equal((await m.message(audio.doc.id)).doc.media?.sha256, fileSha(contents.voice));
    assert.equal((await m.message(video.doc.id)).doc.media?.state, undefined, 'the video still waits');

    // With the background pass, lazy live media is fetched like history media.
    const other = await account({ fetch: { eagerTypes: ['image'], prefetchNewest: 5 } });
    const later = await arrive(other);
    assert.deepEqual(
      [later.image, later.audio, later.video].map((x) => x.doc.media?.state),
      ['stored', 'stored', 'stored'],
    );
  });

  it('the background pass fetches each thread’s newest N history media only', async () => {
    const m = await account({ fetch: { prefetchNewest: 2 } });
    const items = [];
    for (let i = 0; i < 4; i++) {
      const content = await server.publish({ type: 'sticker', plaintext: pseudoRandomBytes(20_000, `s${i}`) });
      items.push({ id: messageId(), t: 1_700_000_000 + i * 60, content });
    }
    const maps = await deliver([historyOf(items)], false);
    await feed(m.sync, maps, Date.now());
    await m.sync.drain();
    await m.media.idle();
    const states = await Promise.all(items.map(async (item) => (await m.message(item.id)).doc.media?.state));
    assert.deepEqual(states, [undefined, undefined, 'stored', 'stored']);
  });

  it('100 media messages arriving together never run more than the per-account limit at once', async () => {
    const m = await account({ fetch: { perAccount: 3 } });
    const maps = [];
    const ids = [];
    for (let i = 0; i < 100; i++) {
      const content = await server.publish({ type: 'image', plaintext: pseudoRandomBytes(30_000, `many${i}`) });
      const arrived = await liveMedia(content);
      ids.push(arrived.id);
      maps.push(...arrived.maps);
    }
    await feed(m.sync, maps, Date.now());
    await settle(m);
    const states = (await m.messages()).map((x) => x.doc.media?.state);
    assert.equal(states.filter((s) => s === 'stored').length, 100);
    assert.equal(m.media.counters.peakActive, 3, 'the limit was reached, never passed');
  });
});

/** A RECENT history payload of PEER's chat with these media messages. */
function historyOf(items: Array<{ id: string; t: number; content: proto.IMessage }>) {
  return history(`h-${items[0]!.id}`, items[0]!.t + 3600, () =>
    recentHistoryOf(
      PEER.pn,
      items.map((item) => ({
        key: { remoteJid: PEER.pn, fromMe: false, id: item.id },
        messageTimestamp: item.t,
        message: item.content,
      })),
    ),
  );
}
