/**
 * Polls, "delete for me" and names, from what Baileys emits: poll options on the poll, votes
 * embedded in history polls and live votes opened by the host's decrypter, as joins per voter;
 * `messages.delete` as a tombstone; whole-chat deletions kept and reported; names from contacts
 * and group events.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mergeMessageDoc } from '../../src/message-doc/merge.ts';
import { normalizeBaileysEvents } from '../../src/normalize/index.ts';
import type { EncryptedPollVote } from '../../src/normalize/polls.ts';
import type { NormalizedMessage, NormalizedUpdate } from '../../src/normalize/types.ts';
import type { MessageDoc } from '../../src/schema.ts';
import { GROUP, historyMessage, liveDm, liveGroup, ME, NOW, PEER, SELF, T0, T0_MS } from '../fixtures/wa-messages.ts';

const sha = (name: string) => createHash('sha256').update(name).digest();
const POLL = { name: 'Lunch?', options: [{ optionName: 'Pizza' }, { optionName: 'Sushi' }, { optionName: 'Salad' }] };

function batch(
  events: Parameters<typeof normalizeBaileysEvents>[0],
  decryptPollVote?: (v: EncryptedPollVote) => string[] | undefined,
) {
  return normalizeBaileysEvents(events, {
    self: SELF,
    receivedAt: NOW,
    ...(decryptPollVote ? { decryptPollVote } : {}),
  });
}

describe('normalize: polls, deletions, names', () => {
  it('keeps a poll’s options, and the votes history embeds in it as option names per voter', () => {
    const poll = historyMessage({
      key: { remoteJid: GROUP, fromMe: true, id: 'POLL1' },
      messageTimestamp: T0,
      message: { pollCreationMessageV3: POLL },
      pollUpdates: [
        {
          pollUpdateMessageKey: { remoteJid: GROUP, fromMe: false, id: 'V1', participant: PEER.lid },
          vote: { selectedOptions: [sha('Sushi'), sha('Pizza')] },
          senderTimestampMs: T0_MS + 5_000,
        },
        {
          pollUpdateMessageKey: { remoteJid: GROUP, fromMe: true, id: 'V2' },
          vote: { selectedOptions: [sha('Salad')] },
          senderTimestampMs: T0_MS + 6_000,
        },
      ],
    });
    const [message] = batch({
      'messaging-history.set': { chats: [], contacts: [], messages: [poll], syncType: 3 },
    }).events;
    const doc = (message as NormalizedMessage).doc;
    assert.deepEqual(doc.pollOptions, ['Pizza', 'Sushi', 'Salad']);
    assert.deepEqual(doc.pollVotes, { [PEER.lid]: ['Pizza', 'Sushi'], [ME.pn]: ['Salad'] });
    assert.deepEqual(doc.pollVoteTimes, { [PEER.lid]: T0_MS + 5_000, [ME.pn]: T0_MS + 6_000 });
  });

  it('turns a live vote into an update of the poll when the host can open it, and skips it when not', () => {
    const vote = liveGroup({
      pollUpdateMessage: {
        pollCreationMessageKey: { remoteJid: GROUP, fromMe: true, id: 'POLL1' },
        vote: { encPayload: new Uint8Array([1]), encIv: new Uint8Array([2]) },
        senderTimestampMs: T0_MS + 9_000,
      },
    });
    const seen: EncryptedPollVote[] = [];
    const opened = batch({ 'messages.upsert': { messages: [vote], type: 'notify' } }, (v) => {
      seen.push(v);
      return ['Sushi'];
    });
    const update = opened.events[0] as NormalizedUpdate;
    assert.equal(update.kind, 'update');
    assert.deepEqual(update.target, { chatJid: GROUP, threadKind: 'group', id: 'POLL1', fromMe: true, sender: null });
    assert.deepEqual(update.fragment, {
      pollVotes: { [PEER.lid]: ['Sushi'] },
      pollVoteTimes: { [PEER.lid]: T0_MS + 9_000 },
    });
    assert.equal(seen[0]?.voteKey.participantAlt, PEER.pn, 'the decrypter gets the vote key with its alternate');
    const closed = batch({ 'messages.upsert': { messages: [vote], type: 'notify' } }, () => undefined);
    assert.deepEqual(closed.events, []);
    assert.deepEqual(
      closed.skipped.map((s) => s.reason),
      ['poll_vote'],
    );
  });

  it('joins votes per voter: the latest wins, a retraction included, in any order', () => {
    const base: MessageDoc = {
      accountId: 'a',
      id: 'P',
      threadId: 't',
      fromMe: true,
      sender: null,
      timestamp: 1,
      type: 'poll',
      text: 'q',
      status: 'read',
      source: 'realtime',
      updatedAt: 1,
    };
    const first = { pollVotes: { x: ['A'] }, pollVoteTimes: { x: 10 } };
    const retract = { pollVoteTimes: { x: 20 } };
    const a = mergeMessageDoc(mergeMessageDoc(base, first), retract);
    const b = mergeMessageDoc(mergeMessageDoc(base, retract), first);
    assert.deepEqual(a, b);
    assert.deepEqual([a.pollVotes, a.pollVoteTimes], [undefined, { x: 20 }]);
  });

  it('makes "delete for me" a tombstone update and keeps chats deleted or cleared on the phone', () => {
    const { events, skipped } = batch({
      'messages.delete': {
        keys: [
          { remoteJid: PEER.pn, id: 'M1', fromMe: false },
          { remoteJid: GROUP, id: 'M2', fromMe: false },
        ],
      },
      'chats.delete': [PEER.pn],
    });
    assert.deepEqual(events, [
      {
        kind: 'update',
        receivedAt: NOW,
        target: { chatJid: PEER.pn, threadKind: 'dm', id: 'M1', fromMe: false, sender: PEER.pn },
        fragment: { deleted: true },
        aliases: [],
      },
    ]);
    assert.deepEqual(skipped.map((s) => s.reason).sort(), ['chat_deleted', 'invalid_key']);
    const cleared = batch({ 'messages.delete': { jid: PEER.pn, all: true } });
    assert.deepEqual(
      cleared.skipped.map((s) => s.reason),
      ['chat_deleted'],
    );
  });

  it('reads names from contacts, push names, verified names and group subjects, never ours', () => {
    const { events } = batch({
      'contacts.upsert': [
        { id: PEER.lid, name: 'Ana', notify: 'Ana P', verifiedName: 'Ana Ltd' },
        { id: ME.pn, notify: 'Me' },
      ],
      'groups.update': [{ id: GROUP, subject: 'Team' }],
      'messages.upsert': { messages: [liveDm({ conversation: 'hi' })], type: 'notify' },
    });
    const names = events.filter((e) => e.kind === 'name').map((e) => e.kind === 'name' && [e.jid, e.source, e.name]);
    assert.deepEqual(names, [
      [PEER.lid, 'contact', 'Ana'],
      [PEER.lid, 'push', 'Ana P'],
      [PEER.lid, 'verified', 'Ana Ltd'],
      [GROUP, 'subject', 'Team'],
    ]);
  });
});
