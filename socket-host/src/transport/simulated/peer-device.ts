/**
 * A device on WhatsApp's other side — a contact's phone, or the account's own phone — with its own
 * Signal identity and Baileys' signal repository (`makeLibSignalRepository` over an in-memory key
 * store). It encrypts for the companion exactly as a sending Baileys would: a session started from
 * the bundle the server hands out (`parseAndInjectE2ESessions`), `pkmsg` until the companion
 * answered, `msg` after; group messages as sender-key `skmsg` with the distribution message sent
 * 1:1 first. A retry receipt with keys starts a new session (`extractE2ESessionFromRetryReceipt`).
 * So each message the companion decrypts writes its session keys through the host's key store.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import {
  type AuthenticationCreds,
  addTransactionCapability,
  type BinaryNode,
  encodeWAMessage,
  extractE2ESessionFromRetryReceipt,
  initAuthCreds,
  parseAndInjectE2ESessions,
  type proto,
} from '@whiskeysockets/baileys';
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';
import { memoryKeyStore } from './memory-keys.ts';

export type EncType = 'pkmsg' | 'msg' | 'skmsg';

export class PeerDevice {
  readonly #repository: ReturnType<typeof makeLibSignalRepository>;
  /** Groups whose sender key this device already gave the companion (`group|companion`). */
  readonly #distributed = new Set<string>();

  constructor(
    /** The device's JID, as the companion sees it in `from`/`participant` (LID, device 0). */
    readonly jid: string,
    logger: ILogger,
    /** Its identity derives from this: the same device in every process simulating the account. */
    seed: string,
  ) {
    const keys = addTransactionCapability(memoryKeyStore(), logger, { maxCommitRetries: 1, delayBetweenTriesMs: 0 });
    this.#repository = makeLibSignalRepository({ creds: deviceCreds(`${seed}\0${jid}`), keys }, logger);
  }

  /**
   * The `<enc>` nodes carrying `message` to the companion at `to`; `bundle` is the server's answer
   * to a key query, asked only when there is no session yet.
   */
  async encrypt(
    to: string,
    message: proto.IMessage,
    bundle: () => BinaryNode | undefined,
    group?: string,
  ): Promise<BinaryNode[]> {
    await this.#ensureSession(to, bundle);
    const repository = this.#repository;
    if (!group) {
      const { type, ciphertext } = await repository.encryptMessage({ jid: to, data: encodeWAMessage(message) });
      return [encNode(type, ciphertext)];
    }
    const sealed = await repository.encryptGroupMessage({ group, meId: this.jid, data: encodeWAMessage(message) });
    const nodes: BinaryNode[] = [];
    if (!this.#distributed.has(`${group}|${to}`)) {
      const skdm = encodeWAMessage({
        senderKeyDistributionMessage: {
          groupId: group,
          axolotlSenderKeyDistributionMessage: sealed.senderKeyDistributionMessage,
        },
      });
      const { type, ciphertext } = await repository.encryptMessage({ jid: to, data: skdm });
      nodes.push(encNode(type, ciphertext));
      this.#distributed.add(`${group}|${to}`);
    }
    nodes.push(encNode('skmsg', sealed.ciphertext));
    return nodes;
  }

  /** The companion asked for a message again; a receipt with keys replaces the session. */
  async retried(to: string, receipt: BinaryNode): Promise<void> {
    const session = extractE2ESessionFromRetryReceipt(receipt);
    if (session) await this.#repository.injectE2ESession({ jid: to, session });
  }

  async #ensureSession(to: string, bundle: () => BinaryNode | undefined): Promise<void> {
    if ((await this.#repository.validateSession(to)).exists) return;
    const answer = bundle();
    if (!answer) throw new Error(`no key bundle for ${to}: the companion never uploaded its pre-keys`);
    await parseAndInjectE2ESessions(answer, this.#repository);
  }
}

/**
 * Baileys' `initAuthCreds` with the identity key and registration id derived from `seed`: a contact
 * has one identity wherever it is simulated, so a companion that moves between host processes
 * keeps the sessions it has (a new identity would make it drop them, as for a reinstalled phone).
 */
function deviceCreds(seed: string): AuthenticationCreds {
  const digest = createHash('sha256').update(seed).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, digest]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    ...initAuthCreds(),
    signedIdentityKey: { private: digest, public: Buffer.from(spki.subarray(spki.length - 32)) },
    registrationId: digest.readUInt16BE(0) & 0x3fff,
  };
}

/** DER prefix of a PKCS#8 X25519 private key (the raw 32 bytes follow), as libsignal's curve uses. */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

function encNode(type: EncType, ciphertext: Uint8Array): BinaryNode {
  return { tag: 'enc', attrs: { v: '2', type }, content: ciphertext };
}
