import assert from 'node:assert/strict';
import { AppError } from '@wasync/shared';
import { HttpsError } from 'firebase-functions/v2/https';
import { toHttpsError } from '../../src/callables/authed-callable.ts';

describe('callable error mapping', () => {
  it('carries the AppError code in details and picks the matching HTTPS code', () => {
    const cases: [AppError, string][] = [
      [new AppError('invalid_argument', 'bad'), 'invalid-argument'],
      [new AppError('invalid_cursor', 'bad cursor'), 'invalid-argument'],
      [new AppError('unauthenticated', 'who'), 'unauthenticated'],
      [new AppError('permission_denied', 'no'), 'permission-denied'],
      [new AppError('not_found', 'gone'), 'not-found'],
      [new AppError('already_exists', 'taken', { id: 'x' }), 'already-exists'],
      [new AppError('failed_precondition', 'not now'), 'failed-precondition'],
      [new AppError('resource_exhausted', 'slow down'), 'resource-exhausted'],
    ];
    for (const [appError, httpsCode] of cases) {
      const mapped = toHttpsError(appError, 'test');
      assert.equal(mapped.code, httpsCode, appError.code);
      assert.equal(mapped.message, appError.message);
      assert.deepEqual(mapped.details, { code: appError.code, details: appError.details });
    }
  });

  it('hides unexpected errors behind internal', () => {
    const mapped = toHttpsError(new Error('password=hunter2 in a stack trace'), 'test');
    assert.equal(mapped.code, 'internal');
    assert.doesNotMatch(mapped.message, /hunter2/);
    assert.deepEqual(mapped.details, { code: 'internal' });
  });

  it('logs our own failures with their cause, AppErrors included, and the caller’s mistakes not at all', () => {
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof write;
    try {
      const cause = new Error('payload failed its schema');
      toHttpsError(new AppError('internal', 'refusing to write', undefined, { cause }), 'send');
      toHttpsError(new AppError('config_invalid', 'WHATSAPP_BACKFILL_COUNT is not a number'), 'backfill');
      toHttpsError(new AppError('invalid_argument', 'bad'), 'list');
    } finally {
      process.stderr.write = write;
    }
    const entries = lines.map((line) => JSON.parse(line) as { severity: string; message: string; error: string });
    // The firebase-functions logger prefixes ERROR messages with `Error: ` and appends its own stack.
    assert.deepEqual(
      entries.map((e) => [e.severity, e.message.split('\n')[0]]),
      [
        ['ERROR', 'Error: callable send failed'],
        ['ERROR', 'Error: callable backfill failed'],
      ],
    );
    assert.match(entries[0]!.error, /payload failed its schema\n\s+at /);
    assert.match(entries[1]!.error, /WHATSAPP_BACKFILL_COUNT/);
  });

  it('passes HttpsErrors through unchanged', () => {
    const original = new HttpsError('unavailable', 'try later');
    assert.equal(toHttpsError(original, 'test'), original);
  });
});
