/**
 * One test per bullet of issue 7's "Why", end to end where it matters: Baileys events (made by
 * Baileys' own code, buffered by its `makeEventBuffer` where the bullet is about the buffer) →
 * `normalizeBaileysEvents` → `planWrites` → the stored documents. Each failed on the code before
 * the issue (the same scenarios, written against the old API, were run and watched fail).
 */
import assert from 'node:assert/strict';
import { proto } from '@whiskeysockets/baileys';
import { AliasResolver } from '../../src/identity/alias-resolver.ts';
import type { SelfIdentity } from '../../src/identity/self.ts';
import { type NormalizeOptions, normalizeMessage } from '../../src/normalize/index.ts';
import type { InMemoryStore } from '../../src/planner/index.ts';
import type { MessageDoc } from '../../src/schema.ts';
import { GROUP, historyMessage, liveDm, ME, NOW, PEER, SELF, T0, T0_MS } from '../fixtures/wa-messages.ts';
import { type Delivery, deliver, dmReceipt, history, live, mapping } from '../support/baileys-feed.ts';
import { eventsOf, newStore, planAndApply } from '../support/pipeline.ts';

const RECEIVED_AT = (T0 + 3600) * 1000;
const { READ } = proto.WebMessageInfo.Status;
const { REVOKE, MESSAGE_EDIT } = proto.Message.ProtocolMessage.Type;
const { RECENT } = proto.HistorySync.HistorySyncType;
const ID = '3EB0AB0000000000000001';

/** Deliver windows of deliveries (buffered or not) into `store`, one plan per event map. */
async function feed(store: InMemoryStore, windows: Array<[Delivery[], boolean]>, receivedAt = RECEIVED_AT) {
  for (const [deliveries, buffered] of windows) {
    for (const map of await deliver(deliveries, buffered)) {
      planAndApply(store, eventsOf([map], { receivedAt }), { receivedAt, now: receivedAt });
    }
  }
}

function messagesOf(store: InMemoryStore): Array<[string, MessageDoc]> {
  return [...store.docs].filter(([path]) => path.includes('/messages/')) as Array<[string, MessageDoc]>;
}

function only(store: InMemoryStore): MessageDoc {
  const docs = messagesOf(store);
  assert.equal(docs.length, 1, docs.map(([p]) => p).join(', '));
  return docs[0]?.[1] as MessageDoc;
}

const peerSays = (id: string, t: number, content: proto.IMessage) =>
  live(`${id}@${t}`, { from: PEER.lid, addressing_mode: 'lid', sender_pn: PEER.pn, id, t: String(t) }, content);
const weSay = (id: string, t: number, content: proto.IMessage) =>
  live(
    `${id}@${t}`,
    { from: ME.lidDevice, recipient: PEER.lid, addressing_mode: 'lid', id, t: String(t) },
    content,
    'append',
  );
const edit = (id: string, t: number, text: string) =>
  peerSays(`E${t}`, t, {
    protocolMessage: {
      type: MESSAGE_EDIT,
      key: { remoteJid: PEER.lid, fromMe: true, id },
      timestampMs: t * 1000,
      editedMessage: { conversation: text },
    },
  });
const react = (id: string, t: number, text: string) =>
  peerSays(`X${t}`, t, {
    reactionMessage: { key: { remoteJid: ME.lid, fromMe: false, id }, text, senderTimestampMs: t * 1000 },
  });
const peerHistory = (messages: proto.IWebMessageInfo[]) =>
  history(`h${messages.length}`, T0 + 1000, () => ({
    syncType: RECENT,
    conversations: [{ id: PEER.pn, messages: messages.map((message) => ({ message })) }],
  }));

describe('issue 7: why', () => {
  it('1a. two edits applied out of order keep the newer text', async () => {
    const store = newStore();
    await feed(store, [
      [[peerSays(ID, T0, { conversation: 'v0' }), edit(ID, T0 + 20, 'v2'), edit(ID, T0 + 10, 'v1')], false],
    ]);
    assert.deepEqual(only(store).edited, { text: 'v2', at: (T0 + 20) * 1000 });
  });

  it('1b. a reaction removed live stays removed when history replays the older "add"', async () => {
    const store = newStore();
    await feed(store, [
      [[weSay(ID, T0, { conversation: 'hi' }), react(ID, T0 + 20, ''), react(ID, T0 + 10, '👍')], false],
    ]);
    assert.equal(only(store).reactions, undefined);
    // The same replay through an embedded history reaction.
    await feed(store, [
      [
        [
          peerHistory([
            {
              key: { remoteJid: PEER.pn, fromMe: true, id: ID },
              messageTimestamp: T0,
              message: { conversation: 'hi' },
              reactions: [
                {
                  key: { remoteJid: PEER.pn, fromMe: false, id: 'X' },
                  text: '👍',
                  senderTimestampMs: (T0 + 10) * 1000,
                },
              ],
            },
          ]),
        ],
        false,
      ],
    ]);
    assert.equal(only(store).reactions, undefined);
  });

  it('2. an upsert that Baileys’ buffer merged with its own edit is stored, with the edit applied', async () => {
    const store = newStore();
    await feed(store, [[[peerSays(ID, T0, { conversation: 'v0' }), edit(ID, T0 + 30, 'v1')], true]]);
    const doc = only(store);
    assert.deepEqual([doc.id, doc.edited?.text, doc.deleted], [ID, 'v1', undefined]);
    // History later brings the original text and time; nothing else changes.
    await feed(store, [
      [
        [
          peerHistory([
            {
              key: { remoteJid: PEER.pn, fromMe: false, id: ID },
              messageTimestamp: T0,
              message: { conversation: 'v0' },
            },
          ]),
        ],
        false,
      ],
    ]);
    const joined = only(store);
    assert.deepEqual([joined.text, joined.edited?.text, joined.timestamp], ['v0', 'v1', T0_MS]);
  });

  it('3. a READ that Baileys’ buffer merged into our own upsert does not become the message time', async () => {
    const store = newStore();
    // Seen live first; then the reconnect's offline catch-up replays it with its read receipt.
    await feed(store, [
      [[weSay(ID, T0, { conversation: 'sent from phone' })], false],
      [[weSay(ID, T0, { conversation: 'sent from phone' }), dmReceipt('read', PEER.lid, ID, READ, T0 + 3600)], true],
    ]);
    const doc = only(store);
    assert.equal(doc.timestamp, T0_MS);
    assert.equal(doc.status, 'read');
    // Keyed by the peer as seen: no mapping is known here.
    assert.deepEqual(doc.receipts, { [PEER.lid]: { readAt: (T0 + 3600) * 1000 } });
  });

  it('4. one group message has one doc id, live (LID) or from history (PN), revealing the mapping or not', async () => {
    const liveGroup = (participantPn?: string) =>
      live(
        'g',
        {
          from: GROUP,
          participant: PEER.lid,
          addressing_mode: 'lid',
          ...(participantPn ? { participant_pn: participantPn } : {}),
          id: ID,
          t: String(T0),
        },
        { conversation: 'hi' },
      );
    const fromHistory = history('gh', T0 + 1000, () => ({
      syncType: RECENT,
      conversations: [
        {
          id: GROUP,
          messages: [
            {
              message: {
                key: { remoteJid: GROUP, fromMe: false, id: ID, participant: PEER.pn },
                messageTimestamp: T0,
                message: { conversation: 'hi' },
              },
            },
          ],
        },
      ],
    }));
    const paths = [];
    for (const order of [
      [liveGroup(PEER.pn), fromHistory], // the live message itself reveals the mapping
      [fromHistory, liveGroup(PEER.pn)],
      [liveGroup(), fromHistory, mapping('m', T0 + 5, PEER.lid, PEER.pn)], // the mapping arrives last
      [mapping('m', T0 + 5, PEER.lid, PEER.pn), liveGroup(), fromHistory],
    ]) {
      const store = newStore();
      await feed(
        store,
        order.map((d) => [[d], false] as [Delivery[], boolean]),
      );
      const docs = messagesOf(store);
      assert.equal(docs.length, 1, docs.map(([p]) => p).join(', '));
      paths.push(docs[0]?.[0]);
    }
    assert.deepEqual(new Set(paths), new Set([`accounts/acc1/threads/${GROUP}/messages/${PEER.pn}~${ID}`]));
  });

  it('5. replays of a future-dated message clamp to the receive time stored with it, not to now', () => {
    const msg = () =>
      historyMessage({
        key: { remoteJid: PEER.pn, fromMe: false, id: 'FUT' },
        messageTimestamp: T0 + 10 * 86_400,
        message: { conversation: 'x' },
      });
    const receivedAt = T0_MS + 5_000;
    const times = [1, 2, 3].map(() => normalizeMessage(msg(), { source: 'history', receivedAt, self: SELF }));
    assert.deepEqual(
      times.map((r) => r.kind === 'message' && r.doc.timestamp),
      [receivedAt, receivedAt, receivedAt],
    );
  });

  it('6a. a history REVOKE stub and a live revoke make the same tombstone', async () => {
    const image = { imageMessage: { caption: 'c', mimetype: 'image/jpeg', fileLength: 5 } };
    const live = newStore();
    await feed(live, [
      [
        [
          peerSays(ID, T0, image),
          peerSays('R', T0 + 1, {
            protocolMessage: { type: REVOKE, key: { remoteJid: PEER.lid, fromMe: true, id: ID } },
          }),
        ],
        false,
      ],
    ]);
    const stub = newStore();
    await feed(stub, [
      [[peerSays('other', T0, { conversation: 'reveals the mapping' })], false],
      [
        [
          peerHistory([
            {
              key: { remoteJid: PEER.pn, fromMe: false, id: ID },
              messageTimestamp: T0,
              messageStubType: proto.WebMessageInfo.StubType.REVOKE,
            },
          ]),
        ],
        false,
      ],
    ]);
    const a = only(live);
    const b = messagesOf(stub).find(([, d]) => d.id === ID)?.[1];
    assert.deepEqual([a.type, a.text, a.deleted, a.media], ['other', null, true, undefined]);
    assert.deepEqual([b?.type, b?.text, b?.deleted, b?.media], [a.type, a.text, a.deleted, a.media]);
  });

  it('6b. our own reactions are keyed by our JID, as the contract says', async () => {
    const store = newStore();
    await feed(store, [
      [
        [
          peerSays(ID, T0, { conversation: 'hi' }),
          weSay('X', T0 + 1, { reactionMessage: { key: { remoteJid: PEER.lid, fromMe: false, id: ID }, text: '🔥' } }),
        ],
        false,
      ],
    ]);
    assert.deepEqual(only(store).reactions, { [ME.pn]: '🔥' });
  });

  it('6c. a poll keeps its options; its messageSecret stays off the document (issue 13: key material is server-only)', () => {
    const poll = liveDm({
      pollCreationMessageV3: { name: 'q', options: [{ optionName: 'a' }, { optionName: 'b' }] },
      messageContextInfo: { messageSecret: new Uint8Array([1, 2, 3]) },
    });
    const result = normalizeMessage(poll, { source: 'realtime', receivedAt: NOW, self: SELF });
    assert.equal(result.kind, 'message');
    assert.deepEqual(result.kind === 'message' && result.doc.pollOptions, ['a', 'b']);
    assert.ok(!JSON.stringify(result).includes('AQID') && !JSON.stringify(result).includes('messageSecret'));
  });

  it('6d. who we are is a required input (leaving it out used to split threads silently)', () => {
    const withoutSelf = { source: 'realtime', receivedAt: NOW } as unknown as NormalizeOptions;
    assert.throws(() => normalizeMessage(liveDm({ conversation: 'x' }), withoutSelf), /self/);
    assert.throws(() => new AliasResolver({} as unknown as { self: SelfIdentity }), TypeError);
  });
});
