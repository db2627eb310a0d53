/**
 * The simulated WhatsApp's wire, as a real socket meets it: pre-keys uploaded at first login,
 * every live message Signal-encrypted by its sender and decrypted through the host's key store,
 * the offline backlog as `append`, messages sent from the phone, receipt stanzas read by the port
 * of Baileys' handleReceipt, and a failed decryption answered with a retry receipt and a resend.
 */
import assert from 'node:assert/strict';
import {
  DisconnectReason,
  INITIAL_PREKEY_COUNT,
  proto,
  type WAMessage,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { all, FAST, pairedAndOpen, record, until } from '../support/simulated.ts';

const keysOf = (data: Map<string, unknown>, type: string) => [...data.keys()].filter((k) => k.startsWith(`${type}/`));

describe('simulated WhatsApp wire', () => {
  it('uploads pre-keys at first login like socket.js, and not again at the next login', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'w1', autoPairAfterMs: 10, timings: FAST });
    const { auth, socket, options } = await pairedAndOpen(sim, 'acc');
    assert.equal(sim.wire('acc').preKeys.uploaded, INITIAL_PREKEY_COUNT);
    // All stored; one already used by the phone's first peer message (the app-state key share).
    assert.equal(keysOf(auth.data, 'pre-key').length, INITIAL_PREKEY_COUNT - 1);
    assert.ok(auth.data.has(`session/${sim.phone('acc').identity.lid}_1.0`));
    assert.equal(auth.creds.nextPreKeyId, INITIAL_PREKEY_COUNT + 1);
    assert.equal(auth.creds.firstUnuploadedPreKeyId, INITIAL_PREKEY_COUNT + 1);
    const again = record(socket);
    await socket.end(undefined);
    await again.closed;
    const next = record(sim.connect(options));
    await until('open again', () => all(next.batches, 'connection.update').some((u) => u.receivedPendingNotifications));
    assert.equal(sim.wire('acc').preKeys.uploaded, INITIAL_PREKEY_COUNT, 'the server still holds enough');
  });

  it('decrypts each live message with the Signal session its sender started, writing keys through the store', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'w2', autoPairAfterMs: 10, timings: FAST });
    const { auth } = await pairedAndOpen(sim, 'acc');
    const phone = sim.phone('acc');
    const sessionsBefore = keysOf(auth.data, 'session').length;
    const preKeysBefore = keysOf(auth.data, 'pre-key').length;
    const first = await sim.receive('acc');
    const contact = phone.contacts.find((c) => first.key.remoteJid === `${c.lid}@lid`)!;
    assert.ok(contact, 'a DM from a contact');
    // What the sender encrypted is what Baileys decrypted.
    assert.deepEqual(first.message, proto.Message.fromObject(phone.liveEnvelope(1, 0).message));
    const session = `session/${contact.lid}_1.0`;
    assert.ok(auth.data.has(session), 'the pkmsg started a session in the host store');
    assert.ok(auth.data.has(`identity-key/${contact.lid}_1.0`));
    assert.equal(keysOf(auth.data, 'pre-key').length, preKeysBefore - 1, 'its one-time pre-key consumed');
    const record1 = auth.data.get(session);
    const group = await sim.receive('acc'); // the seed's second message is in a group: sender keys
    assert.match(group.key.remoteJid ?? '', /@g\.us$/);
    assert.ok(group.message?.conversation, 'skmsg decrypted');
    assert.ok(keysOf(auth.data, 'sender-key').length >= 1, 'the sender key distribution was processed');
    // n = 3..6: the sixth message is contact 1's again, on the session the first one started.
    for (let i = 0; i < 4; i++) await sim.receive('acc');
    assert.ok(keysOf(auth.data, 'session').length > sessionsBefore);
    assert.notDeepEqual(auth.data.get(session), record1, 'the ratchet moved: session rewritten per message');
  });

  it('keeps a contact’s sessions valid when the account moves between simulator processes and back', async () => {
    // Two simulators with one seed stand for two host processes: a contact is one device (one
    // identity) in both, each process with its own ratchet; the companion keeps both sessions.
    const a = new SimulatedWhatsApp({ seed: 'w-move', autoPairAfterMs: 10, timings: FAST });
    const { auth, socket, options } = await pairedAndOpen(a, 'acc');
    const phone = a.phone('acc');
    const now = () => Math.floor(Date.now() / 1000);
    const contactOne = (k: number) => phone.liveEnvelope(1 + k * phone.contacts.length * 3, now());
    const ok = (m: WAMessage | undefined) =>
      assert.ok(m?.message?.conversation && !m.messageStubType, JSON.stringify(m));
    ok(await a.socket('acc')!.deliver(contactOne(0)));
    const closing = record(socket);
    await socket.end(undefined);
    await closing.closed;
    const b = new SimulatedWhatsApp({ seed: 'w-move', timings: FAST });
    const inB = record(b.connect(options));
    await until('open in b', () => all(inB.batches, 'connection.update').some((u) => u.receivedPendingNotifications));
    assert.equal(b.wire('acc').preKeys.uploaded, 0, 'the device is adopted, not re-uploaded');
    ok(await b.socket('acc')!.deliver(contactOne(1)));
    await b.socket('acc')!.end(undefined);
    const back = record(a.connect(options));
    await until('open in a again', () =>
      all(back.batches, 'connection.update').some((u) => u.receivedPendingNotifications),
    );
    ok(await a.socket('acc')!.deliver(contactOne(2)));
    assert.ok(auth.data.has(`session/${phone.contacts[1]!.lid}_1.0`));
  });

  it('delivers what arrived while the account was offline as append, inside the login buffer', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'w3', autoPairAfterMs: 10, timings: FAST });
    const { socket, options } = await pairedAndOpen(sim, 'acc');
    const closing = record(socket);
    await sim.disconnect('acc', 428);
    assert.equal((await closing.closed)?.output.statusCode, DisconnectReason.connectionClosed);
    const kept = sim.receiveOffline('acc', 4);
    assert.equal(sim.wire('acc').queued, 4);
    const next = record(sim.connect(options));
    await until('backlog handled', () =>
      all(next.batches, 'connection.update').some((u) => u.receivedPendingNotifications),
    );
    // One flush: the backlog's upserts arrive in the same batch, before receivedPendingNotifications.
    const flushed = next.batches.find((b) => b['messages.upsert'])!;
    const upsert = flushed['messages.upsert']!;
    assert.equal(upsert.type, 'append');
    assert.deepEqual(upsert.messages.map((m) => m.key.id).sort(), kept.map((e) => e.attrs.id).sort());
    assert.ok(upsert.messages.every((m) => m.message?.conversation && !m.messageStubType));
    const order = next.batches.flatMap((b, i) =>
      b['messages.upsert']
        ? [['upsert', i]]
        : b['connection.update']?.receivedPendingNotifications
          ? [['done', i]]
          : [],
    );
    assert.deepEqual(
      order.map(([what]) => what),
      ['upsert', 'done'],
    );
    assert.equal(sim.wire('acc').queued, 0);
  });

  it('keeps an offline message the socket closed before handling for the next login (no ack, no loss)', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'w3b', autoPairAfterMs: 10, timings: FAST });
    const { socket, options } = await pairedAndOpen(sim, 'acc');
    const closing = record(socket);
    await socket.end(undefined);
    await closing.closed;
    const kept = sim.receiveOffline('acc', 3).map((e) => e.attrs.id);
    const wire = sim.wire('acc');
    const seal = wire.seal.bind(wire);
    let offlineSeals = 0;
    wire.seal = async (envelope, to) => {
      // The connection drops while WhatsApp pushes the second one.
      if (envelope.attrs.offline && ++offlineSeals === 2) await sim.socket('acc')!.end(undefined);
      return seal(envelope, to);
    };
    const first = record(sim.connect(options));
    await first.closed;
    assert.equal(wire.queued, 2, 'the second and third are still kept');
    wire.seal = seal;
    const next = record(sim.connect(options));
    await until('backlog handled', () =>
      all(next.batches, 'connection.update').some((u) => u.receivedPendingNotifications),
    );
    const appended = all(next.batches, 'messages.upsert')
      .filter((u) => u.type === 'append')
      .flatMap((u) => u.messages.map((m) => m.key.id));
    assert.deepEqual(appended.sort(), kept.slice(1).sort());
    assert.equal(wire.queued, 0);
  });

  it('upserts messages sent from the phone fromMe, unwrapped from deviceSentMessage, then their receipts', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'w4', autoPairAfterMs: 10, timings: { ...FAST, receiptMs: 150 } });
    const { auth, second } = await pairedAndOpen(sim, 'acc');
    const phone = sim.phone('acc');
    const dm = await sim.sendFromPhone('acc'); // n=1: chats[1], a PN-keyed DM
    assert.equal(dm.key.fromMe, true);
    assert.equal(dm.key.remoteJid, phone.chats[1]!.jid);
    assert.equal(dm.key.remoteJidAlt, `${phone.chats[1]!.members[0]!.lid}@lid`);
    assert.equal(dm.status, proto.WebMessageInfo.Status.SERVER_ACK);
    assert.ok(dm.message?.conversation, 'deviceSentMessage unwrapped');
    assert.equal(dm.message?.deviceSentMessage, null);
    const upsert = await until('notify upsert', () =>
      all(second.batches, 'messages.upsert').find((u) => u.messages.some((m) => m.key.id === dm.key.id)),
    );
    assert.equal(upsert.type, 'notify');
    // The phone's own device: a session at the account's LID.
    assert.ok(auth.data.has(`session/${phone.identity.lid}_1.0`));
    const statuses = await until('delivered and read', () => {
      const s = all(second.batches, 'messages.update')
        .flat()
        .filter((u) => u.key.id === dm.key.id);
      return s.length >= 2 ? s : undefined;
    });
    const user = phone.chats[1]!.jid.split('@')[0];
    assert.deepEqual(
      statuses.map((u) => [u.key.remoteJid, u.update.status]),
      [
        [phone.chats[1]!.jid, proto.WebMessageInfo.Status.DELIVERY_ACK],
        [`${user}:1@s.whatsapp.net`, proto.WebMessageInfo.Status.READ],
      ],
      'the read receipt comes from the device it was read on',
    );
  });

  it('reads receipts of several ids in one stanza, group receipts per member device, and read-self', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'w5', autoPairAfterMs: 10, timings: { ...FAST, receiptMs: 150 } });
    const { socket, second } = await pairedAndOpen(sim, 'acc');
    const phone = sim.phone('acc');
    const to = phone.chats[0]!.jid; // LID-keyed DM
    const sent = [];
    for (const text of ['one', 'two', 'three']) sent.push((await socket.sendMessage(to, { text }))!.key.id!);
    const reads = await until('one read receipt for all three', () =>
      all(second.batches, 'messages.update').find(
        (b) => b.length === 3 && b.every((u) => u.update.status === proto.WebMessageInfo.Status.READ),
      ),
    );
    const [user, server] = to.split('@');
    assert.deepEqual(
      reads.map((u: WAMessageUpdate) => u.key),
      sent.map((id) => ({ remoteJid: `${user}:1@${server}`, id, fromMe: true, participant: undefined })),
    );
    const group = phone.chats.find((c) => c.kind === 'group')!;
    const inGroup = await socket.sendMessage(group.jid, { text: 'all' });
    const receipts = await until('group read receipts', () => {
      const r = all(second.batches, 'message-receipt.update')
        .flat()
        .filter((u) => u.key.id === inGroup!.key.id && u.receipt.readTimestamp);
      return r.length === group.members.length ? r : undefined;
    });
    assert.deepEqual(
      receipts.map((r) => [r.key.participant, r.receipt.userJid]),
      group.members.map((m, i) => [i % 3 === 0 ? `${m.lid}@lid` : `${m.lid}:${i % 3}@lid`, `${m.lid}@lid`]),
      'participant as sent (device-suffixed), userJid normalised',
    );
    let incoming: WAMessage = await sim.receive('acc');
    while (incoming.key.remoteJid?.endsWith('@g.us')) incoming = await sim.receive('acc');
    sim.socket('acc')!.receipts.readOnPhone(incoming.key.remoteJid!, incoming.key.id!);
    const self = await until('read-self', () =>
      all(second.batches, 'messages.update')
        .flat()
        .find((u) => u.key.id === incoming.key.id),
    );
    assert.deepEqual(self.key, {
      remoteJid: incoming.key.remoteJid,
      id: incoming.key.id,
      fromMe: false,
      participant: undefined,
    });
    assert.equal(self.update.status, proto.WebMessageInfo.Status.READ);
  });

  it('answers a failed decryption with a retry receipt; the sender resends and the message replaces its stub', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'w6', autoPairAfterMs: 10, timings: FAST });
    const { second } = await pairedAndOpen(sim, 'acc');
    await sim.receive('acc'); // n=1: a session with contact 1 exists now
    const phone = sim.phone('acc');
    const socket = sim.socket('acc')!;
    const envelope = {
      ...phone.liveEnvelope(1 + phone.contacts.length * 3, Math.floor(Date.now() / 1000)),
      corrupt: true,
    };
    assert.equal(envelope.group, undefined, 'a DM');
    const stub = await socket.deliver(envelope);
    assert.equal(stub?.messageStubType, proto.WebMessageInfo.StubType.CIPHERTEXT);
    assert.match(stub?.messageStubParameters?.[0] ?? '', /Bad MAC|No matching sessions/);
    // Baileys' buffer merges the stub and the resent message when both fall in one flush window;
    // either way the last upsert of the id carries the content.
    const last = await until('the resent message', () =>
      all(second.batches, 'messages.upsert')
        .flatMap((x) => x.messages)
        .filter((m) => m.key.id === envelope.attrs.id)
        .find((m) => m.message?.conversation),
    );
    assert.deepEqual(last.message, proto.Message.fromObject(envelope.message));
    assert.equal(sim.wire('acc').resent, 1);
  });
});
