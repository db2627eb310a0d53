import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  type CursorRejection,
  cursorScope,
  decodeCursor,
  encodeCursor,
  MAX_CURSOR_LENGTH,
  type SortDirection,
} from '../src/cursor.ts';
import { AppError } from '../src/errors.ts';
import { isValidDocId, safeDocId } from '../src/ids.ts';

const THREADS_A = cursorScope('threads', 'acct-a');
const BASE64URL_ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];

/** Document ids as they occur: raw valid ids of any unicode, and ids made by safeDocId. */
const docIdArb = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter(isValidDocId),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => safeDocId(s)),
  fc.constantFrom('3EB0C767D26A1B2E6F07', '12345@s.whatsapp.net', 'me~3EB0C767D26A1B2E6F07', '%2E', '...'),
);
const timeArb = fc.oneof(
  fc.integer({ min: 0, max: 4_102_444_800_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const dirArb = fc.constantFrom<SortDirection>('asc', 'desc');
const inputArb = fc.record({ scope: fc.string({ unit: 'binary' }), t: timeArb, id: docIdArb, dir: dirArb });

/** The AppError that `decode` throws (failing the test if it throws anything else or nothing). */
function rejection(decode: () => unknown): AppError {
  try {
    decode();
  } catch (err) {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, 'invalid_cursor');
    assert.equal(err.httpStatus, 400);
    return err;
  }
  assert.fail('expected the cursor to be rejected');
}

function rejectionReason(decode: () => unknown): CursorRejection {
  return (rejection(decode).details as { reason: CursorRejection }).reason;
}

/** A cursor with a correct checksum around arbitrary content, the way a forger would build one. */
function forge(fields: { version?: number; flags?: number; t?: number; scope?: string; id?: Buffer }): string {
  const header = Buffer.alloc(18);
  header.writeUInt8(fields.version ?? 1, 0);
  header.writeUInt8(fields.flags ?? 0, 1);
  header.writeDoubleBE(fields.t ?? 1_700_000_000_000, 2);
  createHash('sha256')
    .update(fields.scope ?? THREADS_A)
    .digest()
    .copy(header, 10, 0, 8);
  const body = Buffer.concat([header, fields.id ?? Buffer.from('thread-1')]);
  const checksum = createHash('sha256').update(body).digest().subarray(0, 8);
  return Buffer.concat([body, checksum]).toString('base64url');
}

describe('cursor', () => {
  describe('round trip', () => {
    it('decodes what it encoded, for any scope, time, id and direction', () => {
      fc.assert(
        fc.property(inputArb, ({ scope, t, id, dir }) => {
          const cursor = encodeCursor({ scope, t, id, dir });
          assert.match(cursor, /^[A-Za-z0-9_-]+$/);
          assert.ok(cursor.length <= MAX_CURSOR_LENGTH);
          assert.deepEqual(decodeCursor(cursor, scope, dir), { t, id });
        }),
        { numRuns: 5_000 },
      );
    });

    it('fits the largest valid id under MAX_CURSOR_LENGTH', () => {
      const id = 'é'.repeat(750); // 1500 UTF-8 bytes, Firestore's maximum
      const cursor = encodeCursor({ scope: THREADS_A, t: 1, id });
      assert.ok(cursor.length <= MAX_CURSOR_LENGTH, `${cursor.length} > ${MAX_CURSOR_LENGTH}`);
      assert.deepEqual(decodeCursor(cursor, THREADS_A), { t: 1, id });
    });

    it('defaults to descending order on both ends', () => {
      const cursor = encodeCursor({ scope: THREADS_A, t: 5, id: 'x' });
      assert.deepEqual(decodeCursor(cursor, THREADS_A), { t: 5, id: 'x' });
      assert.equal(
        rejectionReason(() => decodeCursor(cursor, THREADS_A, 'asc')),
        'foreign',
      );
    });
  });

  describe('binding to one listing', () => {
    const position = { t: 1_700_000_000_000, id: 'thread-1' };

    it('rejects a cursor from another account, thread or listing as foreign', () => {
      const cursor = encodeCursor({ scope: cursorScope('messages', 'acct-a', 'thread-1'), ...position });
      for (const other of [
        cursorScope('messages', 'acct-b', 'thread-1'),
        cursorScope('messages', 'acct-a', 'thread-2'),
        cursorScope('threads', 'acct-a'),
        cursorScope('messages', 'acct-a', 'thread-1', 'fromMe=true'),
      ]) {
        const err = rejection(() => decodeCursor(cursor, other));
        assert.deepEqual(err.details, { reason: 'foreign' });
        assert.match(err.message, /different listing/);
      }
    });

    it('rejects every cursor under any other scope', () => {
      fc.assert(
        fc.property(inputArb, fc.string({ unit: 'binary' }), (input, otherScope) => {
          fc.pre(otherScope !== input.scope);
          const cursor = encodeCursor(input);
          assert.equal(
            rejectionReason(() => decodeCursor(cursor, otherScope, input.dir)),
            'foreign',
          );
        }),
        { numRuns: 2_000 },
      );
    });

    it('rejects a cursor made for the other sort direction', () => {
      const cursor = encodeCursor({ scope: THREADS_A, ...position, dir: 'asc' });
      assert.deepEqual(decodeCursor(cursor, THREADS_A, 'asc'), position);
      assert.equal(
        rejectionReason(() => decodeCursor(cursor, THREADS_A, 'desc')),
        'foreign',
      );
    });

    it('builds scopes that cannot be confused by separators inside the parts', () => {
      assert.notEqual(cursorScope('messages', 'a:b', 'c'), cursorScope('messages', 'a', 'b:c'));
      assert.notEqual(cursorScope('a', 'b'), cursorScope('a,b'));
      assert.notEqual(cursorScope('threads', 'x'), cursorScope('threads', 'x', ''));
    });
  });

  describe('tampering and garbage', () => {
    it('rejects or reproduces the same value under any single-character change', () => {
      const editArb = fc.record({
        kind: fc.constantFrom('replace', 'insert', 'delete'),
        at: fc.nat(),
        char: fc.oneof(
          fc.constantFrom(...BASE64URL_ALPHABET),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        ),
      });
      fc.assert(
        fc.property(inputArb, editArb, ({ scope, t, id, dir }, { kind, at, char }) => {
          const cursor = encodeCursor({ scope, t, id, dir });
          const i = at % (cursor.length + (kind === 'insert' ? 1 : 0));
          const mutated =
            kind === 'insert'
              ? cursor.slice(0, i) + char + cursor.slice(i)
              : cursor.slice(0, i) + (kind === 'replace' ? char : '') + cursor.slice(i + 1);
          fc.pre(mutated !== cursor);
          let decoded: unknown;
          try {
            decoded = decodeCursor(mutated, scope, dir);
          } catch (err) {
            assert.ok(err instanceof AppError && err.code === 'invalid_cursor', String(err));
            return;
          }
          assert.deepEqual(decoded, { t, id });
        }),
        { numRuns: 10_000 },
      );
    });

    it('detects a changed byte through the checksum', () => {
      const bytes = Buffer.from(encodeCursor({ scope: THREADS_A, t: 1_700_000_000_000, id: 'thread-1' }), 'base64url');
      for (let i = 1; i < bytes.length; i++) {
        const tampered = Buffer.from(bytes);
        tampered[i] = (tampered[i] as number) ^ 0x01;
        assert.equal(
          rejectionReason(() => decodeCursor(tampered.toString('base64url'), THREADS_A)),
          'corrupt',
          `byte ${i}`,
        );
      }
    });

    it('rejects non-canonical spellings that Node would otherwise decode leniently', () => {
      const cursor = encodeCursor({ scope: THREADS_A, t: 1, id: 'thread-1' });
      for (const variant of [`${cursor}=`, `${cursor.slice(0, 10)}!${cursor.slice(10)}`, ` ${cursor}`, `${cursor}\n`]) {
        assert.equal(
          rejectionReason(() => decodeCursor(variant, THREADS_A)),
          'malformed',
          JSON.stringify(variant),
        );
      }
    });

    it('accepts only the one canonical spelling when the last character carries unused bits', () => {
      const cursor = encodeCursor({ scope: THREADS_A, t: 1, id: 'thread-1' }); // 34 bytes: 4 unused bits at the end
      const last = BASE64URL_ALPHABET.indexOf(cursor.at(-1) as string);
      const sameBytes = cursor.slice(0, -1) + BASE64URL_ALPHABET[last ^ 0b1];
      assert.deepEqual(Buffer.from(sameBytes, 'base64url'), Buffer.from(cursor, 'base64url'));
      assert.equal(
        rejectionReason(() => decodeCursor(sameBytes, THREADS_A)),
        'malformed',
      );
    });

    it('rejects oversized strings before decoding them', () => {
      const err = rejection(() => decodeCursor('A'.repeat(MAX_CURSOR_LENGTH + 1), THREADS_A));
      assert.deepEqual(err.details, { reason: 'too_long' });
      assert.equal(
        rejectionReason(() => decodeCursor('A'.repeat(10_000_000), THREADS_A)),
        'too_long',
      );
    });

    it('rejects non-strings, empty and short strings', () => {
      for (const value of [undefined, null, 42, ['a', 'b'], { t: 1 }, '', 'abc', 'AAAA']) {
        assert.equal(
          rejectionReason(() => decodeCursor(value, THREADS_A)),
          'malformed',
          String(value),
        );
      }
    });

    it('never throws anything but an invalid_cursor AppError for arbitrary input', () => {
      const garbage = fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: fc.constantFrom(...BASE64URL_ALPHABET), maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64url')),
        fc.anything(),
      );
      fc.assert(
        fc.property(garbage, dirArb, (value, dir) => {
          rejection(() => decodeCursor(value, THREADS_A, dir));
        }),
        { numRuns: 10_000 },
      );
    });
  });

  describe('forged cursors with a valid checksum', () => {
    it('accepts a correctly built one (so the cases below fail for the field under test)', () => {
      assert.deepEqual(decodeCursor(forge({}), THREADS_A), { t: 1_700_000_000_000, id: 'thread-1' });
    });

    it('rejects an unknown version or unknown flags', () => {
      assert.equal(
        rejectionReason(() => decodeCursor(forge({ version: 2 }), THREADS_A)),
        'unsupported_version',
      );
      assert.equal(
        rejectionReason(() => decodeCursor(forge({ version: 0 }), THREADS_A)),
        'unsupported_version',
      );
      assert.equal(
        rejectionReason(() => decodeCursor(forge({ flags: 0b10 }), THREADS_A)),
        'invalid_value',
      );
    });

    it('rejects a non-finite time', () => {
      for (const t of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        assert.equal(
          rejectionReason(() => decodeCursor(forge({ t }), THREADS_A)),
          'invalid_value',
          String(t),
        );
      }
    });

    it('rejects ids that are not valid document ids or not UTF-8', () => {
      for (const id of ['.', '..', '__name__', 'a/b', 'x'.repeat(1501)]) {
        const cursor = forge({ id: Buffer.from(id) });
        assert.equal(
          rejectionReason(() => decodeCursor(cursor, THREADS_A)),
          id.length > 1500 ? 'too_long' : 'invalid_value',
        );
      }
      for (const bytes of [[0xff], [0xc3], [0xed, 0xa0, 0x80]]) {
        assert.equal(
          rejectionReason(() => decodeCursor(forge({ id: Buffer.from(bytes) }), THREADS_A)),
          'invalid_value',
        );
      }
      assert.equal(
        rejectionReason(() => decodeCursor(forge({ id: Buffer.alloc(0) }), THREADS_A)),
        'malformed',
      );
    });
  });

  describe('encodeCursor', () => {
    it('refuses positions no document can have, with an internal AppError', () => {
      const bad = [
        { t: Number.NaN, id: 'x' },
        { t: Number.POSITIVE_INFINITY, id: 'x' },
        { t: 1, id: '' },
        { t: 1, id: '..' },
        { t: 1, id: 'a/b' },
        { t: 1, id: '__x__' },
        { t: 1, id: 'x'.repeat(1501) },
        { t: 1, id: '\uD800' },
      ];
      for (const position of bad) {
        assert.throws(
          () => encodeCursor({ scope: THREADS_A, ...position }),
          (err: unknown) => err instanceof AppError && err.code === 'internal',
          JSON.stringify(position),
        );
      }
    });
  });
});
