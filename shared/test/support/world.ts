/**
 * A small conversation world with every kind of event the planner must converge on, built from
 * Baileys' own code paths (`baileys-feed.ts`): two history chunks, live upserts, two edits of one
 * message, revokes (one of a history message, one of a live message in the same catch-up), a
 * reaction added then removed, reactions in a group, DM and group receipts, and the LID ↔ PN
 * mappings of both contacts arriving late (live events carry no alternate JIDs, history is keyed by
 * phone numbers), so that LID threads and LID-keyed group messages must be merged and re-keyed.
 *
 * `deliveries` are what the socket receives; `anchors` are the raw history chunks, re-imported by
 * the CLI path (`processHistoryMessage`, source `import`), which carry every message's own time —
 * the information Baileys' buffer can overwrite (a merged receipt or edit replaces it) and that no
 * writer could otherwise recover.
 */
import { processHistoryMessage, proto } from '@whiskeysockets/baileys';
import { GROUP, OTHER, PEER } from '../fixtures/wa-messages.ts';
import { type Delivery, dmReceipt, type EventMap, groupReceipt, history, live, mapping } from './baileys-feed.ts';

export const T = 1_700_000_000;
export const ID = {
  m1: '3EB0AA0000000000000001',
  m2: '3EB0AA0000000000000002',
  m3: '3EB0AA0000000000000003',
  m4: '3EB0AA0000000000000004',
  m5: '3EB0AA0000000000000005',
  m6: '3EB0AA0000000000000006',
  g1: '3EB0BB0000000000000001',
  g2: '3EB0BB0000000000000002',
  g3: '3EB0BB0000000000000003',
  e1: '3EB0CC0000000000000001',
  e2: '3EB0CC0000000000000002',
  r3: '3EB0CC0000000000000003',
  r6: '3EB0CC0000000000000006',
  x1: '3EB0DD0000000000000001',
  x2: '3EB0DD0000000000000002',
  x3: '3EB0DD0000000000000003',
} as const;

const { READ, DELIVERY_ACK } = proto.WebMessageInfo.Status;
const { REVOKE, MESSAGE_EDIT } = proto.Message.ProtocolMessage.Type;
const { RECENT, FULL } = proto.HistorySync.HistorySyncType;

/** History messages as the phone stores them (DM under the phone number, group with PN participants). */
const dmText = (id: string, fromMe: boolean, t: number, text: string): proto.IWebMessageInfo => ({
  key: { remoteJid: PEER.pn, fromMe, id },
  messageTimestamp: t,
  ...(fromMe ? { status: READ } : {}),
  message: { conversation: text },
});
const dmRevoked = (id: string, t: number): proto.IWebMessageInfo => ({
  key: { remoteJid: PEER.pn, fromMe: false, id },
  messageTimestamp: t,
  messageStubType: proto.WebMessageInfo.StubType.REVOKE,
});
const groupText = (id: string, t: number, text: string): proto.IWebMessageInfo => ({
  key: { remoteJid: GROUP, fromMe: false, id, participant: OTHER.pn },
  messageTimestamp: t,
  message: { conversation: text },
});
const m3Photo: proto.IWebMessageInfo = {
  key: { remoteJid: PEER.pn, fromMe: false, id: ID.m3 },
  messageTimestamp: T + 3,
  message: { imageMessage: { caption: 'photo', mimetype: 'image/jpeg', fileLength: 1000 } },
};
const g2Read: proto.IWebMessageInfo = {
  key: { remoteJid: GROUP, fromMe: true, id: ID.g2 },
  messageTimestamp: T + 14,
  status: DELIVERY_ACK,
  message: { conversation: 'g2' },
  userReceipt: [{ userJid: OTHER.pn, readTimestamp: T + 15 }],
};

/** A chunk's conversations, newest message first as WhatsApp sends them. */
function chunk(
  syncType: proto.HistorySync.HistorySyncType,
  dm: proto.IWebMessageInfo[],
  group: proto.IWebMessageInfo[],
) {
  const conversation = (id: string, messages: proto.IWebMessageInfo[]) => ({
    id,
    messages: messages.map((message) => ({ message })),
  });
  return { syncType, conversations: [conversation(PEER.pn, dm), conversation(GROUP, group)] };
}

/** The first history chunk. */
function recent(): proto.IHistorySync {
  return chunk(
    RECENT,
    [m3Photo, dmText(ID.m2, true, T + 2, 'm2'), dmText(ID.m1, false, T + 1, 'm1')],
    [groupText(ID.g1, T + 4, 'g1')],
  );
}

/** A later chunk (the ~1 year sync): everything, as the phone knows it then. */
function full(): proto.IHistorySync {
  return chunk(
    FULL,
    [
      dmRevoked(ID.m6, T + 18),
      dmText(ID.m5, true, T + 11, 'm5'),
      dmText(ID.m4, false, T + 10, 'v0'),
      dmRevoked(ID.m3, T + 3),
      dmText(ID.m2, true, T + 2, 'm2'),
      dmText(ID.m1, false, T + 1, 'm1'),
    ],
    [groupText(ID.g3, T + 16, 'g3'), g2Read, groupText(ID.g1, T + 4, 'g1')],
  );
}

/** Stanza attributes of a DM from PEER under its LID, without the phone-number alternate. */
const fromPeer = (id: string, t: number) => ({ from: PEER.lid, addressing_mode: 'lid', id, t: String(t) });
/** A DM we sent from our phone, to PEER's LID, without alternate. */
const toPeer = (id: string, t: number) => ({
  from: '491700000001:0@s.whatsapp.net',
  recipient: PEER.lid,
  id,
  t: String(t),
});
/** A group message from `participant`, without alternate. */
const inGroup = (participant: string, id: string, t: number) => ({
  from: GROUP,
  participant,
  addressing_mode: 'lid',
  id,
  t: String(t),
});

export function deliveries(): Delivery[] {
  return [
    history('recent', T + 5, recent),
    live('m4', fromPeer(ID.m4, T + 10), { conversation: 'v0' }),
    live('m5', toPeer(ID.m5, T + 11), { conversation: 'm5' }),
    dmReceipt('m5 delivered', PEER.lid, ID.m5, DELIVERY_ACK, T + 12),
    dmReceipt('m5 read', PEER.lid, ID.m5, READ, T + 13),
    live(
      'g2',
      { from: GROUP, participant: '491700000001:0@s.whatsapp.net', id: ID.g2, t: String(T + 14) },
      { conversation: 'g2' },
    ),
    groupReceipt('g2 read', GROUP, ID.g2, OTHER.lid, T + 15, true),
    live('g3', inGroup(OTHER.lid, ID.g3, T + 16), { conversation: 'g3' }),
    live('x1 reacts to g3', inGroup(PEER.lid, ID.x1, T + 17), {
      reactionMessage: {
        key: { remoteJid: GROUP, fromMe: false, id: ID.g3, participant: OTHER.lid },
        text: '❤️',
        senderTimestampMs: (T + 17) * 1000,
      },
    }),
    live('m6', fromPeer(ID.m6, T + 18), { conversation: 'soon gone' }),
    live('r6 revokes m6', fromPeer(ID.r6, T + 19), {
      protocolMessage: { type: REVOKE, key: { remoteJid: PEER.lid, fromMe: true, id: ID.m6 } },
    }),
    live('e1 edits m4', fromPeer(ID.e1, T + 20), {
      protocolMessage: {
        type: MESSAGE_EDIT,
        key: { remoteJid: PEER.lid, fromMe: true, id: ID.m4 },
        timestampMs: (T + 20) * 1000 + 123,
        editedMessage: { conversation: 'v1' },
      },
    }),
    live('e2 edits m4', fromPeer(ID.e2, T + 30), {
      protocolMessage: {
        type: MESSAGE_EDIT,
        key: { remoteJid: PEER.lid, fromMe: true, id: ID.m4 },
        timestampMs: (T + 30) * 1000 + 456,
        editedMessage: { conversation: 'v2' },
      },
    }),
    live('x2 reacts to m5', fromPeer(ID.x2, T + 40), {
      reactionMessage: {
        key: { remoteJid: '99000000001@lid', fromMe: false, id: ID.m5 },
        text: '👍',
        senderTimestampMs: (T + 40) * 1000,
      },
    }),
    live('x3 removes it', fromPeer(ID.x3, T + 45), {
      reactionMessage: {
        key: { remoteJid: '99000000001@lid', fromMe: false, id: ID.m5 },
        text: '',
        senderTimestampMs: (T + 45) * 1000,
      },
    }),
    live('r3 revokes m3', fromPeer(ID.r3, T + 50), {
      protocolMessage: { type: REVOKE, key: { remoteJid: PEER.lid, fromMe: true, id: ID.m3 } },
    }),
    mapping('peer mapping', T + 60, PEER.lid, PEER.pn),
    mapping('other mapping', T + 61, OTHER.lid, OTHER.pn),
  ];
}

/** The raw history chunks re-imported (CLI `import-history`): messages with their own times. */
export function anchors(): EventMap[] {
  return [recent(), full()].map((sync) => {
    const decoded = proto.HistorySync.decode(proto.HistorySync.encode(proto.HistorySync.create(sync)).finish());
    return { 'messaging-history.set': processHistoryMessage(decoded) } as EventMap;
  });
}

/** Every WhatsApp message of the world, by its key fields (the ones that must each be one document). */
export const MESSAGES = [ID.m1, ID.m2, ID.m3, ID.m4, ID.m5, ID.m6, ID.g1, ID.g2, ID.g3] as const;
