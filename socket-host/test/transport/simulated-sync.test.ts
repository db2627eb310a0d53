/**
 * The simulated WhatsApp's sync traffic: app-state sync as chats.js + processSyncAction emit it
 * (contacts with their LIDs, LID↔PN mappings, chat settings; live changes), the pairing history's
 * NON_BLOCKING_DATA and FULL chunks with past participants — and the pipeline storing it all as
 * its planner model does.
 */
import assert from 'node:assert/strict';
import { InMemoryStore } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';
import { eventsOf, planAndApply } from '../../../shared/test/support/pipeline.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { LIVE_KINDS } from '../../src/transport/simulated/live-events.ts';
import { lidJid, pnJid } from '../../src/transport/simulated/phone.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { accountDocs, modelDocs } from '../support/account-docs.ts';
import { all, FAST, pairedAndOpen, until } from '../support/simulated.ts';
import { feed, openSync } from '../support/sync.ts';

describe('simulated WhatsApp sync traffic', function () {
  this.timeout(60_000);

  it('syncs app state at first login: contacts with LIDs, LID mappings and chat settings, as processSyncAction emits them', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'a1', autoPairAfterMs: 10, timings: FAST, phone: { groups: 2 } });
    const { auth, second } = await pairedAndOpen(sim, 'acc');
    const phone = sim.phone('acc');
    assert.equal(auth.creds.myAppStateKeyId, sim.wire('acc').appState.keyId, 'the key share was processed');
    for (const name of ['critical_unblock_low', 'regular', 'regular_low', 'regular_high'])
      assert.ok(auth.data.has(`app-state-sync-version/${name}`), name);
    // Baileys' buffer folds a contacts.upsert into the history set's contact of the same id.
    const contacts = [
      ...all(second.batches, 'contacts.upsert').flat(),
      ...all(second.batches, 'messaging-history.set').flatMap((s) => s.contacts),
    ];
    for (const c of phone.contacts) {
      const contact = contacts.find((u) => u.id === pnJid(c.pn) && u.lid);
      assert.deepEqual(
        { id: contact?.id, name: contact?.name, lid: contact?.lid, phoneNumber: contact?.phoneNumber },
        { id: pnJid(c.pn), name: `${c.name} ${c.pn.slice(-2)}`, lid: lidJid(c.lid), phoneNumber: pnJid(c.pn) },
      );
    }
    const mappings = all(second.batches, 'lid-mapping.update');
    for (const c of phone.contacts) assert.ok(mappings.some((m) => m.lid === lidJid(c.lid) && m.pn === pnJid(c.pn)));
    // The buffer applies the initial sync's conditional updates onto the history set's chats.
    const chats = [
      ...all(second.batches, 'messaging-history.set').flatMap((s) => s.chats),
      ...all(second.batches, 'chats.update').flat(),
    ];
    const byId = (id: string) => Object.assign({}, ...chats.filter((u) => u.id === id));
    const group = phone.chats.find((c) => c.kind === 'group')!;
    assert.ok(byId(group.jid).pinned, 'pinned group');
    assert.ok(byId(phone.chats[1]!.jid).muteEndTime, 'muted chat');
    assert.equal(byId(phone.chats[2]!.jid).archived, true, 'archived chat');
    assert.equal(byId(phone.chats[0]!.jid).unreadCount, null, 'read on the phone: a null update in the initial sync');
    // Live: a change on the phone comes as one collection's resync, not conditional.
    const before = all(second.batches, 'chats.update').length;
    await sim.changeAppState('acc');
    const live = await until('live chats.update', () => all(second.batches, 'chats.update').slice(before).flat()[0]);
    assert.ok('archived' in live || 'muteEndTime' in live, JSON.stringify(live));
  });

  it('sends NON_BLOCKING_DATA and the FULL history in several chunks with the groups’ past participants', async () => {
    const phoneSim = new SimulatedWhatsApp({ seed: 'a2', phone: { groups: 2, fullChunks: 3 } });
    const phone = phoneSim.phone('acc');
    const { FULL, NON_BLOCKING_DATA } = proto.HistorySync.HistorySyncType;
    const syncs = phone.pairingHistory(true);
    const full = syncs.filter((s) => s.syncType === FULL);
    assert.equal(full.length, 3);
    assert.deepEqual(full.map((s) => s.progress).at(-1), 100);
    assert.ok(full.every((s, i) => i === 0 || (s.progress ?? 0) > (full[i - 1]!.progress ?? 0)));
    assert.deepEqual(
      full.flatMap((s) => s.conversations!.map((c) => c.id)).sort(),
      phone.chats.map((c) => c.jid).sort(),
      'every chat whole in one chunk',
    );
    assert.ok(syncs.some((s) => s.syncType === NON_BLOCKING_DATA && s.pastParticipants?.length === 2));

    const sim = new SimulatedWhatsApp({
      seed: 'a2',
      autoPairAfterMs: 10,
      timings: FAST,
      phone: { groups: 2, fullChunks: 3 },
    });
    const { second } = await pairedAndOpen(sim, 'acc');
    const sets = all(second.batches, 'messaging-history.set');
    // Baileys' buffer merged the chunks, deduplicating past participants per group.
    const past = sets.flatMap((s) => s.pastParticipants ?? []);
    const groups = phone.chats.filter((c) => c.kind === 'group');
    assert.deepEqual(
      past.map((p) => [p.groupJid, p.pastParticipants?.map((x) => x.userJid)]).sort(),
      groups.map((g) => [g.jid, phone.pastParticipants(g).pastParticipants!.map((x) => x.userJid)]).sort(),
    );
    const ids = new Set(sets.flatMap((s) => s.messages.map((m) => m.key.id)));
    for (const c of phone.chats) assert.ok(ids.has(phone.historyMessage(c, 12 + 23).key!.id!), `FULL of ${c.jid}`);
  });

  it('is stored by the pipeline as its planner model stores it (history, app state, every live kind, from the phone, receipts)', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'a3', autoPairAfterMs: 10, timings: { ...FAST, receiptMs: 60 } });
    const { second, socket } = await pairedAndOpen(sim, 'acc');
    for (let i = 0; i < 4; i++) await sim.receive('acc');
    await sim.sendFromPhone('acc');
    await socket.sendMessage(sim.phone('acc').chats[0]!.jid, { text: 'from the host' });
    await sim.changeAppState('acc');
    for (const kind of LIVE_KINDS) await sim.live('acc', kind);
    await until('read receipts', () =>
      all(second.batches, 'messages.update')
        .flat()
        .some((u) => u.update.status === proto.WebMessageInfo.Status.READ) &&
      all(second.batches, 'message-receipt.update')
        .flat()
        .some((u) => u.receipt.readTimestamp)
        ? true
        : undefined,
    );
    const NOW = Date.now();
    const maps = second.batches.filter((b) => !b['connection.update'] || Object.keys(b).length > 1);
    const sync = await openSync({ now: NOW });
    await feed(sync, maps, NOW);
    await sync.drain();
    const model = new InMemoryStore(sync.writer.accountId);
    for (const map of maps) planAndApply(model, eventsOf([map], { receivedAt: NOW }), { receivedAt: NOW, now: NOW });
    const stored = await accountDocs(testDb(), sync.writer.accountId);
    const expected = modelDocs(model);
    assert.ok([...expected.keys()].filter((p) => p.includes('/messages/')).length > 50);
    assert.deepEqual(new Map([...stored].filter(([p]) => p.startsWith('accounts/'))), expected);
    const docs = [...stored.values()] as Array<{ deleted?: boolean }>;
    assert.ok(
      docs.some((d) => d.deleted === true),
      'the revoked history message is a tombstone',
    );
    assert.ok(![...stored.keys()].some((p) => p.includes('/pendingUpdates/')), 'every update found its message');
    await sync.close('test');
  });
});
