/**
 * WhatsApp's server for one account, between the simulated phones and the companion: the
 * companion's key bundle (`PreKeyDirectory`), the sending devices (`PeerDevice`, one per contact
 * and one for the account's own phone), the offline backlog (stanzas for the companion while it
 * has no open connection, delivered with `offline` at its next login) and what it takes to answer
 * a retry receipt (the sender re-encrypts the message it sent).
 */
import { type BinaryNode, getBinaryNodeChild, type proto } from '@whiskeysockets/baileys';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';
// @ts-expect-error libsignal ships no types; Baileys' libsignal.js imports the same module.
import { PreKeyWhisperMessage } from 'libsignal/src/protobufs.js';
import type { AppStateServer } from './app-state.ts';
import { PeerDevice } from './peer-device.ts';
import { PreKeyDirectory } from './prekey-directory.ts';

/** A message on its way to the companion, before encryption. */
export interface Envelope {
  /** `<message>` attributes as WhatsApp sends them (id, t, from, participant, recipient, notify, …). */
  attrs: Record<string, string>;
  message: proto.IMessage;
  /** The device that encrypts it (LID, device 0): a contact's phone or the account's own phone. */
  sender: string;
  /** Group messages travel as sender-key messages. */
  group?: string;
  /** Tamper with the ciphertext so the companion fails to decrypt it (Bad MAC) once. */
  corrupt?: boolean;
}

/** Who the companion is, for the senders: its PN device JID (the directory's key) and LID device JID. */
export interface Companion {
  deviceJid: string;
  lidDeviceJid: string;
}

/** Envelopes kept for retry receipts (WhatsApp senders keep recent messages for the same reason). */
const RECENT_SENT = 500;

export class AccountWire {
  readonly preKeys = new PreKeyDirectory();
  readonly #devices = new Map<string, PeerDevice>();
  readonly #offline: Envelope[] = [];
  readonly #sent = new Map<string, Envelope>();
  /** Stanzas the companion failed to decrypt and got again (tests). */
  resent = 0;

  constructor(
    private readonly logger: ILogger,
    /** The account's seed: its devices' identities derive from it. */
    private readonly seed: string,
    /** The phone's app-state collections and sync key. */
    readonly appState: AppStateServer,
  ) {}

  /** The companion is not connected: the server keeps the message for its next login. */
  queue(envelope: Envelope): void {
    this.#offline.push(envelope);
  }

  get queued(): number {
    return this.#offline.length;
  }

  /** The oldest message of the offline backlog, marked `offline` as WhatsApp marks them; it stays until acked. */
  nextOffline(): Envelope | undefined {
    const e = this.#offline[0];
    return e && { ...e, attrs: { ...e.attrs, offline: '1' } };
  }

  /** The companion handled the oldest offline message: WhatsApp drops it (else it comes again at the next login). */
  ackOffline(): void {
    this.#offline.shift();
  }

  /** The `<message>` stanza the companion receives: `envelope` encrypted by its sender for it. */
  async seal(envelope: Envelope, to: Companion): Promise<BinaryNode> {
    const device = this.#device(envelope.sender);
    const enc = await device.encrypt(
      to.lidDeviceJid,
      envelope.message,
      () => this.preKeys.take(to.deviceJid, to.lidDeviceJid),
      envelope.group,
    );
    if (envelope.corrupt) {
      const last = enc[enc.length - 1]!;
      last.content = tamperMac(last.attrs.type!, last.content as Uint8Array);
    }
    this.#remember(envelope);
    return { tag: 'message', attrs: { ...envelope.attrs }, content: enc };
  }

  /**
   * A retry receipt from the companion: the sender takes the keys it carries (if any) and sends the
   * message again; undefined when the message is unknown (too old).
   */
  async retry(receipt: BinaryNode, to: Companion): Promise<BinaryNode | undefined> {
    const id = getBinaryNodeChild(receipt, 'retry')?.attrs.id ?? receipt.attrs.id!;
    const envelope = this.#sent.get(id);
    if (!envelope) return undefined;
    await this.#device(envelope.sender).retried(to.lidDeviceJid, receipt);
    this.resent++;
    const { offline: _, ...attrs } = envelope.attrs;
    return this.seal({ ...envelope, attrs, corrupt: false }, to);
  }

  #device(jid: string): PeerDevice {
    let device = this.#devices.get(jid);
    if (!device) {
      device = new PeerDevice(jid, this.logger, this.seed);
      this.#devices.set(jid, device);
    }
    return device;
  }

  #remember(envelope: Envelope): void {
    this.#sent.set(envelope.attrs.id!, envelope);
    if (this.#sent.size > RECENT_SENT) this.#sent.delete(this.#sent.keys().next().value!);
  }
}

/**
 * Flips a bit of the whisper message's MAC (its last 8 bytes), inside the pre-key envelope for a
 * `pkmsg`: the ciphertext stays well-formed and libsignal refuses it as a MAC failure, the error
 * real companions report ("Bad MAC" / "No matching sessions found for message").
 */
function tamperMac(type: string, ciphertext: Uint8Array): Buffer {
  const flipLast = (bytes: Uint8Array) => {
    const out = Buffer.from(bytes);
    out[out.length - 1]! ^= 0x01;
    return out;
  };
  if (type !== 'pkmsg') return flipLast(ciphertext);
  const outer = PreKeyWhisperMessage.decode(ciphertext.subarray(1));
  outer.message = flipLast(outer.message);
  return Buffer.concat([ciphertext.subarray(0, 1), PreKeyWhisperMessage.encode(outer).finish()]);
}
