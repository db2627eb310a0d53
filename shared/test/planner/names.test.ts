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

/** A DM under the peer's LID (with its phone number) and a group, one message each. */
const messages = history({
  syncType: RECENT,
  conversations: [
    {
      id: PEER.lid,
      pnJid: PEER.pn,
      messages: [
        {
          message: {
            key: { remoteJid: PEER.lid, fromMe: false, id: 'A1' },
            messageTimestamp: T0,
            message: { conversation: 'hi' },
          },
        },
      ],
    },
    {
      id: GROUP,
      name: 'Old subject',
      messages: [
        {
          message: {
            key: { remoteJid: GROUP, fromMe: true, id: 'G1' },
            messageTimestamp: T0 + 1,
            message: { conversation: 'hello group' },
          },
        },
      ],
    },
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
});
