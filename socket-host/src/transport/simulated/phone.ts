/**
 * The simulated phone of one account: who it is, whom it talks to, and every message of its
 * history — all derived from (seed, accountId), so two processes simulating the same account agree,
 * and a replay produces the same ids and texts.
 *
 * The content is shaped like WhatsApp's: DMs keyed by LID (with `pnJid`) and by phone number (with
 * `lidJid`), groups with LID participants, history newest first with timestamps as protobuf
 * numbers, outgoing messages with `userReceipt`, texts in `conversation` and `extendedTextMessage`,
 * an occasional tc token. Live messages are envelopes (stanza attributes and plaintext) that the
 * sender's device encrypts, LID-addressed with the phone number as the alternate, as v7 delivers them.
 */
import { type BinaryNode, proto } from '@whiskeysockets/baileys';
import type { PhoneIdentity } from './pairing.ts';
import { Random, stableMessageId } from './random.ts';
import type { Envelope } from './wire.ts';

const { HistorySyncType } = proto.HistorySync;

/** End of the simulated history (2025-01-01T00:00:00Z): fixed, so history is the same on every run. */
export const HISTORY_END_S = 1_735_689_600;
/** Seconds between two history messages of one chat. */
const SPACING_S = 3_600;
/** How far back a chat's history goes; ON_DEMAND answers stop there (COMPLETE_AND_NO_MORE). */
export const CHAT_DEPTH = 400;
/** WhatsApp answers at most 50 messages per on-demand request. */
export const ON_DEMAND_MAX = 50;

const NAMES = ['Ana', 'Bruno', 'Chen', 'Dara', 'Emeka', 'Fatima', 'Goran', 'Hana', 'Ivo', 'Jun', 'Kofi', 'Lena'];
const WORDS = [
  'hello',
  'meeting',
  'tomorrow',
  'invoice',
  'thanks',
  'delivery',
  'price',
  'photo',
  'call',
  'later',
  'order',
  'ready',
  'sure',
  'address',
  'weekend',
  'coffee',
  'ticket',
  'update',
  'great',
  'question',
];

export interface SimContact {
  name: string;
  /** Phone number digits. */
  pn: string;
  /** LID user digits. */
  lid: string;
}

export interface SimChat {
  jid: string;
  kind: 'dm' | 'group';
  name: string;
  /** The DM's person, or the group's members. */
  members: SimContact[];
  /** Offset (s) of this chat's newest history message before HISTORY_END_S. */
  offsetS: number;
}

export interface PhoneOptions {
  contacts?: number;
  groups?: number;
  /** Messages per chat delivered by the pairing history sync (INITIAL_BOOTSTRAP + RECENT). */
  recentPerChat?: number;
  /** Further messages per chat in the FULL sync (only when full history was requested). */
  fullPerChat?: number;
  /** Notifications the FULL sync is cut into (chats split between them, progress rising to 100). */
  fullChunks?: number;
}

export const pnJid = (pn: string) => `${pn}@s.whatsapp.net`;
export const lidJid = (lid: string) => `${lid}@lid`;

export class SimulatedPhone {
  readonly identity: PhoneIdentity;
  readonly contacts: SimContact[];
  readonly chats: SimChat[];
  readonly #seed: string;
  readonly #recent: number;
  readonly #full: number;
  readonly #fullChunks: number;

  constructor(seed: string, accountId: string, options: PhoneOptions = {}) {
    this.#seed = `${seed}\0${accountId}`;
    this.#recent = options.recentPerChat ?? 12;
    this.#full = options.fullPerChat ?? 24;
    this.#fullChunks = Math.max(1, options.fullChunks ?? 3);
    const rnd = new Random(this.#seed);
    this.identity = {
      pn: `1555${rnd.digits(7)}`,
      lid: rnd.digits(14),
      device: rnd.int(1, 30),
      name: `Sim ${accountId}`,
    };
    this.contacts = Array.from({ length: options.contacts ?? 5 }, (_, i) => ({
      name: NAMES[i % NAMES.length]!,
      pn: `${rnd.int(20, 99)}${rnd.digits(9)}`,
      lid: rnd.digits(15),
    }));
    const dms: SimChat[] = this.contacts.map((c, i) => ({
      // Every other DM is keyed by its LID, the rest by phone number: WhatsApp mixes both.
      jid: i % 2 === 0 ? lidJid(c.lid) : pnJid(c.pn),
      kind: 'dm',
      name: c.name,
      members: [c],
      offsetS: rnd.int(0, SPACING_S * 4),
    }));
    const groups: SimChat[] = Array.from({ length: options.groups ?? 1 }, (_, i) => ({
      jid: `120363${rnd.digits(12)}@g.us`,
      kind: 'group',
      name: `Group ${i + 1}`,
      members: this.contacts.filter((_, j) => (j + i) % 2 === 0),
      offsetS: rnd.int(0, SPACING_S * 4),
    }));
    this.chats = [...dms, ...groups];
  }

  get meJid(): string {
    return pnJid(this.identity.pn);
  }

  get meLid(): string {
    return lidJid(this.identity.lid);
  }

  /** The device JID Baileys keeps in `creds.me.id` after pairing. */
  get meDeviceJid(): string {
    return `${this.identity.pn}:${this.identity.device}@s.whatsapp.net`;
  }

  chat(jid: string): SimChat | undefined {
    return this.chats.find(
      (c) => c.jid === jid || c.members.some((m) => c.kind === 'dm' && (lidJid(m.lid) === jid || pnJid(m.pn) === jid)),
    );
  }

  /** Message `index` of `chat` counted from the newest (0); deterministic. */
  historyMessage(chat: SimChat, index: number): proto.IWebMessageInfo {
    const rnd = new Random(`${this.#seed}\0${chat.jid}\0${index}`);
    const ts = HISTORY_END_S - chat.offsetS - index * SPACING_S;
    const fromMe = rnd.next() < 0.35;
    const sender = chat.members[index % chat.members.length]!;
    const text = sentence(rnd);
    const message: proto.IMessage =
      rnd.next() < 0.3
        ? { extendedTextMessage: { text: `${text} https://example.com/${rnd.hex(6)}` } }
        : { conversation: text };
    const info: proto.IWebMessageInfo = {
      key: {
        remoteJid: chat.jid,
        fromMe,
        id: stableMessageId(this.#seed, chat.jid, String(index)),
        ...(chat.kind === 'group' && !fromMe ? { participant: lidJid(sender.lid) } : {}),
      },
      messageTimestamp: ts,
      message,
    };
    if (fromMe) {
      info.status = proto.WebMessageInfo.Status.READ;
      info.userReceipt = chat.members.map((m) => ({
        userJid: pnJid(m.pn),
        receiptTimestamp: ts + 5,
        readTimestamp: ts + 60,
      }));
    } else {
      info.pushName = sender.name;
    }
    return info;
  }

  /**
   * What the phone sends after pairing, in order: INITIAL_BOOTSTRAP (chat list, a few messages,
   * LID↔PN mappings), RECENT in two chunks with progress, PUSH_NAME, NON_BLOCKING_DATA (the groups'
   * past participants), and FULL when the companion asked for the full history at pairing — cut
   * into several notifications like the phone cuts it, each chat whole in one of them, the past
   * participants again with the groups they belong to.
   */
  pairingHistory(fullSync: boolean): proto.IHistorySync[] {
    const bootstrapCount = Math.min(3, this.#recent);
    const half = Math.ceil((this.#recent - bootstrapCount) / 2);
    const syncs: proto.IHistorySync[] = [
      {
        syncType: HistorySyncType.INITIAL_BOOTSTRAP,
        chunkOrder: 0,
        progress: 10,
        conversations: this.chats.map((c) => this.conversation(c, 0, bootstrapCount, true)),
        phoneNumberToLidMappings: this.contacts.map((c) => ({ pnJid: pnJid(c.pn), lidJid: lidJid(c.lid) })),
      },
      {
        syncType: HistorySyncType.RECENT,
        chunkOrder: 1,
        progress: 60,
        conversations: this.chats.map((c) => this.conversation(c, bootstrapCount, half)),
      },
      {
        syncType: HistorySyncType.RECENT,
        chunkOrder: 2,
        progress: 100,
        conversations: this.chats.map((c) =>
          this.conversation(c, bootstrapCount + half, this.#recent - bootstrapCount - half),
        ),
      },
      {
        syncType: HistorySyncType.PUSH_NAME,
        chunkOrder: 3,
        pushnames: this.contacts.map((c) => ({ id: pnJid(c.pn), pushname: c.name })),
      },
    ];
    syncs.push({
      syncType: HistorySyncType.NON_BLOCKING_DATA,
      chunkOrder: 4,
      pastParticipants: this.chats.filter((c) => c.kind === 'group').map((c) => this.pastParticipants(c)),
    });
    if (fullSync && this.#full > 0) {
      const per = Math.ceil(this.chats.length / this.#fullChunks);
      for (let i = 0; i * per < this.chats.length; i++) {
        const chats = this.chats.slice(i * per, (i + 1) * per);
        const last = (i + 1) * per >= this.chats.length;
        syncs.push({
          syncType: HistorySyncType.FULL,
          chunkOrder: 5 + i,
          progress: last ? 100 : Math.round((100 * (i + 1) * per) / this.chats.length),
          conversations: chats.map((c) => this.conversation(c, this.#recent, this.#full)),
          pastParticipants: chats.filter((c) => c.kind === 'group').map((c) => this.pastParticipants(c)),
        });
      }
    }
    return syncs;
  }

  /** The answer to `fetchMessageHistory(count, key, oldestMsgTimestamp)`: up to 50 older messages. */
  onDemand(chatJid: string, count: number, oldestTimestampS: number): proto.IHistorySync {
    const chat = this.chat(chatJid);
    if (!chat) return { syncType: HistorySyncType.ON_DEMAND, conversations: [] };
    const newestOlder = Math.max(0, Math.floor((HISTORY_END_S - chat.offsetS - oldestTimestampS) / SPACING_S) + 1);
    const n = Math.max(0, Math.min(count, ON_DEMAND_MAX, CHAT_DEPTH - newestOlder));
    const conversation = this.conversation(chat, newestOlder, n);
    conversation.endOfHistoryTransferType =
      newestOlder + n >= CHAT_DEPTH
        ? proto.Conversation.EndOfHistoryTransferType.COMPLETE_AND_NO_MORE_MESSAGE_REMAIN_ON_PRIMARY
        : proto.Conversation.EndOfHistoryTransferType.COMPLETE_BUT_MORE_MESSAGES_REMAIN_ON_PRIMARY;
    return { syncType: HistorySyncType.ON_DEMAND, chunkOrder: 0, progress: 100, conversations: [conversation] };
  }

  /**
   * The `<group>` nodes WhatsApp answers a `participating` query with (groups.js
   * `extractGroupMetadata` reads them): LID-addressed, participants with their phone numbers.
   */
  groupNodes(): BinaryNode[] {
    return this.chats
      .filter((c) => c.kind === 'group')
      .map((chat) => ({
        tag: 'group',
        attrs: {
          id: chat.jid.split('@')[0]!,
          subject: chat.name,
          s_t: String(HISTORY_END_S - chat.offsetS),
          creation: String(HISTORY_END_S - CHAT_DEPTH * SPACING_S),
          addressing_mode: 'lid',
          size: String(chat.members.length + 1),
        },
        content: [this.meLid, ...chat.members.map((m) => lidJid(m.lid))].map((jid, i) => ({
          tag: 'participant',
          attrs: {
            jid,
            phone_number: i === 0 ? this.meJid : pnJid(chat.members[i - 1]!.pn),
            ...(i === 0 ? { type: 'admin' } : {}),
          },
        })),
      }));
  }

  /**
   * Live message `n` from a contact (a DM, or in a group every third time): the stanza attributes
   * WhatsApp sends (LID-addressed, the phone number as alternate) and the plaintext its sender
   * encrypts.
   */
  liveEnvelope(n: number, nowS: number): Envelope {
    const rnd = new Random(`${this.#seed}\0live\0${n}`);
    const contact = this.contacts[n % this.contacts.length]!;
    const group = n % 3 === 2 ? this.chats.find((c) => c.kind === 'group' && c.members.includes(contact)) : undefined;
    const attrs: Record<string, string> = {
      id: stableMessageId(this.#seed, 'live', String(n)),
      t: String(nowS),
      type: 'text',
      notify: contact.name,
      addressing_mode: 'lid',
    };
    if (group)
      Object.assign(attrs, { from: group.jid, participant: lidJid(contact.lid), participant_pn: pnJid(contact.pn) });
    else Object.assign(attrs, { from: lidJid(contact.lid), sender_pn: pnJid(contact.pn) });
    return {
      attrs,
      message: { conversation: sentence(rnd) },
      sender: lidJid(contact.lid),
      ...(group && { group: group.jid }),
    };
  }

  /**
   * Message `n` the account sends from its phone (its other device): to a DM it travels as a
   * `deviceSentMessage` with the chat in `recipient`, from the account's own LID; in a group as
   * the account's own group message. The companion upserts it `fromMe`.
   */
  fromPhoneEnvelope(n: number, nowS: number): Envelope {
    const rnd = new Random(`${this.#seed}\0phone\0${n}`);
    const chat = this.chats[n % this.chats.length]!;
    const text = sentence(rnd);
    const attrs: Record<string, string> = {
      id: stableMessageId(this.#seed, 'phone', String(n)),
      t: String(nowS),
      type: 'text',
      addressing_mode: 'lid',
    };
    if (chat.kind === 'group') {
      Object.assign(attrs, { from: chat.jid, participant: this.meLid, participant_pn: this.meJid });
      return { attrs, message: { conversation: text }, sender: this.meLid, group: chat.jid };
    }
    const [contact] = chat.members;
    // The alternate names the chat's other identity (`peer_recipient_*`): decodeMessageNode makes
    // it `remoteJidAlt`, and handleMessage stores it as the chat's LID↔PN mapping.
    Object.assign(attrs, { from: this.meLid, recipient: chat.jid });
    if (chat.jid.endsWith('@lid')) attrs.peer_recipient_pn = pnJid(contact!.pn);
    else Object.assign(attrs, { addressing_mode: 'pn', peer_recipient_lid: lidJid(contact!.lid) });
    return {
      attrs,
      message: { deviceSentMessage: { destinationJid: chat.jid, message: { conversation: text } } },
      sender: this.meLid,
    };
  }

  /**
   * The members who left a group before the history ends: contacts not in it, one left, one
   * removed (LID-addressed, leave time in seconds as WhatsApp sends it).
   */
  pastParticipants(chat: SimChat): proto.IPastParticipants {
    const gone = this.contacts.filter((c) => !chat.members.includes(c)).slice(0, 2);
    const { LEFT, REMOVED } = proto.PastParticipant.LeaveReason;
    return {
      groupJid: chat.jid,
      pastParticipants: gone.map((c, i) => ({
        userJid: lidJid(c.lid),
        leaveReason: i === 0 ? LEFT : REMOVED,
        leaveTs: HISTORY_END_S - chat.offsetS - (i + 1) * 7 * SPACING_S,
      })),
    };
  }

  private conversation(chat: SimChat, from: number, count: number, withMeta = false): proto.IConversation {
    const messages = Array.from({ length: Math.max(0, count) }, (_, i) => ({
      message: this.historyMessage(chat, from + i),
      msgOrderId: from + i,
    }));
    const conversation: proto.IConversation = { id: chat.jid, messages };
    if (chat.kind === 'group') conversation.name = chat.name;
    else {
      const [c] = chat.members;
      conversation.displayName = c!.name;
      // The alternate identity of the chat: WhatsApp sends the one the id does not use.
      if (chat.jid.endsWith('@lid')) conversation.pnJid = pnJid(c!.pn);
      else conversation.lidJid = lidJid(c!.lid);
    }
    if (withMeta) {
      conversation.conversationTimestamp = HISTORY_END_S - chat.offsetS;
      conversation.unreadCount = chat.offsetS % 3;
      if (chat.kind === 'dm' && chat.jid.endsWith('@lid')) {
        conversation.tcToken = Buffer.from(stableMessageId(this.#seed, 'tc', chat.jid));
        conversation.tcTokenTimestamp = HISTORY_END_S - chat.offsetS;
      }
    }
    return conversation;
  }
}

function sentence(rnd: Random): string {
  const n = rnd.int(2, 7);
  const words = Array.from({ length: n }, () => rnd.pick(WORDS));
  return `${words.join(' ')}${rnd.pick(['.', '!', '?', ''])}`;
}
