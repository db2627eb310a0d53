/**
 * `mergeContent` on media: WhatsApp's metadata joins field by field, and what the socket host
 * recorded about storing the file (`state`, `path`, `sha256`, `storedAt`, `error`) survives any
 * later sighting of the message — a replayed live message, history, a backfill answer. The sightings
 * are Baileys messages normalised by `normalizeMessage`.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type ContentFields, mergeContent } from '../../src/message-doc/content.ts';
import { normalizeMessage } from '../../src/normalize/index.ts';
import { MEDIA_STATES, type MediaInfo } from '../../src/schema.ts';
import { liveDm, NOW, SELF } from '../fixtures/wa-messages.ts';
import { asMessage } from '../normalize/helpers.ts';

const ID = '3EB0F00000000000000077';
const PATH = `accounts/acc1/media/4915112345678@s.whatsapp.net/peer~${ID}/original`;

/** An image message of the peer as the live socket delivers it, normalised. */
function sighting(caption: string | undefined = 'the delivery'): ContentFields {
  const message = liveDm(
    {
      imageMessage: {
        mimetype: 'image/jpeg',
        fileLength: 48_213,
        width: 1280,
        height: 960,
        caption,
        mediaKey: new Uint8Array(32).fill(1),
        fileSha256: new Uint8Array(32).fill(2),
        directPath: '/v/t62.7118-24/1_2_n.enc?ccb=11-4',
      },
    },
    { id: ID },
  );
  const { type, text, media } = asMessage(
    normalizeMessage(message, { source: 'realtime', receivedAt: NOW, self: SELF }),
  ).doc as ContentFields;
  return media ? { type, text, media } : { type, text };
}

function withStorage(content: ContentFields, storage: Partial<MediaInfo>): ContentFields {
  return { ...content, media: { ...(content.media as MediaInfo), ...storage } };
}

const STORED: Partial<MediaInfo> = { state: 'stored', path: PATH, sha256: '02'.repeat(32), storedAt: NOW + 5_000 };

describe('message-doc/mergeContent: media', () => {
  it('keeps a stored file’s state, path, hash and time when the message is seen again, in either order', () => {
    const stored = withStorage(sighting(), STORED);
    const replay = sighting();
    assert.equal(replay.media?.state, undefined, 'a sighting carries no storage fields');
    for (const merged of [mergeContent(stored, replay), mergeContent(replay, stored)]) {
      assert.deepEqual(merged.media, stored.media);
    }
  });

  it('keeps the storage fields of the side further along as one unit, never a mix', () => {
    const failed = withStorage(sighting(), {
      state: 'failed',
      error: { code: 'sha256_mismatch', message: 'the file does not match' },
    });
    const stored = withStorage(sighting(), STORED);
    assert.deepEqual(mergeContent(failed, stored).media, stored.media);
    assert.deepEqual(mergeContent(stored, failed).media, stored.media);
    const pending = withStorage(sighting(), { state: 'pending' });
    assert.deepEqual(mergeContent(pending, failed).media, failed.media);
  });

  it('is a join on media: commutative, associative and idempotent (property)', () => {
    const base = sighting();
    const bare = sighting(undefined);
    const storage = fc.record(
      {
        state: fc.constantFrom(...MEDIA_STATES),
        path: fc.constantFrom(PATH, `${PATH}-2`),
        sha256: fc.constantFrom('02'.repeat(32), 'ff'.repeat(32)),
        storedAt: fc.integer({ min: NOW, max: NOW + 3 }),
        error: fc.record({ code: fc.constantFrom('too_large', 'expired', 'download_failed'), message: fc.string() }),
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    const content = fc.tuple(fc.constantFrom(base, bare), fc.option(storage, { nil: undefined })).map(([c, s]) => {
      if (!s) return c;
      const media = { ...(c.media as MediaInfo) };
      for (const [key, value] of Object.entries(s)) if (value !== undefined) Object.assign(media, { [key]: value });
      return { ...c, media };
    });
    fc.assert(
      fc.property(content, content, content, (a, b, c) => {
        assert.deepEqual(mergeContent(a, b), mergeContent(b, a));
        assert.deepEqual(mergeContent(mergeContent(a, b), c), mergeContent(a, mergeContent(b, c)));
        assert.deepEqual(mergeContent(a, a), a);
      }),
      { numRuns: 500 },
    );
  });
});
