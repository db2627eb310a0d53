import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  AppError,
  type AppErrorCode,
  appErrorFromZod,
  formatIssuePath,
  HTTP_STATUS_BY_CODE,
  toAppError,
} from '../src/errors.ts';

const CLIENT_ERROR_CODES: AppErrorCode[] = [
  'invalid_argument',
  'invalid_cursor',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'already_exists',
  'failed_precondition',
  'payload_too_large',
  'resource_exhausted',
];

describe('AppError', () => {
  it('is an Error with its code, message and name', () => {
    const err = new AppError('not_found', 'no such thread');
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'not_found');
    assert.equal(err.message, 'no such thread');
    assert.equal(err.name, 'AppError');
    assert.match(String(err.stack), /no such thread/);
  });

  it('derives the HTTP status from the code', () => {
    assert.equal(new AppError('invalid_argument', 'x').httpStatus, 400);
    assert.equal(new AppError('invalid_cursor', 'x').httpStatus, 400);
    assert.equal(new AppError('unauthenticated', 'x').httpStatus, 401);
    assert.equal(new AppError('permission_denied', 'x').httpStatus, 403);
    assert.equal(new AppError('not_found', 'x').httpStatus, 404);
    assert.equal(new AppError('already_exists', 'x').httpStatus, 409);
    assert.equal(new AppError('failed_precondition', 'x').httpStatus, 412);
    assert.equal(new AppError('payload_too_large', 'x').httpStatus, 413);
    assert.equal(new AppError('resource_exhausted', 'x').httpStatus, 429);
    assert.equal(new AppError('internal', 'x').httpStatus, 500);
    assert.equal(new AppError('config_invalid', 'x').httpStatus, 500);
  });

  it('maps every caller mistake to 4xx and only those', () => {
    for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE)) {
      const isClientError = CLIENT_ERROR_CODES.includes(code as AppErrorCode);
      assert.equal(status >= 400 && status < 500, isClientError, `${code} → ${status}`);
    }
  });

  it('serialises to { error: { code, message, details } }', () => {
    const err = new AppError('invalid_argument', 'bad limit', { fields: [{ path: 'limit', reason: 'too big' }] });
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      error: {
        code: 'invalid_argument',
        message: 'bad limit',
        details: { fields: [{ path: 'limit', reason: 'too big' }] },
      },
    });
  });

  it('leaves details out of the body when there are none, and never exposes the cause', () => {
    const err = new AppError('failed_precondition', 'account is not connected', undefined, {
      cause: new Error('socket closed at 10.0.0.7'),
    });
    assert.deepEqual(err.toJSON(), { error: { code: 'failed_precondition', message: 'account is not connected' } });
    assert.doesNotMatch(JSON.stringify(err), /10\.0\.0\.7/);
    assert.equal((err.cause as Error).message, 'socket closed at 10.0.0.7');
  });
});

describe('formatIssuePath', () => {
  it('writes object keys with dots and array indexes in brackets', () => {
    assert.equal(formatIssuePath(['items', 0, 'text']), 'items[0].text');
    assert.equal(formatIssuePath([0, 'id']), '[0].id');
    assert.equal(formatIssuePath([]), '(root)');
  });
});

describe('appErrorFromZod', () => {
  const schema = z.object({
    accountId: z.string().min(1),
    limit: z.number().int().max(100),
    items: z.array(z.object({ text: z.string() })),
  });

  it('lists every bad field with its path and reason', () => {
    const result = schema.safeParse({ accountId: '', limit: 500, items: [{ text: 1 }] });
    assert.ok(!result.success);
    const err = appErrorFromZod(result.error);
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.httpStatus, 400);
    const fields = (err.details as { fields: { path: string; reason: string }[] }).fields;
    assert.deepEqual(
      fields.map((f) => f.path),
      ['accountId', 'limit', 'items[0].text'],
    );
    for (const field of fields) assert.ok(field.reason.length > 0, `reason for ${field.path}`);
    assert.match(err.message, /^Invalid input: accountId: .+; limit: .+; items\[0\]\.text: .+$/);
  });

  it('names what was invalid and reports a wrong top-level type at (root)', () => {
    const result = schema.safeParse('not an object');
    assert.ok(!result.success);
    const err = appErrorFromZod(result.error, 'request body');
    assert.match(err.message, /^Invalid request body: \(root\): /);
    assert.deepEqual(
      (err.details as { fields: { path: string }[] }).fields.map((f) => f.path),
      ['(root)'],
    );
  });
});

describe('toAppError', () => {
  it('passes an AppError through unchanged', () => {
    const err = new AppError('not_found', 'gone');
    assert.equal(toAppError(err), err);
  });

  it('turns anything else into an opaque internal error that keeps the original as cause', () => {
    for (const thrown of [new TypeError('secret detail'), 'a string', undefined, { code: 7 }]) {
      const err = toAppError(thrown);
      assert.equal(err.code, 'internal');
      assert.equal(err.httpStatus, 500);
      assert.equal(err.message, 'Internal error');
      assert.equal(err.cause, thrown);
      assert.doesNotMatch(JSON.stringify(err), /secret detail/);
    }
  });
});
