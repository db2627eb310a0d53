/**
 * Send ids: Baileys' `generateMessageIDV2` format, the same for the same key (idempotency), and
 * keyed with the server secret, so whoever sees an id cannot test guesses of a readable key.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseFunctionsConfig, WA_MESSAGE_ID_PATTERN } from '@wasync/shared';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { chosenMessageId } from '../../src/commands/ids.ts';
import { LOCAL_SEND_ID_SECRET, sendIdKey } from '../../src/secrets.ts';

const REAL = { K_CONFIGURATION: 'api', K_REVISION: 'api-00001-abc' };
const SECRET = 'k8Jd0vQe2yVZ4mX1pL7sT9uR3wB6nC5a';

describe('commands: send ids', () => {
  it('are 3EB0 + 18 hex digits, stable per (secret, account, key), different across each', () => {
    const id = chosenMessageId(SECRET, 'shop-1', 'order-4711-shipped');
    assert.match(id, WA_MESSAGE_ID_PATTERN);
    assert.equal(chosenMessageId(SECRET, 'shop-1', 'order-4711-shipped'), id);
    assert.notEqual(chosenMessageId(SECRET, 'shop-2', 'order-4711-shipped'), id);
    assert.notEqual(chosenMessageId(SECRET, 'shop-1', 'order-4712-shipped'), id);
    assert.notEqual(chosenMessageId(`${SECRET}x`, 'shop-1', 'order-4711-shipped'), id);
  });

  it('cannot be recomputed from the account and key alone (no unkeyed hash of them)', () => {
    const id = chosenMessageId(SECRET, 'shop-1', 'order-4711-shipped');
    for (const input of [
      'wasync-send\u0000shop-1\u0000order-4711-shipped',
      'shop-1\u0000order-4711-shipped',
      'order-4711-shipped',
    ]) {
      const guess = `3EB0${createHash('sha256').update(input).digest('hex').slice(0, 18).toUpperCase()}`;
      assert.notEqual(guess, id, input);
    }
  });

  it('use the published local secret off deployments, and demand a real one in a deployment', () => {
    const key = (env: Record<string, string>) => sendIdKey(parseFunctionsConfig(env).sendIdSecret, env);
    assert.equal(key({}), LOCAL_SEND_ID_SECRET);
    assert.equal(key({ FUNCTIONS_EMULATOR: 'true', K_REVISION: '1' }), LOCAL_SEND_ID_SECRET);
    assert.equal(key({ ...REAL, SEND_ID_SECRET: SECRET }), SECRET);
    for (const env of [REAL, { ...REAL, SEND_ID_SECRET: LOCAL_SEND_ID_SECRET }]) {
      assert.throws(
        () => key(env),
        (err: { code?: string }) => err.code === 'config_invalid',
      );
    }
    // Too short: the config itself is refused, without echoing the value.
    assert.throws(
      () => key({ ...REAL, SEND_ID_SECRET: 'short-secret' }),
      (err: { code?: string; message?: string }) =>
        err.code === 'config_invalid' &&
        /SEND_ID_SECRET/.test(err.message ?? '') &&
        !err.message?.includes('short-secret'),
    );
  });

  it('give the Functions emulator the same local secret (functions/.secret.local)', () => {
    const file = readFileSync(`${REPO_ROOT}functions/.secret.local`, 'utf8');
    assert.match(file, new RegExp(`^SEND_ID_SECRET=${LOCAL_SEND_ID_SECRET}$`, 'm'));
  });
});
