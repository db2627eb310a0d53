/**
 * Encryption at rest for Baileys' auth state: AES-256-GCM with a fresh 96-bit nonce per write.
 *
 * Every sealed value names the key that sealed it (`kid`), so keys can rotate: the keyring holds
 * the current key (all new writes) and any previous ones (read only). A key id is a hash of the
 * key, so it identifies the key without revealing it and needs no separate configuration.
 *
 * The additional authenticated data binds each ciphertext to its place (account, document):
 * a sealed value copied into another account's or key's document fails to open instead of being
 * accepted as that account's secret.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError, type SecretBytes } from '@wasync/shared';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Versioned so that a future format can coexist with this one. */
const AAD_PREFIX = 'wasync/auth-state/v1';

/** What gets stored: ciphertext followed by its GCM tag, the nonce, and which key sealed it. */
export interface Sealed {
  kid: string;
  iv: Buffer;
  ct: Buffer;
}

/** Where a sealed value lives; part of the authenticated data. */
export interface SealContext {
  accountId: string;
  docId: string;
}

/**
 * Auth state of an account cannot be opened: `auth_key_unknown` (sealed with a key this host does
 * not have) or `auth_state_corrupt` (the key is known but authentication failed: tampered with,
 * copied from elsewhere, or damaged). Messages name the account and the key id, never key bytes.
 */
export class AuthStateUnreadableError extends AppError {
  override readonly name = 'AuthStateUnreadableError';

  constructor(
    readonly reason: 'auth_key_unknown' | 'auth_state_corrupt',
    readonly accountId: string,
    readonly kid: string,
    message: string,
  ) {
    super('failed_precondition', message, { reason, accountId, kid });
  }
}

/** The key id of `key`: stable, short, and says nothing about the key. */
export function keyIdOf(key: Buffer): string {
  return `k${createHash('sha256').update('wasync auth-state key id\0').update(key).digest('hex').slice(0, 16)}`;
}

/**
 * A development-only key for runs against the emulator without AUTH_STATE_KEY (config refuses to
 * start without one against real Firestore). Fixed, so local data survives restarts; auth state
 * stays encrypted, so the code path is the production one.
 */
export const DEVELOPMENT_KEY = createHash('sha256')
  .update('wasync local development key, never for production')
  .digest();

export class Keyring {
  readonly currentId: string;
  readonly #current: Buffer;
  readonly #byId = new Map<string, Buffer>();

  /** `current` seals every write; `previous` keys only open values sealed before a rotation. */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== KEY_BYTES) throw new TypeError(`auth-state keys are ${KEY_BYTES} bytes, got ${key.length}`);
      this.#byId.set(keyIdOf(key), Buffer.from(key));
    }
    this.#current = Buffer.from(current);
    this.currentId = keyIdOf(current);
  }

  static fromConfig(current: SecretBytes | undefined, previous: readonly SecretBytes[]): Keyring {
    return new Keyring(
      current?.reveal() ?? DEVELOPMENT_KEY,
      previous.map((k) => k.reveal()),
    );
  }

  get isDevelopmentKey(): boolean {
    return this.currentId === keyIdOf(DEVELOPMENT_KEY);
  }

  /** Ids of every key this ring can open, current first. */
  get ids(): string[] {
    return [...this.#byId.keys()];
  }

  has(kid: string): boolean {
    return this.#byId.has(kid);
  }

  seal(plaintext: Buffer, where: SealContext): Sealed {
    const iv = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#current, iv);
    cipher.setAAD(aad(where));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { kid: this.currentId, iv, ct };
  }

  open(sealed: Sealed, where: SealContext): Buffer {
    const key = this.#byId.get(sealed.kid);
    if (!key) {
      throw new AuthStateUnreadableError(
        'auth_key_unknown',
        where.accountId,
        sealed.kid,
        `auth state of account ${where.accountId} is encrypted with key ${sealed.kid}, which this host does not have ` +
          `(it has ${this.ids.join(', ')}): set AUTH_STATE_KEY, or AUTH_STATE_PREVIOUS_KEYS during a rotation`,
      );
    }
    try {
      const ct = Buffer.from(sealed.ct);
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(sealed.iv));
      decipher.setAAD(aad(where));
      decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
      return Buffer.concat([decipher.update(ct.subarray(0, ct.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new AuthStateUnreadableError(
        'auth_state_corrupt',
        where.accountId,
        sealed.kid,
        `auth state document ${where.docId} of account ${where.accountId} failed authentication with key ${sealed.kid}: ` +
          'it was modified, copied from another document, or damaged',
      );
    }
  }
}

/**
 * The trailing `0` is what was once a part number (always 0: a value in parts is sealed whole
 * before it is split). Stored ciphertexts were authenticated with it, so it stays.
 */
function aad({ accountId, docId }: SealContext): Buffer {
  return Buffer.from(`${AAD_PREFIX}\0${accountId}\0${docId}\0${0}`, 'utf8');
}
