import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { AuthStateUnreadableError, DEVELOPMENT_KEY, Keyring, keyIdOf } from '../../src/auth-state/crypto.ts';

const where = { accountId: 'acc-1', docId: 'session~123.0' };

describe('auth-state crypto (AES-256-GCM, key ids)', () => {
  it('round-trips any bytes, with a fresh nonce each time', () => {
    const ring = new Keyring(randomBytes(32));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const plain = Buffer.from(bytes);
        const a = ring.seal(plain, where);
        const b = ring.seal(plain, where);
        assert.notDeepEqual(a.iv, b.iv);
        assert.deepEqual(ring.open(a, where), plain);
      }),
    );
  });

  it('opens what earlier versions stored (the authenticated data format is fixed)', () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from('wasync/auth-state/v1\0acc-1\0session~123.0\0' + '0', 'utf8'));
    const ct = Buffer.concat([cipher.update('stored before'), cipher.final(), cipher.getAuthTag()]);
    const ring = new Keyring(key);
    assert.equal(ring.open({ kid: ring.currentId, iv, ct }, where).toString(), 'stored before');
  });

  it('never shows the plaintext in the ciphertext', () => {
    const ring = new Keyring(randomBytes(32));
    const marker = Buffer.from('PRIVATE-KEY-MARKER-0123456789');
    const sealed = ring.seal(Buffer.concat([marker, marker]), where);
    assert.equal(sealed.ct.includes(marker), false);
  });

  it('fails closed on tampering and on ciphertext moved to another account or document', () => {
    const ring = new Keyring(randomBytes(32));
    const sealed = ring.seal(Buffer.from('secret'), where);
    const flipped = Buffer.from(sealed.ct);
    flipped[0]! ^= 1;
    for (const [what, attempt] of [
      ['flipped bit', () => ring.open({ ...sealed, ct: flipped }, where)],
      ['other account', () => ring.open(sealed, { ...where, accountId: 'acc-2' })],
      ['other document', () => ring.open(sealed, { ...where, docId: 'session~999.0' })],
    ] as const) {
      assert.throws(attempt, (err: unknown) => {
        assert.ok(err instanceof AuthStateUnreadableError, what);
        assert.equal(err.reason, 'auth_state_corrupt');
        return true;
      });
    }
  });

  it('names the account and the missing key id when the key is unknown, never key bytes', () => {
    const old = randomBytes(32);
    const sealed = new Keyring(old).seal(Buffer.from('x'), where);
    const other = randomBytes(32);
    assert.throws(
      () => new Keyring(other).open(sealed, where),
      (err: unknown) => {
        assert.ok(err instanceof AuthStateUnreadableError);
        assert.equal(err.reason, 'auth_key_unknown');
        assert.match(err.message, /account acc-1/);
        assert.match(err.message, new RegExp(keyIdOf(old)));
        for (const out of [err.message, JSON.stringify(err), inspect(err)]) {
          assert.ok(!out.includes(old.toString('base64')) && !out.includes(other.toString('base64')));
          assert.ok(!out.includes(old.toString('hex')));
        }
        return true;
      },
    );
  });

  it('reads with previous keys and writes with the current one (rotation)', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const sealedA = new Keyring(a).seal(Buffer.from('old'), where);
    const rotated = new Keyring(b, [a]);
    assert.deepEqual(rotated.open(sealedA, where), Buffer.from('old'));
    const sealedB = rotated.seal(Buffer.from('new'), where);
    assert.equal(sealedB.kid, keyIdOf(b));
    assert.deepEqual(rotated.ids, [keyIdOf(b), keyIdOf(a)]);
    assert.throws(() => new Keyring(a).open(sealedB, where), AuthStateUnreadableError);
  });

  it('derives stable key ids that differ per key, and flags the development key', () => {
    const key = randomBytes(32);
    assert.equal(keyIdOf(key), keyIdOf(Buffer.from(key)));
    assert.notEqual(keyIdOf(key), keyIdOf(randomBytes(32)));
    assert.match(keyIdOf(key), /^k[0-9a-f]{16}$/);
    assert.equal(Keyring.fromConfig(undefined, []).isDevelopmentKey, true);
    assert.equal(new Keyring(DEVELOPMENT_KEY).currentId, Keyring.fromConfig(undefined, []).currentId);
    assert.equal(new Keyring(key).isDevelopmentKey, false);
    assert.throws(() => new Keyring(randomBytes(16)), /32 bytes/);
  });
});
