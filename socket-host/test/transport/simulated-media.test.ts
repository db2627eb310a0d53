/**
 * The simulated media server against Baileys' own download path: whatever it publishes,
 * `downloadMediaMessage(msg, 'stream', …)` decrypts to the exact plaintext, through the links and
 * keys Baileys itself wrote into the content; expired links answer as WhatsApp's do, and the
 * phone's answer to a re-upload request goes through Baileys' `decryptMediaRetryData`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  decryptMediaRetryData,
  downloadContentFromMessage,
  downloadMediaMessage,
  getContentType,
  type proto,
  type WAMessage,
} from '@whiskeysockets/baileys';
import { pseudoRandomBytes, pseudoRandomStream, sha256Of } from '../../../test/support/bytes.ts';
import {
  DEFAULT_JPEG_THUMBNAIL,
  type PublishMediaInput,
  SimulatedMediaServer,
} from '../../src/transport/simulated/media.ts';

const MiB = 1024 * 1024;
let nextId = 0;

function received(message: proto.IMessage): WAMessage {
  return {
    key: {
      remoteJid: '4915112345678@s.whatsapp.net',
      fromMe: false,
      id: `3EB0${(nextId++).toString(16).padStart(18, '0')}`,
    },
    message,
    messageTimestamp: 1_735_689_600,
  };
}

/** The media entry of a content (`imageMessage`, …), whatever its type. */
function mediaOf(message: proto.IMessage) {
  const type = getContentType(message) as keyof proto.IMessage;
  return message[type] as proto.Message.IImageMessage & proto.Message.IDocumentMessage & proto.Message.IAudioMessage;
}

function statusOf(err: unknown): number | undefined {
  return (err as { output?: { statusCode?: number } }).output?.statusCode;
}

describe('transport/simulated/media', function () {
  this.timeout(60_000);
  let server: SimulatedMediaServer;

  before(async () => {
    server = await SimulatedMediaServer.start();
  });
  after(async () => {
    await server.close();
  });

  const cases: [string, Omit<PublishMediaInput, 'plaintext'>, string][] = [
    ['a photo', { type: 'image', caption: 'the delivery', width: 1280, height: 960 }, 'image/jpeg'],
    ['a video', { type: 'video', seconds: 12 }, 'video/mp4'],
    ['a voice note', { type: 'audio', ptt: true, seconds: 4 }, 'audio/ogg; codecs=opus'],
    ['a PDF', { type: 'document', mimetype: 'application/pdf', fileName: 'invoice-4711.pdf' }, 'application/pdf'],
    ['a sticker', { type: 'sticker', width: 512, height: 512 }, 'image/webp'],
  ];
  for (const [what, input, mimetype] of cases) {
    it(`${what}: Baileys' content and encryption, downloaded and decrypted by downloadMediaMessage to the exact bytes`, async () => {
      const plaintext = pseudoRandomBytes(300_001, what);
      const content = await server.publish({ ...input, plaintext });
      const media = mediaOf(content);
      assert.equal(getContentType(content), `${input.type}Message`);
      assert.equal(media.mimetype, mimetype);
      assert.match(
        media.url ?? '',
        /^https:\/\/mmg\.whatsapp\.net\/v\/t62\.7118-24\/\d+_\d+_\d+_n\.enc\?ccb=11-4&oh=.+&oe=[0-9A-F]+&_nc_sid=5e03e0&mms3=true$/,
      );
      assert.ok(media.url?.startsWith(`https://mmg.whatsapp.net${media.directPath}`));
      assert.equal(media.mediaKey?.length, 32);
      assert.deepEqual(Buffer.from(media.fileSha256!), createHash('sha256').update(plaintext).digest());
      assert.equal(Number(media.fileLength), plaintext.length);
      assert.equal(media.fileEncSha256?.length, 32);
      assert.ok(Number(media.mediaKeyTimestamp) > 0);
      if (input.type === 'image' || input.type === 'video') {
        assert.deepEqual(Buffer.from(media.jpegThumbnail!), DEFAULT_JPEG_THUMBNAIL);
      }
      if (input.type === 'document') assert.equal(media.fileName, 'invoice-4711.pdf');
      if (input.type === 'audio') assert.equal(media.ptt, true);

      const stream = await downloadMediaMessage(received(content), 'stream', server.downloadOptions());
      assert.equal(await sha256Of(stream), createHash('sha256').update(plaintext).digest('hex'));
      const request = server.requests.at(-1);
      assert.equal(request?.status, 200);
      assert.equal(request?.host, 'mmg.whatsapp.net', 'Baileys built the URL from the content');
      assert.equal(request?.path, new URL(media.directPath!, 'https://x').pathname);
    });
  }

  it('serves ranges: Baileys decrypts a slice from the AES blocks around it', async () => {
    const plaintext = pseudoRandomBytes(2 * MiB + 5, 'ranges');
    const content = await server.publish({ type: 'document', plaintext, mimetype: 'application/zip' });
    for (const [startByte, endByte] of [
      [0, 100],
      [1_000_003, 1_500_000],
      [2 * MiB - 40, 2 * MiB + 5],
    ] as const) {
      const part = await downloadContentFromMessage(mediaOf(content), 'document', {
        ...server.downloadOptions(),
        startByte,
        endByte,
      });
      const chunks: Buffer[] = [];
      for await (const chunk of part) chunks.push(chunk);
      assert.deepEqual(Buffer.concat(chunks), plaintext.subarray(startByte, endByte), `${startByte}-${endByte}`);
      assert.match(server.requests.at(-1)?.range ?? '', /^bytes=\d+-/);
    }
  });

  it('publishes a large file from a stream without holding it, and serves it whole', async () => {
    const size = 40 * MiB + 3;
    const content = await server.publish({ type: 'video', plaintext: pseudoRandomStream(size, 'large') });
    assert.equal(Number(mediaOf(content).fileLength), size);
    const stream = await downloadMediaMessage(received(content), 'stream', server.downloadOptions());
    assert.equal(await sha256Of(stream), await sha256Of(pseudoRandomStream(size, 'large')));
  });

  describe('expired media', () => {
    it('expired once: 410 until the phone re-uploads it, then a new link serves it (the old one stays dead)', async () => {
      const plaintext = pseudoRandomBytes(50_000, 'once');
      const message = received(await server.publish({ type: 'image', plaintext, expiry: 'once' }));
      const oldPath = mediaOf(message.message!).directPath;
      const oldLink = received({ imageMessage: { ...mediaOf(message.message!) } });
      const reuploadRequests: WAMessage[] = [];
      const ctx = {
        logger: { info() {}, debug() {}, warn() {}, error() {}, trace() {}, child: () => ctx.logger, level: 'silent' },
        reuploadRequest: async (m: WAMessage) => {
          reuploadRequests.push(m);
          return server.updateMediaMessage(m);
        },
      };
      await assert.rejects(downloadMediaMessage(message, 'stream', server.downloadOptions(), ctx as never), (err) => {
        assert.equal(statusOf(err), 410);
        return true;
      });
      // Baileys rc14 checks `error.status`, which its Boom has not: it never asks for the re-upload.
      assert.equal(reuploadRequests.length, 0);

      const updated = await server.updateMediaMessage(message);
      const newPath = mediaOf(updated.message!).directPath;
      assert.notEqual(newPath, oldPath);
      assert.ok(mediaOf(updated.message!).url?.startsWith(`https://mmg.whatsapp.net${newPath}`));
      const stream = await downloadMediaMessage(updated, 'stream', server.downloadOptions());
      assert.equal(await sha256Of(stream), await sha256Of(plaintext));
      await assert.rejects(
        downloadMediaMessage(oldLink, 'buffer', server.downloadOptions()),
        (err) => statusOf(err) === 410,
      );
    });

    it('expired for good: 404, and the phone answers the re-upload request with NOT_FOUND', async () => {
      const message = received(
        await server.publish({ type: 'audio', plaintext: Buffer.from('gone'), expiry: 'forever' }),
      );
      await assert.rejects(
        downloadMediaMessage(message, 'buffer', server.downloadOptions()),
        (err) => statusOf(err) === 404,
      );
      await assert.rejects(server.updateMediaMessage(message), (err) => {
        assert.equal(statusOf(err), 404);
        assert.match((err as Error).message, /Media re-upload failed by device \(NOT_FOUND\)/);
        return true;
      });
      await assert.rejects(
        downloadMediaMessage(message, 'buffer', server.downloadOptions()),
        (err) => statusOf(err) === 404,
      );
    });

    it('expire() ends the links of a published file, as time passing would', async () => {
      const message = received(await server.publish({ type: 'image', plaintext: Buffer.from('soon gone') }));
      assert.equal((await downloadMediaMessage(message, 'buffer', server.downloadOptions())).toString(), 'soon gone');
      server.expire(message.message!);
      await assert.rejects(
        downloadMediaMessage(message, 'buffer', server.downloadOptions()),
        (err) => statusOf(err) === 410,
      );
    });

    it('the re-upload answer is what Baileys decrypts with the media key (messages.media-update)', async () => {
      const message = received(
        await server.publish({ type: 'document', plaintext: Buffer.from('pdf'), expiry: 'once' }),
      );
      const update = server.mediaRetryUpdate(message.key, message.message!);
      assert.equal(update.error, undefined);
      const notification = decryptMediaRetryData(update.media!, mediaOf(message.message!).mediaKey!, message.key.id!);
      assert.equal(notification.stanzaId, message.key.id);
      assert.equal(notification.result, 1 /* SUCCESS */);
      assert.match(notification.directPath ?? '', /^\/v\/t62\.7118-24\//);
      // The key binds the answer to the message id: another id cannot decrypt it.
      assert.throws(() => decryptMediaRetryData(update.media!, mediaOf(message.message!).mediaKey!, 'OTHER'));
    });
  });
});
