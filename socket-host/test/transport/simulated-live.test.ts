/**
 * Live events besides texts, as Baileys emits them from what the simulated WhatsApp delivers:
 * reactions, edits and revokes through processMessage, ephemeral and view-once wrappers, group
 * changes through the port of handleGroupNotification, and traffic at a configured rate.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { proto, WAMessageStubType } from '@whiskeysockets/baileys';
import { SimulatedMediaServer } from '../../src/transport/simulated/media.ts';
import { lidJid } from '../../src/transport/simulated/phone.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { all, FAST, pairedAndOpen, until } from '../support/simulated.ts';

describe('simulated WhatsApp live events', () => {
  it('reacts to, edits and revokes history messages; processMessage emits reaction and updates', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'l1', autoPairAfterMs: 10, timings: FAST });
    const { second } = await pairedAndOpen(sim, 'acc');
    const phone = sim.phone('acc');
    const historyIds = new Set(
      all(second.batches, 'messaging-history.set').flatMap((s) => s.messages.map((m) => m.key.id)),
    );
    await sim.live('acc', 'reaction');
    const [reaction] = await until('reaction', () => all(second.batches, 'messages.reaction')[0]);
    // `key` names the message reacted to, `reaction.key` the reaction itself.
    assert.ok(historyIds.has(reaction!.key.id!), 'reacts to a message the host has');
    const dm = phone.chat(reaction!.key.remoteJid!)!; // LID-addressed even for a chat keyed by phone number
    const target = phone.historyMessage(dm, 0);
    assert.equal(reaction!.key.id, target.key!.id);
    assert.equal(reaction!.key.fromMe, target.key!.fromMe, 'cleanMessage turned the key to our view');
    assert.ok(reaction!.reaction.text);

    const edit = await sim.live('acc', 'edit');
    const edited = await until('edit update', () =>
      all(second.batches, 'messages.update')
        .flat()
        .find((u) => u.update.message?.editedMessage),
    );
    assert.ok(historyIds.has(edited.key.id));
    assert.notEqual(edited.key.id, edit?.key.id, 'the update names the edited message');
    assert.match(edited.update.message?.editedMessage?.message?.conversation ?? '', /\(edited\)$/);

    await sim.live('acc', 'revoke');
    const revoked = await until('revoke update', () =>
      all(second.batches, 'messages.update')
        .flat()
        .find((u) => u.update.messageStubType === WAMessageStubType.REVOKE),
    );
    assert.ok(historyIds.has(revoked.key.id));
    assert.equal(revoked.update.message, null);
  });

  it('wraps ephemeral and view-once content as WhatsApp sends it', async () => {
    const media = await SimulatedMediaServer.start();
    try {
      const sim = new SimulatedWhatsApp({ seed: 'l2', autoPairAfterMs: 10, timings: FAST, media });
      await pairedAndOpen(sim, 'acc');
      const ephemeral = await sim.live('acc', 'ephemeral');
      assert.equal(
        ephemeral?.message?.ephemeralMessage?.message?.extendedTextMessage?.contextInfo?.expiration,
        604_800,
      );
      const viewOnce = await sim.live('acc', 'view-once');
      const image = viewOnce?.message?.viewOnceMessageV2?.message?.imageMessage;
      assert.equal(image?.viewOnce, true);
      assert.ok(image?.directPath && image.mediaKey, 'a published photo');
    } finally {
      await media.close();
    }
  });

  it('sends a voice note from the phone; its recipient’s played receipt follows delivery and read', async () => {
    const media = await SimulatedMediaServer.start();
    try {
      const sim = new SimulatedWhatsApp({
        seed: 'l2b',
        autoPairAfterMs: 10,
        timings: { ...FAST, receiptMs: 60 },
        media,
      });
      const { second } = await pairedAndOpen(sim, 'acc');
      const voice = await sim.live('acc', 'voice');
      assert.equal(voice?.key.fromMe, true);
      assert.equal(voice?.message?.audioMessage?.ptt, true, 'deviceSentMessage unwrapped to the ptt audio');
      const statuses = await until('played', () => {
        const s = all(second.batches, 'messages.update')
          .flat()
          .filter((u) => u.key.id === voice?.key.id)
          .map((u) => u.update.status);
        return s.includes(proto.WebMessageInfo.Status.PLAYED) ? s : undefined;
      });
      // The delivery receipt may fall into the upsert's buffer window and merge into it (Baileys).
      const { READ, PLAYED } = proto.WebMessageInfo.Status;
      assert.deepEqual(statuses.slice(-2), [READ, PLAYED]);
      assert.deepEqual(statuses, [...statuses].sort(), 'in order');
    } finally {
      await media.close();
    }
  });

  it('delivers group changes as append stubs; processMessage emits the participant and subject updates', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'l3', autoPairAfterMs: 10, timings: FAST });
    const { second } = await pairedAndOpen(sim, 'acc');
    const phone = sim.phone('acc');
    const group = phone.chats.find((c) => c.kind === 'group')!;
    const added = await sim.live('acc', 'group-add');
    assert.equal(added?.messageStubType, WAMessageStubType.GROUP_PARTICIPANT_ADD);
    assert.equal(added?.key.remoteJid, group.jid);
    const outsider = phone.contacts.find((c) => !group.members.includes(c))!;
    assert.deepEqual(JSON.parse(added!.messageStubParameters![0]!).id, lidJid(outsider.lid));
    const removed = await sim.live('acc', 'group-remove');
    assert.equal(removed?.messageStubType, WAMessageStubType.GROUP_PARTICIPANT_REMOVE);
    const subject = await sim.live('acc', 'group-subject');
    assert.equal(subject?.messageStubType, WAMessageStubType.GROUP_CHANGE_SUBJECT);
    // The upserts reach `ev.process` when Baileys' buffered function flushes.
    const stubs = await until('three stubs', () => {
      const found = all(second.batches, 'messages.upsert').flatMap((u) =>
        u.messages.filter((m) => m.key.remoteJid === group.jid && m.messageStubType).map((m) => [u.type, m.key.id]),
      );
      return found.length >= 3 ? found : undefined;
    });
    assert.deepEqual(
      stubs,
      [added, removed, subject].map((m) => ['append', m?.key.id]),
    );
    const participants = await until('participants updates', () => {
      const p = all(second.batches, 'group-participants.update');
      return p.length >= 2 ? p : undefined;
    });
    assert.deepEqual(
      participants.map((p) => [p.id, p.action]),
      [
        [group.jid, 'add'],
        [group.jid, 'remove'],
      ],
    );
    const groups = all(second.batches, 'groups.update').flat();
    assert.ok(groups.some((g) => g.id === group.jid && g.subject?.startsWith(group.name)));
  });

  it('generates traffic at the configured rate: live while open, kept for the backlog while not', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'l4', autoPairAfterMs: 10, timings: FAST, trafficPerMinute: 1_200 });
    try {
      const { second, socket } = await pairedAndOpen(sim, 'acc');
      // Traffic mixes messages with reactions, edits and group changes, each decrypted on arrival:
      // wait for three live messages to come out of the socket, however the mix falls.
      const upserted = () =>
        all(second.batches, 'messages.upsert')
          .filter((u) => u.type === 'notify')
          .flatMap((u) => u.messages);
      await until('three live messages', () => (upserted().length >= 3 ? true : undefined), 10_000);
      assert.ok(sim.traffic.counts.live >= 3, `${sim.traffic.counts.live} live events`);
      await socket.end(undefined);
      const kept = sim.traffic.counts.kept;
      const queued = sim.wire('acc').queued;
      await sleep(300);
      assert.ok(sim.traffic.counts.kept > kept, 'kept while closed');
      assert.equal(sim.wire('acc').queued - queued, sim.traffic.counts.kept - kept);
    } finally {
      sim.traffic.stop();
    }
  });

  it('sends no traffic by default', async () => {
    const sim = new SimulatedWhatsApp({ seed: 'l5', autoPairAfterMs: 10, timings: FAST });
    const { second } = await pairedAndOpen(sim, 'acc');
    await sleep(300);
    assert.equal(all(second.batches, 'messages.upsert').filter((u) => u.type === 'notify').length, 0);
    assert.deepEqual(sim.traffic.counts, { live: 0, kept: 0 });
  });
});
