/**
 * What a simulated socket does with the stanzas WhatsApp pushes, ported from messages-recv.js so
 * the events are Baileys' own:
 *
 * - `<message>`: `decryptMessageNode` with the socket's signal repository (session keys written
 *   through the host's key store), the LID↔PN alternate stored, a failed decryption upserted as
 *   its CIPHERTEXT stub after a retry receipt went out (`sendRetryRequest`: keys included from the
 *   second try, or when the stanza had no `<enc>`), `cleanMessage`, then `append` for a stanza of
 *   the offline backlog and `notify` otherwise;
 * - `<receipt>`: `handleReceipt` — every id of the `<list>`, `messages.update` for 1:1 chats,
 *   `message-receipt.update` (normalised participant) for groups, a receipt from our own device
 *   (`read-self`) keyed to the recipient;
 * - `<notification type="w:gp2">`: `handleGroupNotification` for participant changes and subject,
 *   upserted as an `append` stub (processMessage then emits `group-participants.update` /
 *   `groups.update`).
 */
import {
  type AuthenticationCreds,
  areJidsSameUser,
  type BaileysEventEmitter,
  type BinaryNode,
  cleanMessage,
  decodeMessageNode,
  decryptMessageNode,
  encodeBigEndian,
  encodeSignedDeviceIdentity,
  extractAddressingContext,
  getAllBinaryNodeChildren,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  getNextPreKeys,
  getStatusFromReceiptType,
  isJidGroup,
  isJidStatusBroadcast,
  isLidUser,
  isPnUser,
  jidDecode,
  jidNormalizedUser,
  KEY_BUNDLE_TYPE,
  type MessageUpsertType,
  MISSING_KEYS_ERROR_TEXT,
  NO_MESSAGE_FOUND_ERROR_TEXT,
  proto,
  type SignalKeyStoreWithTransaction,
  type WAMessage,
  WAMessageStubType,
  xmppPreKey,
  xmppSignedPreKey,
} from '@whiskeysockets/baileys';
import type { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';

/** Baileys' default `maxMsgRetryCount`. */
const MAX_MSG_RETRY_COUNT = 5;

export interface InboundContext {
  readonly creds: AuthenticationCreds;
  readonly keys: SignalKeyStoreWithTransaction;
  readonly signalRepository: ReturnType<typeof makeLibSignalRepository>;
  readonly ev: BaileysEventEmitter;
  readonly logger: ILogger;
  upsertMessage(msg: WAMessage, type: MessageUpsertType): Promise<void>;
  /** The socket's `shouldIgnoreJid` (status@broadcast unless status posts are mirrored). */
  shouldIgnoreJid?: (jid: string) => boolean | undefined;
  /** Hands a node to the server (retry receipts). */
  send(node: BinaryNode): Promise<void>;
}

export class InboundStanzas {
  /** messages-recv.js `msgRetryCache`: retries asked per `id:participant`. */
  readonly #retries = new Map<string, number>();
  /** messages-recv.js `messageMutex`: one message at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: InboundContext) {}

  /** messages-recv.js `handleMessage`; resolves with what was upserted (undefined: nothing). */
  async message(node: BinaryNode): Promise<WAMessage | undefined> {
    // messages-recv.js acks an ignored JID's stanza and drops it before decrypting.
    if (this.ctx.shouldIgnoreJid?.(node.attrs.from!)) return undefined;
    const { creds, signalRepository, logger } = this.ctx;
    const {
      fullMessage: msg,
      category,
      decrypt,
    } = decryptMessageNode(node, creds.me!.id, creds.me!.lid || '', signalRepository, logger);
    await this.#storeAlternate(msg);
    const run = this.#queue.then(async () => {
      await decrypt();
      if (msg.messageStubType === proto.WebMessageInfo.StubType.CIPHERTEXT && category !== 'peer') {
        const reason = msg.messageStubParameters?.[0];
        if (reason === MISSING_KEYS_ERROR_TEXT) return undefined; // nack, nothing upserted
        if (reason !== NO_MESSAGE_FOUND_ERROR_TEXT)
          await this.#sendRetryRequest(node, !getBinaryNodeChild(node, 'enc'));
      }
      cleanMessage(msg, creds.me!.id, creds.me!.lid!);
      await this.ctx.upsertMessage(msg, node.attrs.offline ? 'append' : 'notify');
      return msg;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** messages-recv.js `handleReceipt` (the status part; retry receipts are the sender's business). */
  receipt(node: BinaryNode): void {
    const { attrs, content } = node;
    const { creds, ev } = this.ctx;
    const isLid = attrs.from!.includes('lid');
    const isNodeFromMe = areJidsSameUser(attrs.participant || attrs.from, isLid ? creds.me?.lid : creds.me?.id);
    const remoteJid = !isNodeFromMe || isJidGroup(attrs.from) ? attrs.from! : attrs.recipient!;
    const fromMe = !attrs.recipient || ((attrs.type === 'retry' || attrs.type === 'sender') && isNodeFromMe);
    const key = { remoteJid, id: '', fromMe, participant: attrs.participant };
    const ids = [attrs.id!];
    if (Array.isArray(content)) ids.push(...getBinaryNodeChildren(content[0], 'item').map((i) => i.attrs.id!));
    const status = getStatusFromReceiptType(attrs.type);
    if (status === undefined || !(status >= proto.WebMessageInfo.Status.SERVER_ACK || !isNodeFromMe)) return;
    if (isJidGroup(remoteJid) || isJidStatusBroadcast(remoteJid)) {
      if (!attrs.participant) return;
      const field = status === proto.WebMessageInfo.Status.DELIVERY_ACK ? 'receiptTimestamp' : 'readTimestamp';
      ev.emit(
        'message-receipt.update',
        ids.map((id) => ({
          key: { ...key, id },
          receipt: { userJid: jidNormalizedUser(attrs.participant), [field]: +attrs.t! },
        })),
      );
    } else {
      ev.emit(
        'messages.update',
        ids.map((id) => ({ key: { ...key, id }, update: { status, messageTimestamp: +(attrs.t ?? 0) } })),
      );
    }
  }

  /** messages-recv.js `handleNotification` for `w:gp2` (participants and subject). */
  async groupNotification(node: BinaryNode): Promise<WAMessage | undefined> {
    const [child] = getAllBinaryNodeChildren(node);
    const result: proto.IWebMessageInfo = {};
    groupStub(node, child, result);
    if (!Object.keys(result).length) return undefined;
    const { creds } = this.ctx;
    const remoteJid = node.attrs.from!;
    const { senderAlt: participantAlt, addressingMode } = extractAddressingContext(node);
    result.key = {
      remoteJid,
      fromMe: areJidsSameUser(node.attrs.participant || remoteJid, creds.me!.id),
      participant: node.attrs.participant,
      participantAlt,
      addressingMode,
      id: node.attrs.id,
      ...(result.key || {}),
    } as proto.IMessageKey;
    result.participant ??= node.attrs.participant;
    result.messageTimestamp = +node.attrs.t!;
    const msg = proto.WebMessageInfo.fromObject(result) as WAMessage;
    await this.ctx.upsertMessage(msg, 'append');
    return msg;
  }

  /** handleMessage: remember the sender's other identity before decrypting. */
  async #storeAlternate(msg: WAMessage): Promise<void> {
    const { signalRepository } = this.ctx;
    const alt = msg.key.participantAlt || msg.key.remoteJidAlt;
    if (!alt) return;
    const primary = (msg.key.participant || msg.key.remoteJid)!;
    if (jidDecode(alt)?.server === 'lid') {
      if (await signalRepository.lidMapping.getPNForLID(alt)) return;
      await signalRepository.lidMapping.storeLIDPNMappings([{ lid: alt, pn: primary }]);
      await signalRepository.migrateSession(primary, alt);
    } else {
      await signalRepository.lidMapping.storeLIDPNMappings([{ lid: primary, pn: alt }]);
      await signalRepository.migrateSession(alt, primary);
    }
  }

  /** messages-recv.js `sendRetryRequest` (without the phone's placeholder resend). */
  async #sendRetryRequest(node: BinaryNode, forceIncludeKeys: boolean): Promise<void> {
    const { creds, keys, ev } = this.ctx;
    const { fullMessage } = decodeMessageNode(node, creds.me!.id, creds.me!.lid || '');
    const counter = `${fullMessage.key.id}:${fullMessage.key.participant}`;
    const retryCount = (this.#retries.get(counter) ?? 0) + 1;
    if (retryCount > MAX_MSG_RETRY_COUNT) {
      this.#retries.delete(counter);
      return;
    }
    this.#retries.set(counter, retryCount);
    await keys.transaction(async () => {
      const receipt: BinaryNode = {
        tag: 'receipt',
        attrs: {
          id: fullMessage.key.id!,
          type: 'retry',
          to: node.attrs.from!,
          ...(node.attrs.recipient && { recipient: node.attrs.recipient }),
          ...(node.attrs.participant && { participant: node.attrs.participant }),
        },
        content: [
          {
            tag: 'retry',
            attrs: { count: String(retryCount), id: node.attrs.id!, t: node.attrs.t!, v: '1', error: '0' },
          },
          { tag: 'registration', attrs: {}, content: encodeBigEndian(creds.registrationId) },
        ],
      };
      if (retryCount > 1 || forceIncludeKeys) {
        const { update, preKeys } = await getNextPreKeys({ creds, keys }, 1);
        const [keyId] = Object.keys(preKeys);
        (receipt.content as BinaryNode[]).push({
          tag: 'keys',
          attrs: {},
          content: [
            { tag: 'type', attrs: {}, content: Buffer.from(KEY_BUNDLE_TYPE) },
            { tag: 'identity', attrs: {}, content: creds.signedIdentityKey.public },
            xmppPreKey(preKeys[+keyId!]!, +keyId!),
            xmppSignedPreKey(creds.signedPreKey),
            { tag: 'device-identity', attrs: {}, content: encodeSignedDeviceIdentity(creds.account!, true) },
          ],
        });
        ev.emit('creds.update', update);
      }
      await this.ctx.send(receipt);
    }, creds.me?.id || 'sendRetryRequest');
  }
}

/** messages-recv.js `handleGroupNotification`, the participant and subject cases. */
function groupStub(node: BinaryNode, child: BinaryNode | undefined, msg: proto.IWebMessageInfo): void {
  const acting = [node.attrs.participant, node.attrs.participant_pn];
  switch (child?.tag) {
    case 'promote':
    case 'demote':
    case 'remove':
    case 'add':
    case 'leave': {
      const stubType = `GROUP_PARTICIPANT_${child.tag.toUpperCase()}` as keyof typeof WAMessageStubType;
      msg.messageStubType = WAMessageStubType[stubType];
      const participants = getBinaryNodeChildren(child, 'participant').map(({ attrs }) => ({
        id: attrs.jid,
        phoneNumber: isLidUser(attrs.jid) && isPnUser(attrs.phone_number) ? attrs.phone_number : undefined,
        lid: isPnUser(attrs.jid) && isLidUser(attrs.lid) ? attrs.lid : undefined,
        username: attrs.participant_username || attrs.username || undefined,
        admin: attrs.type || null,
      }));
      if (
        participants.length === 1 &&
        acting.some((j) => j && areJidsSameUser(participants[0]!.id, j)) &&
        child.tag === 'remove'
      ) {
        msg.messageStubType = WAMessageStubType.GROUP_PARTICIPANT_LEAVE;
      }
      msg.messageStubParameters = participants.map((a) => JSON.stringify(a));
      break;
    }
    case 'subject':
      msg.messageStubType = WAMessageStubType.GROUP_CHANGE_SUBJECT;
      msg.messageStubParameters = [child.attrs.subject!];
      break;
  }
}
