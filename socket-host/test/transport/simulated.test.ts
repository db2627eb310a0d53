/**
 * The simulated WhatsApp emits what Baileys emits: QR pairing through Baileys' own pairing checks,
 * history through Baileys' history processing, live messages through `decodeMessageNode`, receipts,
 * on-demand answers, and every disconnect reason as a real Boom error.
 */
import assert from 'node:assert/strict';
import {
  DisconnectReason,
  isJidStatusBroadcast,
  jidNormalizedUser,
  proto,
  type WAMessage,
  type WAVersion,
} from '@whiskeysockets/baileys';
import { acceptAllHistory } from '../../src/connection/history-policy.ts';
import { HISTORY_END_S, ON_DEMAND_MAX } from '../../src/transport/simulated/phone.ts';
import { type SimulatedDisconnect, SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { BUILT_IN_WA_VERSION } from '../../src/transport/wa-version.ts';
import { memoryAuthState } from '../support/memory-auth.ts';
import { all, FAST, log, pairedAndOpen, record, until } from '../support/simulated.ts';

describe('simulated WhatsApp', () => {
  it('pairs by QR, restarts (515), logs in and delivers the pairing history through Baileys', async () => {
    const sim = new SimulatedWhatsApp({ seed: 's1', autoPairAfterMs: 30, timings: FAST });
    const { auth, first, second } = await pairedAndOpen(sim, 'acc');

    const updates = all(first.batches, 'connection.update');
    assert.equal(updates[0]?.connection, 'connecting');
    const qr = updates.find((u) => u.qr)?.qr;
    assert.match(qr ?? '', /^https:\/\/wa\.me\/settings\/linked_devices#.+,.+,.+,.+/);
    assert.ok(updates.some((u) => u.isNewLogin));
    const phone = sim.phone('acc');
    assert.equal(auth.creds.me?.id, phone.meDeviceJid);
    assert.ok(auth.creds.account?.accountSignatureKey, 'pairing went through configureSuccessfulPairing');

    assert.ok(all(second.batches, 'connection.update').some((u) => u.connection === 'open'));
    assert.match(auth.creds.me?.lid ?? '', /@lid$/);
    const sets = all(second.batches, 'messaging-history.set');
    const { HistorySyncType } = proto.HistorySync;
    // The event buffer merges the chunks delivered while buffering into one set (as in Baileys).
    assert.ok(sets.length >= 1);
    const messages = sets.flatMap((s) => s.messages);
    assert.ok(messages.length > 50, `${messages.length} history messages`);
    assert.ok(messages.every((m) => typeof m.key.id === 'string' && m.key.id.startsWith('3EB0')));
    const chatIds = sets.flatMap((s) => s.chats).map((c) => c.id ?? '');
    assert.ok(chatIds.some((id) => id.endsWith('@lid')) && chatIds.some((id) => id.endsWith('@s.whatsapp.net')));
    assert.equal(sets.at(-1)?.syncType, HistorySyncType.FULL, 'full history accepted and delivered last');
    // chats.js' milestones: bootstrap on arrival, RECENT at progress 100; none for FULL.
    assert.deepEqual(all(second.batches, 'messaging-history.status'), [
      { syncType: HistorySyncType.INITIAL_BOOTSTRAP, status: 'complete', explicit: true },
      { syncType: HistorySyncType.RECENT, status: 'complete', explicit: true },
    ]);
    // INITIAL_BOOTSTRAP, RECENT ×2, PUSH_NAME, NON_BLOCKING_DATA and FULL in three chunks.
    assert.equal(auth.creds.processedHistoryMessages.length, 8, 'one per non-ON_DEMAND notification');
    assert.equal(auth.creds.accountSyncCounter, 1);
    // Baileys stored the LID↔PN mappings from history and the tc token, in the key store.
    const [contact] = phone.contacts;
    assert.equal(auth.data.get(`lid-mapping/${contact!.pn}`), contact!.lid);
    assert.ok([...auth.data.keys()].some((k) => k.startsWith('tctoken/')));
    assert.ok([...auth.data.keys()].some((k) => k.startsWith('device-list/')));
  });

  it('is deterministic from its seed', async () => {
    const ids = async (seed: string) => {
      const sim = new SimulatedWhatsApp({ seed, autoPairAfterMs: 10, timings: FAST });
      const { second } = await pairedAndOpen(sim, 'acc');
      return all(second.batches, 'messaging-history.set').flatMap((s) =>
        s.messages.map(
          (m) => `${m.key.remoteJid}/${m.key.id}/${m.message?.conversation ?? m.message?.extendedTextMessage?.text}`,
        ),
      );
    };
    const [a, b, c] = [await ids('same'), await ids('same'), await ids('other')];
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('honours shouldSyncHistoryMessage: Baileys’ default skips FULL', async () => {
    const sim = new SimulatedWhatsApp({ seed: 's2', autoPairAfterMs: 10, timings: FAST });
    const baileysDefault = (n: proto.Message.IHistorySyncNotification) =>
      n.syncType !== proto.HistorySync.HistorySyncType.FULL;
    const { second } = await pairedAndOpen(sim, 'acc', baileysDefault);
    const types = all(second.batches, 'messaging-history.set').map((s) => s.syncType);
    assert.ok(!types.includes(proto.HistorySync.HistorySyncType.FULL));
  });

  it('delivers live messages LID-addressed with the phone number as alternate', async () => {
    const sim = new SimulatedWhatsApp({ seed: 's3', autoPairAfterMs: 10, timings: FAST });
    const { second } = await pairedAndOpen(sim, 'acc');
    const received: WAMessage = await sim.receive('acc');
    assert.match(received.key.remoteJid ?? '', /@lid$/);
    assert.match(received.key.remoteJidAlt ?? '', /@s\.whatsapp\.net$/);
    assert.equal(received.key.addressingMode, 'lid');
    const upserts = await until('upsert', () =>
      all(second.batches, 'messages.upsert').find(
        (u) => u.type === 'notify' && u.messages.some((m) => m.key.id === received.key.id),
      ),
    );
    assert.equal(upserts.messages[0]?.pushName, received.pushName);
    const group = await sim.receive('acc'); // the second live message of the seed is in a group
    assert.match(group.key.remoteJid ?? '', /@g\.us$/);
    assert.match(group.key.participant ?? '', /@lid$/);
    assert.match(group.key.participantAlt ?? '', /@s\.whatsapp\.net$/);
  });

  it('acknowledges sent messages with delivery and read receipts', async () => {
    // Receipts later than Baileys' 100 ms buffer flush; faster ones merge into the upsert (as in Baileys).
    const sim = new SimulatedWhatsApp({ seed: 's4', autoPairAfterMs: 10, timings: { ...FAST, receiptMs: 150 } });
    const { socket, second } = await pairedAndOpen(sim, 'acc');
    const to = sim.phone('acc').chats[1]!.jid;
    const sent = await socket.sendMessage(to, { text: 'hi there' });
    assert.equal(sent?.status, proto.WebMessageInfo.Status.PENDING);
    const statuses = await until('two receipts', () => {
      const s = all(second.batches, 'messages.update')
        .flat()
        .filter((u) => u.key.id === sent?.key.id)
        .map((u) => u.update.status);
      return s.length >= 2 ? s : undefined;
    });
    assert.deepEqual(statuses, [proto.WebMessageInfo.Status.DELIVERY_ACK, proto.WebMessageInfo.Status.READ]);
    assert.ok(
      all(second.batches, 'messages.upsert').some((u) => u.type === 'append' && u.messages[0]?.key.id === sent?.key.id),
    );
  });

  it('lists its groups through Baileys’ extractGroupMetadata and emits groups.update', async () => {
    const sim = new SimulatedWhatsApp({ seed: 's-groups', autoPairAfterMs: 10, timings: FAST, phone: { groups: 2 } });
    const { socket, second } = await pairedAndOpen(sim, 'acc');
    const phone = sim.phone('acc');
    const groups = await socket.groupFetchAllParticipating();
    const expected = phone.chats.filter((c) => c.kind === 'group');
    assert.deepEqual(Object.keys(groups).sort(), expected.map((c) => c.jid).sort());
    for (const chat of expected) {
      const meta = groups[chat.jid]!;
      assert.equal(meta.subject, chat.name);
      assert.equal(meta.addressingMode, 'lid');
      assert.deepEqual(
        meta.participants.map((p) => [p.id, p.phoneNumber]),
        [[phone.meLid, phone.meJid], ...chat.members.map((m) => [`${m.lid}@lid`, `${m.pn}@s.whatsapp.net`])],
      );
    }
    const updates = await until('groups.update', () => all(second.batches, 'groups.update')[0]);
    assert.deepEqual(updates.map((g) => g.id).sort(), Object.keys(groups).sort());
    // The LID mapping store of the socket knows the account's own pair after login (socket.js).
    // (Baileys answers with the device form, `<pn>:0@s.whatsapp.net`.)
    const pn = await socket.signalRepository.lidMapping.getPNForLID(phone.meLid);
    assert.equal(jidNormalizedUser(pn ?? ''), phone.meJid);
  });

  it('answers fetchMessageHistory with an ON_DEMAND set carrying the request id', async () => {
    const sim = new SimulatedWhatsApp({ seed: 's5', autoPairAfterMs: 10, timings: FAST });
    const { socket, second } = await pairedAndOpen(sim, 'acc');
    const chat = sim.phone('acc').chats[0]!;
    const oldest = sim.phone('acc').historyMessage(chat, 40);
    const requestId = await socket.fetchMessageHistory(80, oldest.key!, Number(oldest.messageTimestamp));
    const set = await until('on-demand set', () =>
      all(second.batches, 'messaging-history.set').find((s) => s.peerDataRequestSessionId === requestId),
    );
    assert.equal(set.syncType, proto.HistorySync.HistorySyncType.ON_DEMAND);
    assert.equal(set.messages.length, ON_DEMAND_MAX, 'capped at 50 like WhatsApp');
    assert.ok(set.messages.every((m) => Number(m.messageTimestamp) < Number(oldest.messageTimestamp)));
    assert.ok(set.messages.every((m) => Number(m.messageTimestamp) <= HISTORY_END_S));
  });

  for (const [reason, expected] of [
    [401, 'Connection Failure'],
    [403, 'Connection Failure'],
    [405, 'Connection Failure'],
    [406, 'Connection Failure'],
    [408, 'Connection was lost'],
    [428, 'Connection Terminated'],
    [440, 'Stream Errored (conflict)'],
    [500, 'Stream Errored (xml-not-well-formed)'],
    [503, 'Connection Failure'],
    [515, 'Stream Errored (restart required)'],
  ] as [SimulatedDisconnect, string][]) {
    it(`disconnects with ${reason} as a Boom error like Baileys makes it`, async () => {
      const sim = new SimulatedWhatsApp({ seed: 's6', autoPairAfterMs: 10, timings: FAST });
      const { socket } = await pairedAndOpen(sim, 'acc');
      const { closed } = record(socket);
      await sim.disconnect('acc', reason);
      const error = await closed;
      assert.equal(error?.isBoom, true);
      assert.equal(error?.output.statusCode, reason);
      assert.equal(error?.message, expected);
    });
  }

  it('ends QR pairing with 408 “QR refs attempts ended” when nobody scans', async () => {
    const sim = new SimulatedWhatsApp({
      autoPairAfterMs: false,
      timings: { ...FAST, firstQrMs: 30, nextQrMs: 10, qrRefs: 3 },
    });
    const socket = sim.connect({
      accountId: 'acc',
      auth: memoryAuthState(),
      logger: log,
      syncFullHistory: true,
      shouldSyncHistoryMessage: acceptAllHistory,
      getMessage: async () => undefined,
    });
    const { batches, closed } = record(socket);
    const error = await closed;
    assert.equal(error?.output.statusCode, DisconnectReason.timedOut);
    assert.equal(error?.message, 'QR refs attempts ended');
    assert.equal(all(batches, 'connection.update').filter((u) => u.qr).length, 3);
  });

  it('counts sockets and replaces an older connection like WhatsApp (440)', async () => {
    const sim = new SimulatedWhatsApp({ seed: 's7', autoPairAfterMs: 10, timings: FAST });
    const { socket, options } = await pairedAndOpen(sim, 'acc');
    assert.deepEqual(sim.counters('acc'), { live: 1, maxLive: 1, opened: 2, replaced: 0 });
    const older = record(socket);
    const newer = sim.connect(options);
    assert.equal(sim.counters('acc').maxLive, 2);
    const error = await older.closed;
    assert.equal(error?.output.statusCode, DisconnectReason.connectionReplaced);
    assert.deepEqual(sim.counters('acc'), { live: 1, maxLive: 2, opened: 3, replaced: 1 });
    await newer.end(undefined);
    assert.equal(sim.counters('acc').live, 0);
  });

  it('refuses an outdated WhatsApp Web version with the 405 Connection Failure socket.js makes, before any QR or login', async () => {
    const current = BUILT_IN_WA_VERSION;
    const sim = new SimulatedWhatsApp({ seed: 's9', autoPairAfterMs: 10, timings: FAST, version: current });
    const { options } = await pairedAndOpen(sim, 'acc');
    assert.deepEqual(await sim.transport().latestVersion!(), { version: current, isLatest: true });
    const newer: WAVersion = [current[0], current[1], current[2] + 1];
    sim.release(newer);
    assert.deepEqual((await sim.transport().latestVersion!()).version, newer);
    for (const version of [undefined, current]) {
      // Logged in or new: the refusal comes first either way.
      for (const auth of [options.auth, memoryAuthState()]) {
        const refused = record(sim.connect({ ...options, auth, ...(version && { version }) }));
        const error = await refused.closed;
        assert.equal(error?.output.statusCode, 405);
        assert.equal(error?.message, 'Connection Failure');
        assert.deepEqual(error?.data, { reason: '405', location: 'cln' });
        const updates = all(refused.batches, 'connection.update');
        assert.ok(!updates.some((u) => u.qr || u.connection === 'open'), 'no QR, no login');
      }
    }
    const accepted = record(sim.connect({ ...options, version: newer }));
    await until('open with the current version', () =>
      all(accepted.batches, 'connection.update').some((u) => u.connection === 'open'),
    );
  });

  it('ignores status@broadcast when the socket says so (shouldIgnoreJid), like messages-recv.js', async () => {
    const sim = new SimulatedWhatsApp({ seed: 's10', autoPairAfterMs: 10, timings: FAST });
    const { options, second } = await pairedAndOpen(sim, 'acc');
    const status = await sim.receiveStatus('acc');
    assert.equal(status?.key.remoteJid, 'status@broadcast');
    assert.match(status?.key.participant ?? '', /@lid$/);
    await until('status delivered', () =>
      all(second.batches, 'messages.upsert').some((u) => u.messages[0]?.key.remoteJid === 'status@broadcast'),
    );
    const ignoring = record(sim.connect({ ...options, shouldIgnoreJid: isJidStatusBroadcast }));
    await until('open', () => all(ignoring.batches, 'connection.update').some((u) => u.connection === 'open'));
    assert.equal(await sim.receiveStatus('acc'), undefined);
    const live = await sim.receive('acc');
    await until('a live message delivered', () =>
      all(ignoring.batches, 'messages.upsert').some((u) => u.messages[0]?.key.id === live.key.id),
    );
    const upserted = all(ignoring.batches, 'messages.upsert').flatMap((u) => u.messages);
    assert.ok(!upserted.some((m) => m.key.remoteJid === 'status@broadcast'), 'no status reached the events');
  });

  it('refuses a device the phone unlinked (401 on the next login)', async () => {
    const sim = new SimulatedWhatsApp({ seed: 's8', autoPairAfterMs: 10, timings: FAST });
    const { socket, options } = await pairedAndOpen(sim, 'acc');
    await socket.logout();
    const again = record(sim.connect(options));
    assert.equal((await again.closed)?.output.statusCode, DisconnectReason.loggedOut);
  });
});
