/**
 * Thread names: from contacts (history, app-state sync), push and verified names, and group
 * subjects — the best source wins and never goes back to a worse one, a newer name of the same
 * source replaces an older one, and the result is the same in any order of the events (a push-name
 * chunk before or after the messages, a mapping before or after the names).
 */
import assert from 'node:assert/strict';
import { processHistoryMessage, proto } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import type { ThreadDoc } from '../../src/schema.ts';
import { GROUP, PEER, T0 } from '../fixtures/wa-messages.ts';
import type { EventMap } from '../support/baileys-feed.ts';
import { eventsOf, newStore, planAndApply, storeText } from '../support/pipeline.ts';

const RECEIVED_AT = (T0 + 3600) * 1000;
const { RECENT, PUSH_NAME } = proto.HistorySync.HistorySyncType;

function history(sync: proto.IHistorySync): EventMap {
  const decoded = proto.HistorySync.decode(proto.HistorySync.encode(proto.HistorySync.create(sync)).finish());
  return { 'messaging-history.set': processHistoryMessage(decoded) } as EventMap;
}

/** A history conversation with one text message. */
function conversation(
  chat: proto.IConversation,
  message: { id: string; fromMe: boolean; at: number; text: string },
): proto.IConversation {
  const key = { remoteJid: chat.id, fromMe: message.fromMe, id: message.id };
  return {
    ...chat,
    messages: [{ message: { key, messageTimestamp: message.at, message: { conversation: message.text } } }],
  };
}

/** A DM under the peer's LID (with its phone number) and a group, one message each. */
const messages = history({
  syncType: RECENT,
  conversations: [
    conversation({ id: PEER.lid, pnJid: PEER.pn }, { id: 'A1', fromMe: false, at: T0, text: 'hi' }),
    conversation({ id: GROUP, name: 'Old subject' }, { id: 'G1', fromMe: true, at: T0 + 1, text: 'hello group' }),
  ],
});
const pushNames = history({ syncType: PUSH_NAME, pushnames: [{ id: PEER.pn, pushname: 'Ana (push)' }] });
const verified: EventMap = { 'contacts.update': [{ id: PEER.lid, verifiedName: 'Ana Ltd' }] };
const contact: EventMap = { 'contacts.upsert': [{ id: PEER.lid, name: 'Ana Saved' }] };
const newerPush: EventMap = { 'contacts.update': [{ id: PEER.pn, notify: 'Ana 2' }] };
const subject: EventMap = { 'groups.update': [{ id: GROUP, subject: 'New subject' }] };

/** Plans each map on its own; received one second apart unless `sameTime`. */
function run(maps: EventMap[], sameTime = false) {
  const store = newStore();
  for (const [i, map] of maps.entries()) {
    const receivedAt = RECEIVED_AT + (sameTime ? 0 : i * 1000);
    planAndApply(store, eventsOf([map], { receivedAt }), { receivedAt, now: RECEIVED_AT, snapshot: true });
  }
  return store;
}

/** The paths of the store's name documents. */
function nameDocs(store: ReturnType<typeof newStore>): string[] {
  return [...store.docs.keys()].filter((p) => /\/names\/[^/]+$/.test(p)).sort();
}

function thread(store: ReturnType<typeof newStore>, jid: string): ThreadDoc | undefined {
  return [...store.docs]
    .filter(([p]) => /\/threads\/[^/]+$/.test(p))
    .map(([, d]) => d as ThreadDoc)
    .find((d) => d.jid === jid);
}

function names(store: ReturnType<typeof newStore>): Record<string, string | undefined> {
  return Object.fromEntries(
    [...store.docs]
      .filter(([p]) => /\/threads\/[^/]+$/.test(p))
      .map(([, d]) => [(d as ThreadDoc).jid, (d as ThreadDoc).name]),
  );
}

describe('planner: thread names', () => {
  it('names a thread created after its names arrived, and one named after it exists', () => {
    assert.deepEqual(names(run([pushNames, messages])), { [PEER.pn]: 'Ana (push)', [GROUP]: 'Old subject' });
    assert.deepEqual(names(run([messages, pushNames])), { [PEER.pn]: 'Ana (push)', [GROUP]: 'Old subject' });
  });

  it('prefers the contact name, then the push name, then the verified name, and never goes back', () => {
    assert.equal(names(run([messages, verified]))[PEER.pn], 'Ana Ltd');
    assert.equal(names(run([messages, verified, pushNames]))[PEER.pn], 'Ana (push)');
    assert.equal(names(run([messages, contact, pushNames, verified, newerPush]))[PEER.pn], 'Ana Saved');
  });

  it('takes the latest name of the same source, also when an older one is replayed later', () => {
    assert.equal(names(run([messages, pushNames, newerPush]))[PEER.pn], 'Ana 2');
    assert.equal(names(run([messages, subject]))[GROUP], 'New subject');
    // The history (received first) replayed after the group update: its receive time is older.
    const store = run([messages, subject]);
    planAndApply(store, eventsOf([messages], { receivedAt: RECEIVED_AT }), {
      receivedAt: RECEIVED_AT,
      now: RECEIVED_AT,
    });
    assert.equal(names(store)[GROUP], 'New subject');
  });

  it('gives the same documents in any order of the names and messages', () => {
    const maps = [messages, pushNames, verified, contact, newerPush, subject];
    const expected = storeText(run(maps, true));
    assert.match(expected, /Ana Saved/);
    fc.assert(
      fc.property(fc.shuffledSubarray(maps, { minLength: maps.length, maxLength: maps.length }), (order) => {
        assert.equal(storeText(run(order, true)), expected);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the names of a JID with a thread on the thread, and a name document only until its JID has one', () => {
    const named = run([messages, pushNames, contact, verified, subject]);
    assert.deepEqual(nameDocs(named), []);
    assert.deepEqual(thread(named, PEER.pn)?.nameFrom, { source: 'contact', at: RECEIVED_AT + 2000 });
    assert.deepEqual(thread(named, GROUP)?.nameFrom, { source: 'subject', at: RECEIVED_AT + 4000 });

    const early = run([pushNames, contact]);
    assert.equal(
      nameDocs(early).length,
      2,
      'the push name (by phone number) and the contact (by LID) wait in name documents',
    );
    planAndApply(early, eventsOf([messages], { receivedAt: RECEIVED_AT + 5000 }), {
      receivedAt: RECEIVED_AT + 5000,
      now: RECEIVED_AT,
      snapshot: true,
    });
    assert.deepEqual(nameDocs(early), []);
    assert.equal(thread(early, PEER.pn)?.name, 'Ana Saved');
  });

  it('deletes a name document a crash left behind after its thread took the name, and only after the thread', () => {
    const early = run([pushNames]);
    const plan = planAndApply(early, eventsOf([messages], { receivedAt: RECEIVED_AT }), {
      receivedAt: RECEIVED_AT,
      now: RECEIVED_AT,
      snapshot: true,
    });
    const ops = plan.commits.flatMap((c) => c.ops);
    const threadWrite = ops.findIndex((op) => op.kind === 'thread' && op.type !== 'delete');
    const nameDelete = ops.findIndex((op) => op.kind === 'name' && op.type === 'delete');
    assert.ok(threadWrite >= 0 && nameDelete > threadWrite, `thread at ${threadWrite}, name deleted at ${nameDelete}`);

    // The commit that deleted the name document never landed: the replay of the names deletes it.
    const crashed = run([pushNames]);
    for (const commit of plan.commits) crashed.apply({ ...commit, ops: commit.ops.filter((op) => op.kind !== 'name') });
    assert.equal(nameDocs(crashed).length, 1);
    planAndApply(crashed, eventsOf([pushNames], { receivedAt: RECEIVED_AT }), {
      receivedAt: RECEIVED_AT,
      now: RECEIVED_AT,
      snapshot: true,
    });
    assert.equal(storeText(crashed), storeText(early));
  });

  it('keeps the better name when a LID thread is merged into its phone-number thread, whichever was named how', () => {
    const lidOnly = history({
      syncType: RECENT,
      conversations: [conversation({ id: PEER.lid }, { id: 'L1', fromMe: false, at: T0, text: 'by lid' })],
    });
    const pnOnly = history({
      syncType: RECENT,
      conversations: [conversation({ id: PEER.pn }, { id: 'P1', fromMe: false, at: T0 + 5, text: 'by phone' })],
    });
    // The contact name reaches the LID thread, a (newer) push name the phone-number thread; then the mapping.
    const lidContact: EventMap = { 'contacts.upsert': [{ id: PEER.lid, name: 'Ana Saved' }] };
    const pnPush: EventMap = { 'contacts.update': [{ id: PEER.pn, notify: 'Ana 2' }] };
    const mapping: EventMap = { 'lid-mapping.update': { lid: PEER.lid, pn: PEER.pn } } as EventMap;
    const store = run([lidOnly, pnOnly, lidContact, pnPush, mapping]);
    assert.equal(thread(store, PEER.lid), undefined);
    assert.equal(thread(store, PEER.pn)?.name, 'Ana Saved');
    assert.deepEqual(nameDocs(store), []);
  });
});
