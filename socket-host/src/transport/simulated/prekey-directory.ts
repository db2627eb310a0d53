/**
 * WhatsApp's side of the companion's key bundle: what the socket uploads at first login (the
 * `encrypt` set iq Baileys' `getNextPreKeysNode` builds) and what the server hands a contact that
 * wants to start a session with the companion (one `<user>` node of a key query, a one-time pre-key
 * taken off the pile, as messages-send.js `assertSessions` receives it).
 *
 * A device paired in another process is unknown here; the server adopts it with what its creds
 * say (registration id, identity, signed pre-key) and answers bundles without a one-time pre-key,
 * as WhatsApp does once a device's pre-keys are used up. Its count is reported as sufficient:
 * the other process's server holds the pile.
 */
import {
  type AuthenticationCreds,
  type BinaryNode,
  encodeBigEndian,
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  getBinaryNodeChildren,
  MIN_PREKEY_COUNT,
  xmppSignedPreKey,
} from '@whiskeysockets/baileys';

interface Bundle {
  registration: BinaryNode;
  identity: BinaryNode;
  skey: BinaryNode;
  /** One-time pre-keys not handed out yet (`<key>` nodes). */
  keys: BinaryNode[];
  adopted: boolean;
}

export class PreKeyDirectory {
  #bundles = new Map<string, Bundle>();
  /** Pre-keys the companion uploaded, in total (tests: the first-login upload). */
  uploaded = 0;

  /** `encrypt`/`count`: the one-time pre-keys the server still holds for the device. */
  count(deviceJid: string): number {
    const bundle = this.#bundles.get(deviceJid);
    if (bundle?.adopted) return MIN_PREKEY_COUNT + 1;
    return bundle?.keys.length ?? 0;
  }

  /** The device logged in here without uploading here: take its bundle from its creds (see header). */
  adopt(deviceJid: string, creds: AuthenticationCreds): void {
    if (this.#bundles.has(deviceJid) || creds.firstUnuploadedPreKeyId <= 1) return;
    this.#bundles.set(deviceJid, {
      registration: { tag: 'registration', attrs: {}, content: encodeBigEndian(creds.registrationId) },
      identity: { tag: 'identity', attrs: {}, content: creds.signedIdentityKey.public },
      skey: xmppSignedPreKey(creds.signedPreKey),
      keys: [],
      adopted: true,
    });
  }

  /** The socket's upload: `<iq xmlns=encrypt type=set>` with registration, identity, list and skey. */
  upload(deviceJid: string, iq: BinaryNode): void {
    const child = (tag: string) => {
      const node = getBinaryNodeChild(iq, tag);
      if (!node) throw new Error(`pre-key upload without <${tag}>`);
      return node;
    };
    if (!getBinaryNodeChildBuffer(iq, 'identity')) throw new Error('pre-key upload without identity');
    const keys = getBinaryNodeChildren(child('list'), 'key');
    const known = this.#bundles.get(deviceJid);
    this.#bundles.set(deviceJid, {
      registration: child('registration'),
      identity: child('identity'),
      skey: child('skey'),
      keys: [...(known?.adopted ? [] : (known?.keys ?? [])), ...keys],
      adopted: false,
    });
    this.uploaded += keys.length;
  }

  /**
   * The answer to a contact's key query for `deviceJid`, asked for under `address` (its LID
   * form): `<iq><list><user jid>…` for Baileys' `parseAndInjectE2ESessions`; undefined when the
   * device never uploaded anything.
   */
  take(deviceJid: string, address: string): BinaryNode | undefined {
    const bundle = this.#bundles.get(deviceJid);
    if (!bundle) return undefined;
    const key = bundle.keys.shift();
    const user: BinaryNode = {
      tag: 'user',
      attrs: { jid: address },
      content: [bundle.registration, bundle.identity, bundle.skey, ...(key ? [key] : [])],
    };
    return { tag: 'iq', attrs: { type: 'result' }, content: [{ tag: 'list', attrs: {}, content: [user] }] };
  }
}
