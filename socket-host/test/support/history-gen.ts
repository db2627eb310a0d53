/**
 * Generated WhatsApp history, deterministic from a seed, shaped like what phones send: DMs keyed by
 * phone number (with `lidJid`) or by LID (with `pnJid`), groups with LID participants, messages
 * newest first with protobuf times, our own messages with `userReceipt`, some embedded reactions,
 * quotes, media metadata and revoked stubs. Cut into `HistorySync` chunks any way a test wants,
 * and delivered as Baileys delivers them: inline-payload notifications through `processMessage`
 * and its event buffer (`baileys-feed.ts`), or decoded directly with `processHistoryMessage`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { processHistoryMessage, proto } from '@whiskeysockets/baileys';
import { type Delivery, type EventMap, history } from '../../../shared/test/support/baileys-feed.ts';

export interface HistorySpec {
  seed: string;
  dms: number;
  groups: number;
  messagesPerThread: number;
  /** Newest message time, seconds. */
  endS: number;
}

const { RECENT } = proto.HistorySync.HistorySyncType;

function hash(...parts: Array<string | number>): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

function digits(seed: Buffer, n: number): string {
  let out = '';
  for (let i = 0; out.length < n; i++) out += String(seed[i % seed.length]! % 10);
  return out;
}

export interface GeneratedThread {
  id: string;
  kind: 'dm' | 'group';
  pn?: string;
  lid?: string;
  name: string;
  conversation: proto.IConversation;
}

/** Every thread of the history, each with all its messages (newest first). */
export function generateHistory(spec: HistorySpec): GeneratedThread[] {
  const threads: GeneratedThread[] = [];
  const people = Array.from({ length: Math.max(spec.dms, 3) }, (_, i) => {
    const h = hash(spec.seed, 'person', i);
    return {
      pn: `49${digits(h, 10)}@s.whatsapp.net`,
      lid: `${digits(hash(spec.seed, 'lid', i), 15)}@lid`,
      name: `Person ${i}`,
    };
  });
  for (let i = 0; i < spec.dms; i++) {
    const person = people[i]!;
    const byLid = i % 2 === 1;
    const id = byLid ? person.lid : person.pn;
    const conversation: proto.IConversation = {
      id,
      displayName: person.name,
      ...(byLid ? { pnJid: person.pn } : { lidJid: person.lid }),
      messages: messages(spec, id, 'dm', [person]),
    };
    threads.push({ id, kind: 'dm', pn: person.pn, lid: person.lid, name: person.name, conversation });
  }
  for (let g = 0; g < spec.groups; g++) {
    const id = `120363${digits(hash(spec.seed, 'group', g), 12)}@g.us`;
    const members = people.filter((_, i) => (i + g) % 2 === 0).slice(0, 5);
    const conversation: proto.IConversation = {
      id,
      name: `Group ${g}`,
      messages: messages(spec, id, 'group', members),
    };
    threads.push({ id, kind: 'group', name: `Group ${g}`, conversation });
  }
  return threads;
}

function messages(
  spec: HistorySpec,
  chat: string,
  kind: 'dm' | 'group',
  members: Array<{ pn: string; lid: string }>,
): proto.IHistorySyncMsg[] {
  const out: proto.IHistorySyncMsg[] = [];
  for (let n = 0; n < spec.messagesPerThread; n++) {
    const h = hash(spec.seed, chat, n);
    const fromMe = h[0]! % 3 === 0;
    const member = members[h[1]! % members.length]!;
    const t = spec.endS - n * 600 - (h[2]! % 60);
    const id = `3EB0${h.toString('hex').slice(0, 18).toUpperCase()}`;
    const key: proto.IMessageKey = {
      remoteJid: chat,
      fromMe,
      id,
      ...(kind === 'group' && !fromMe ? { participant: member.lid } : {}),
    };
    const text = `message ${n} in ${chat.slice(0, 6)} ${h.toString('base64').slice(0, 12)}`;
    const info: proto.IWebMessageInfo = { key, messageTimestamp: t };
    const shape = h[3]! % 20;
    if (shape === 0) info.messageStubType = proto.WebMessageInfo.StubType.REVOKE;
    else if (shape === 1)
      info.message = {
        imageMessage: { caption: text, mimetype: 'image/jpeg', fileLength: 1000 + n, width: 640, height: 480 },
      };
    else if (shape === 2)
      info.message = { extendedTextMessage: { text, contextInfo: { stanzaId: `3EB0${'0'.repeat(18)}` } } };
    else info.message = { conversation: text };
    if (fromMe) {
      info.status = proto.WebMessageInfo.Status.READ;
      info.userReceipt = [{ userJid: member.pn, receiptTimestamp: t + 5, readTimestamp: t + 60 }];
    }
    if (shape === 3) {
      info.reactions = [
        {
          key: { remoteJid: chat, fromMe: false, id: `R${id}`, participant: kind === 'group' ? member.lid : undefined },
          text: '👍',
          senderTimestampMs: (t + 30) * 1000,
        },
      ];
    }
    out.push({ message: info, msgOrderId: spec.messagesPerThread - n });
  }
  return out;
}

/**
 * The threads cut into `chunks` history notifications: chunk i carries the i-th slice of every
 * thread's messages (newest slices first, as RECENT/FULL arrive), each with its conversation's
 * metadata. Progress grows to 100 with the last chunk.
 */
export function chunked(threads: GeneratedThread[], chunks: number, syncType = RECENT): proto.IHistorySync[] {
  return Array.from({ length: chunks }, (_, i) => ({
    syncType,
    chunkOrder: i,
    progress: Math.round(((i + 1) / chunks) * 100),
    conversations: threads
      .map(({ conversation }) => {
        const all = conversation.messages ?? [];
        const size = Math.ceil(all.length / chunks);
        return { ...conversation, messages: all.slice(i * size, (i + 1) * size) };
      })
      .filter((c) => (c.messages?.length ?? 0) > 0),
  }));
}

/** A push-name chunk naming the DM peers (what the phone sends after RECENT). */
export function pushNames(threads: GeneratedThread[]): proto.IHistorySync {
  return {
    syncType: proto.HistorySync.HistorySyncType.PUSH_NAME,
    pushnames: threads.filter((t) => t.kind === 'dm').map((t) => ({ id: t.pn!, pushname: `${t.name} (push)` })),
  };
}

/** `messaging-history.set` maps as Baileys emits them without its buffer (decoded protobufs). */
export function historyMaps(syncs: proto.IHistorySync[]): EventMap[] {
  return syncs.map((sync) => {
    const decoded = proto.HistorySync.decode(proto.HistorySync.encode(proto.HistorySync.create(sync)).finish());
    return { 'messaging-history.set': processHistoryMessage(decoded) } as EventMap;
  });
}

/** The chunks as notifications our phone sends, `at` one second apart from `startS` (for `deliver`). */
export function historyDeliveries(syncs: proto.IHistorySync[], startS: number, label = 'chunk'): Delivery[] {
  return syncs.map((sync, i) => history(`${label}-${i}`, startS + i, () => sync));
}

/** Every message id of the generated history (what must each be stored exactly once). */
export function messageIds(threads: GeneratedThread[]): string[] {
  return threads.flatMap((t) => (t.conversation.messages ?? []).map((m) => m.message!.key!.id!));
}

/**
 * A history payload of ~1.1 MB that does not compress (1,500 messages of random text): larger than
 * one raw-history document, so it is stored in parts.
 */
export function largeHistorySet(endS: number) {
  const chat = '4915112345678@s.whatsapp.net';
  const sync = proto.HistorySync.decode(
    proto.HistorySync.encode({
      syncType: proto.HistorySync.HistorySyncType.FULL,
      progress: 50,
      conversations: [
        {
          id: chat,
          messages: Array.from({ length: 1_500 }, (_, i) => ({
            message: {
              key: { remoteJid: chat, fromMe: false, id: `BIG${i}` },
              messageTimestamp: endS - i,
              message: { conversation: randomBytes(750).toString('base64') },
            },
          })),
        },
      ],
    }).finish(),
  );
  return processHistoryMessage(sync);
}

/**
 * A RECENT history payload of one chat holding `messages` (in this order), as the phone sends
 * one after pairing: what tests that need "this message arrived by history sync" build.
 */
export function recentHistoryOf(chat: string, messages: readonly proto.IWebMessageInfo[]): proto.IHistorySync {
  return {
    syncType: RECENT,
    conversations: [{ id: chat, messages: messages.map((message, i) => ({ msgOrderId: i + 1, message })) }],
  };
}
