import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isValidDocId, messageDocId, safeDocId, threadDocId } from '../src/ids.ts';
import { accountMediaPrefix, MAX_SEGMENT_BYTES, mediaObjectPaths, mediaPathSegment } from '../src/media-paths.ts';

const RUNS = { numRuns: 5_000 };

/** Units that hit every rule: the escape character, near-identical UTF-8, reserved and unsafe characters. */
const UNITS = ['%', '2', '5', 'E', 'h', 'u', '.', '~', '#', '?', '[', '*', '\n', '\r', ' ', 'é', 'è', '😀', '😁', 'a'];
const closeStrings = fc.string({ unit: fc.constantFrom(...UNITS), maxLength: 12 });
/** Any valid document id: full unicode, and long enough to reach the hashed form. */
const docId = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1 }),
    closeStrings,
    fc.string({ unit: fc.constantFrom(...UNITS), minLength: 60, maxLength: 300 }),
  )
  .filter(isValidDocId);

/** What Cloud Storage refuses in object names or warns against. */
function isUnsafe(name: string): boolean {
  return [...name].some((ch) => '#[]*?'.includes(ch) || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
}

describe('media-paths', () => {
  it('keeps the ids of real messages readable', () => {
    const thread = threadDocId('4915112345678@s.whatsapp.net');
    const paths = mediaObjectPaths({
      accountId: 'shop-1',
      threadId: thread,
      messageDocId: messageDocId({ threadKind: 'dm', fromMe: false, sender: null, id: '3EB0C0FFEE' }),
    });
    assert.equal(paths.original, 'accounts/shop-1/media/4915112345678@s.whatsapp.net/peer~3EB0C0FFEE/original');
    assert.equal(paths.thumbnail, 'accounts/shop-1/media/4915112345678@s.whatsapp.net/peer~3EB0C0FFEE/thumbnail');
    const group = mediaObjectPaths({
      accountId: 'shop-1',
      threadId: threadDocId('120363041234567890@g.us'),
      messageDocId: safeDocId('123456789012345@lid', 'ABC/..'),
    });
    assert.equal(
      group.original,
      'accounts/shop-1/media/120363041234567890@g.us/123456789012345@lid~ABC%252F../original',
    );
    assert.ok(group.original.startsWith(accountMediaPrefix('shop-1')));
  });

  it('escapes `.` and `..`, which URL normalisation would swallow', () => {
    assert.equal(mediaPathSegment('.'), '%2E');
    assert.equal(mediaPathSegment('..'), '%2E.');
    assert.equal(mediaPathSegment('%2E'), '%252E');
  });

  it('is injective: different ids never share a segment (property)', () => {
    fc.assert(
      fc.property(fc.oneof(docId, closeStrings), fc.oneof(docId, closeStrings), (a, b) => {
        fc.pre(a !== b);
        assert.notEqual(mediaPathSegment(a), mediaPathSegment(b));
      }),
      RUNS,
    );
  });

  it('makes valid, safe object names under 1024 bytes for any ids (property)', () => {
    fc.assert(
      fc.property(docId, docId, docId, (accountId, threadId, messageDocId) => {
        const { original, thumbnail } = mediaObjectPaths({ accountId, threadId, messageDocId });
        for (const name of [original, thumbnail]) {
          assert.ok(Buffer.byteLength(name) <= 1024, `${Buffer.byteLength(name)} bytes`);
          assert.ok(!isUnsafe(name), name);
          assert.equal(name.split('/').length, 6, 'each id is one segment');
          assert.ok(name.split('/').every((s) => s !== '.' && s !== '..' && s !== ''));
          assert.equal(Buffer.from(name, 'utf8').toString('utf8'), name, 'valid UTF-8');
        }
        for (const segment of original.split('/')) assert.ok(Buffer.byteLength(segment) <= MAX_SEGMENT_BYTES);
        assert.ok(original.startsWith(accountMediaPrefix(accountId)));
      }),
      RUNS,
    );
  });

  it('refuses what is not a document id', () => {
    assert.throws(() => mediaObjectPaths({ accountId: 'a/b', threadId: 't', messageDocId: 'm' }), /accountId/);
    assert.throws(() => accountMediaPrefix(''), /accountId/);
  });
});
