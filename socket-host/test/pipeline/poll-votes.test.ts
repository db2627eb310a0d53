/**
 * Poll votes through the account pipeline: our poll's content (with its secret) goes to the
 * server-only content store, never onto the message document; a vote that arrives later (from a
 * LID-addressed participant) is opened with that secret and lands on the poll as option names; a
 * vote whose poll is unknown is skipped with its reason.
 */
import assert from 'node:assert/strict';
import { paths, threadDocId } from '@wasync/shared';
import { cleanMessage, decodeMessageNode, generateWAMessage, proto } from '@whiskeysockets/baileys';
import { GROUP, ME, PEER } from '../../../shared/test/fixtures/wa-messages.ts';
import { silentLogger } from '../../../shared/test/support/baileys-feed.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { FirestoreMessageContentStore } from '../../src/pipeline/message-content.ts';
import { historyMaps, recentHistoryOf } from '../support/history-gen.ts';
import { encryptPollVote } from '../support/poll-vote.ts';
import { feed, openSync } from '../support/sync.ts';

const NOW = Date.UTC(2025, 0, 1);

describe('poll votes (account pipeline)', function () {
  this.timeout(30_000);

  it('opens a later vote with the poll secret kept server-side, and stores the chosen options', async () => {
    const sync = await openSync({ now: NOW });
    const accountId = sync.writer.accountId;
    const poll = await generateWAMessage(
      GROUP,
      { poll: { name: 'Lunch?', values: ['Pizza', 'Sushi', 'Salad'], selectableCount: 2 } },
      { userJid: ME.device, logger: silentLogger as never, upload: (() => Promise.reject()) as never },
    );
    const secret = poll.message?.messageContextInfo?.messageSecret;
    assert.ok(secret && secret.length === 32);
    // Our own poll, as Baileys upserts a message it just sent (append, PENDING).
    await feed(sync, [{ 'messages.upsert': { messages: [poll], type: 'append' } }], NOW);
    // A participant votes: a stanza from their LID (phone number as alternate), the vote sealed
    // with the JIDs their phone used (phone numbers).
    const stanza = decodeMessageNode(
      {
        tag: 'message',
        attrs: {
          from: GROUP,
          participant: PEER.lid,
          participant_pn: PEER.pn,
          addressing_mode: 'lid',
          id: 'VOTE1',
          t: String(NOW / 1000 + 5),
        },
        content: [],
      },
      ME.pn,
      ME.lid,
    ).fullMessage;
    stanza.message = proto.Message.fromObject({
      pollUpdateMessage: {
        pollCreationMessageKey: { remoteJid: GROUP, fromMe: false, id: poll.key.id, participant: ME.pn },
        vote: encryptPollVote(['Sushi', 'Pizza'], {
          pollCreatorJid: ME.pn,
          pollMsgId: poll.key.id!,
          pollEncKey: secret,
          voterJid: PEER.pn,
        }),
        senderTimestampMs: NOW + 5_000,
      },
    });
    cleanMessage(stanza, ME.device, ME.lidDevice);
    const unknownPoll = structuredClone(stanza);
    unknownPoll.key.id = 'VOTE2';
    unknownPoll.message!.pollUpdateMessage!.pollCreationMessageKey!.id = 'NOPE';
    await feed(sync, [{ 'messages.upsert': { messages: [stanza, unknownPoll], type: 'notify' } }], NOW + 5_000, 2);
    await sync.drain();
    const doc = (
      await testDb()
        .doc(paths.message(accountId, threadDocId(GROUP), `me~${poll.key.id}`))
        .get()
    ).data();
    assert.deepEqual(doc?.pollOptions, ['Pizza', 'Sushi', 'Salad']);
    // The vote's stanza revealed the voter's phone number: keyed by it, as reactions are.
    assert.deepEqual(doc?.pollVotes, { [PEER.pn]: ['Pizza', 'Sushi'] });
    assert.equal(doc?.messageSecret, undefined);
    assert.ok(!JSON.stringify(doc).includes(Buffer.from(secret).toString('base64')));
    const content = await testDb()
      .doc(paths.messageContent(accountId, `me~${poll.key.id}`))
      .get();
    assert.ok(content.exists, 'the poll content (with its secret) is in the server-only store');
    assert.equal(sync.counters.skipped.poll_vote, 1);
    await sync.close('test');
  });

  it('opens a vote that arrives while the history holding its poll is still being imported', async () => {
    // Our poll reached us by history sync (a RECENT chunk after pairing); a participant votes
    // while that chunk is queued or importing — the import of a fresh account takes minutes.
    const sync = await openSync({ now: NOW });
    const accountId = sync.writer.accountId;
    const poll = await generateWAMessage(
      GROUP,
      { poll: { name: 'Dinner?', values: ['Thai', 'Tapas'], selectableCount: 1 } },
      { userJid: ME.device, logger: silentLogger as never, upload: (() => Promise.reject()) as never },
    );
    const secret = poll.message!.messageContextInfo!.messageSecret!;
    const [chunk] = historyMaps([
      recentHistoryOf(GROUP, [
        {
          key: { remoteJid: GROUP, fromMe: true, id: poll.key.id },
          messageTimestamp: NOW / 1000,
          message: poll.message,
        },
      ]),
    ]);
    const vote = decodeMessageNode(
      {
        tag: 'message',
        attrs: { from: GROUP, participant: PEER.pn, id: 'VOTE3', t: String(NOW / 1000 + 5) },
        content: [],
      },
      ME.pn,
      ME.lid,
    ).fullMessage;
    vote.message = proto.Message.fromObject({
      pollUpdateMessage: {
        pollCreationMessageKey: { remoteJid: GROUP, fromMe: false, id: poll.key.id, participant: ME.pn },
        vote: encryptPollVote(['Tapas'], {
          pollCreatorJid: ME.pn,
          pollMsgId: poll.key.id!,
          pollEncKey: secret,
          voterJid: PEER.pn,
        }),
        senderTimestampMs: NOW + 5_000,
      },
    });
    cleanMessage(vote, ME.device, ME.lidDevice);
    await feed(sync, [chunk!, { 'messages.upsert': { messages: [vote], type: 'notify' } }], NOW + 5_000);
    await sync.drain();
    const doc = (
      await testDb()
        .doc(paths.message(accountId, threadDocId(GROUP), `me~${poll.key.id}`))
        .get()
    ).data();
    assert.deepEqual(doc?.pollOptions, ['Thai', 'Tapas']);
    assert.deepEqual(doc?.pollVotes, { [PEER.pn]: ['Tapas'] });
    assert.equal(sync.counters.skipped.poll_vote, undefined);
    await sync.close('test');
  });

  it('opens a vote when reading its poll failed once for a reason that passes', async () => {
    // The poll's secret is read from the content store before the batch is normalised: a
    // transient failure of that read is retried like any other Firestore call, not taken as
    // "poll unknown" (the vote would be skipped for good).
    const db = testDb();
    const store = new FirestoreMessageContentStore(db);
    let failures = 1;
    const contents = {
      put: store.put.bind(store),
      get: (accountId: string, key: Parameters<typeof store.get>[1]) =>
        failures-- > 0
          ? Promise.reject(Object.assign(new Error('14 UNAVAILABLE: read failed (injected)'), { code: 14 }))
          : store.get(accountId, key),
    };
    const sync = await openSync({ now: NOW, contents });
    const poll = await generateWAMessage(
      GROUP,
      { poll: { name: 'Coffee?', values: ['Yes', 'No'], selectableCount: 1 } },
      { userJid: ME.device, logger: silentLogger as never, upload: (() => Promise.reject()) as never },
    );
    await feed(sync, [{ 'messages.upsert': { messages: [poll], type: 'append' } }], NOW);
    const vote = decodeMessageNode(
      {
        tag: 'message',
        attrs: { from: GROUP, participant: PEER.pn, id: 'VOTE4', t: String(NOW / 1000 + 5) },
        content: [],
      },
      ME.pn,
      ME.lid,
    ).fullMessage;
    vote.message = proto.Message.fromObject({
      pollUpdateMessage: {
        pollCreationMessageKey: { remoteJid: GROUP, fromMe: false, id: poll.key.id, participant: ME.pn },
        vote: encryptPollVote(['Yes'], {
          pollCreatorJid: ME.pn,
          pollMsgId: poll.key.id!,
          pollEncKey: poll.message!.messageContextInfo!.messageSecret!,
          voterJid: PEER.pn,
        }),
        senderTimestampMs: NOW + 5_000,
      },
    });
    cleanMessage(vote, ME.device, ME.lidDevice);
    await feed(sync, [{ 'messages.upsert': { messages: [vote], type: 'notify' } }], NOW + 5_000, 2);
    await sync.drain();
    assert.equal(failures, -1, 'the injected failure was met');
    const doc = (
      await db.doc(paths.message(sync.writer.accountId, threadDocId(GROUP), `me~${poll.key.id}`)).get()
    ).data();
    assert.deepEqual(doc?.pollVotes, { [PEER.pn]: ['Yes'] });
    await sync.close('test');
  });
});
