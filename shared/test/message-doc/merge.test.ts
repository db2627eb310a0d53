/**
 * `mergeMessageDoc` is a join: the stored document depends only on the set of sightings and
 * updates of a message. Every value here comes from Baileys' own code paths — live stanzas through
 * `decodeMessageNode`, history through `processHistoryMessage`, buffer merges through
 * `makeEventBuffer`, receipts as `handleReceipt` emits them — normalised by `normalizeMessage`.
 */
import assert from 'node:assert/strict';
import { makeEventBuffer, proto, type WAMessage, type WAMessageUpdate } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { mergeFragments, mergeMessageDoc } from '../../src/message-doc/merge.ts';
import type { MessageDocDraft, MessageFragment } from '../../src/message-doc/types.ts';
import { normalizeMessage } from '../../src/normalize/index.ts';
import type { NormalizeOptions } from '../../src/normalize/types.ts';
import { patchFromMessageUpdate } from '../../src/status.ts';
import { historyMessage, liveDm, liveOwnDm, ME, NOW, PEER, SELF, T0, T0_MS } from '../fixtures/wa-messages.ts';
import { permutedChunks } from '../identity/arbitraries.ts';
import { asMessage, asUpdate } from '../normalize/helpers.ts';
import { silentLogger } from '../support/baileys-feed.ts';

const { READ, DELIVERY_ACK, SERVER_ACK } = proto.WebMessageInfo.Status;
const { REVOKE, MESSAGE_EDIT } = proto.Message.ProtocolMessage.Type;
const opts = (source: NormalizeOptions['source']): NormalizeOptions => ({ source, receivedAt: NOW, self: SELF });

const ID = '3EB0F00000000000000042';
/** Stanza attributes of our message to PEER, sent from our phone. */
const own = { id: ID, from: ME.lidDevice, recipient: PEER.lid, addressing_mode: 'lid' };

async function buffered(emit: (ev: ReturnType<typeof makeEventBuffer>) => void): Promise<WAMessage> {
  const ev = makeEventBuffer(silentLogger as never);
  const out: WAMessage[] = [];
  ev.on('messages.upsert', ({ messages }) => out.push(...messages));
  ev.buffer();
  emit(ev);
  await ev.flush();
  assert.equal(out.length, 1);
  return out[0] as WAMessage;
}

const receipt = (status: number, seconds: number): WAMessageUpdate => ({
  key: { remoteJid: PEER.lid, id: ID, fromMe: true },
  update: { status, messageTimestamp: seconds },
});

/** Sightings (documents) and updates (fragments) of one message of ours, all from Baileys. */
async function elements(): Promise<{ docs: MessageDocDraft[]; fragments: MessageFragment[] }> {
  const live = () =>
    liveOwnDm({ conversation: 'hello', messageContextInfo: { messageSecret: new Uint8Array([7, 7]) } }, own);
  const history = historyMessage({
    key: { remoteJid: PEER.pn, fromMe: true, id: ID },
    messageTimestamp: T0,
    status: READ,
    message: { conversation: 'hello' },
    reactions: [{ key: { remoteJid: PEER.pn, fromMe: false, id: 'R0' }, text: '🙂', senderTimestampMs: T0_MS + 1_000 }],
  });
  const stub = historyMessage({
    key: { remoteJid: PEER.pn, fromMe: true, id: ID },
    messageTimestamp: T0,
    messageStubType: proto.WebMessageInfo.StubType.REVOKE,
  });
  const withReceipt = await buffered((ev) => {
    ev.emit('messages.upsert', { messages: [live()], type: 'append' });
    ev.emit('messages.update', [receipt(DELIVERY_ACK, T0 + 60)]);
  });
  const withEdit = await buffered((ev) => {
    const message = live();
    ev.emit('messages.upsert', { messages: [message], type: 'append' });
    ev.emit('messages.update', [
      {
        key: message.key,
        update: { message: { editedMessage: { message: { conversation: 'hello!' } } }, messageTimestamp: T0 + 90 },
      },
    ]);
  });
  const docs = [
    asMessage(normalizeMessage(live(), opts('realtime'))).doc,
    asMessage(normalizeMessage(live(), opts('send'))).doc,
    asMessage(normalizeMessage(history, opts('history'))).doc,
    asMessage(normalizeMessage(withReceipt, opts('realtime'))).doc,
    asMessage(normalizeMessage(withEdit, opts('realtime'))).doc,
  ];
  const editBy = (text: string, ms: number) =>
    liveOwnDm({
      protocolMessage: {
        type: MESSAGE_EDIT,
        key: { remoteJid: PEER.lid, fromMe: true, id: ID },
        timestampMs: ms,
        editedMessage: { conversation: text },
      },
    });
  const reactionBy = (text: string, ms: number) =>
    liveDm({ reactionMessage: { key: { remoteJid: PEER.lid, fromMe: true, id: ID }, text, senderTimestampMs: ms } });
  const fragments = [
    asUpdate(normalizeMessage(editBy('hello!', (T0 + 90) * 1000 + 5), opts('realtime'))).fragment,
    asUpdate(normalizeMessage(editBy('hello!!', (T0 + 95) * 1000), opts('realtime'))).fragment,
    asUpdate(normalizeMessage(reactionBy('👍', T0_MS + 40_000), opts('realtime'))).fragment,
    asUpdate(normalizeMessage(reactionBy('', T0_MS + 50_000), opts('realtime'))).fragment,
    patchFromMessageUpdate(receipt(READ, T0 + 120)) as MessageFragment,
    patchFromMessageUpdate(receipt(DELIVERY_ACK, T0 + 70)) as MessageFragment,
    patchFromMessageUpdate(receipt(SERVER_ACK, T0 + 1)) as MessageFragment,
  ];
  const revoke = asUpdate(
    normalizeMessage(
      liveOwnDm({ protocolMessage: { type: REVOKE, key: { remoteJid: PEER.lid, fromMe: true, id: ID } } }),
      opts('realtime'),
    ),
  ).fragment;
  return { docs: [...docs, asMessage(normalizeMessage(stub, opts('history'))).doc], fragments: [...fragments, revoke] };
}

type Element = { doc: MessageDocDraft } | { fragment: MessageFragment };
interface State {
  doc?: MessageDocDraft;
  pending?: MessageFragment;
}

/** What a writer does: join documents, apply fragments to a stored document or keep them pending. */
function add(state: State, element: Element): State {
  if ('doc' in element) {
    let doc = mergeMessageDoc(state.doc, element.doc);
    if (state.pending) doc = mergeMessageDoc(doc, state.pending);
    return { doc };
  }
  if (state.doc) return { doc: mergeMessageDoc(state.doc, element.fragment) };
  return { pending: state.pending ? mergeFragments(state.pending, element.fragment) : element.fragment };
}

function combine(a: State, b: State): State {
  let state = a;
  if (b.doc) state = add(state, { doc: b.doc });
  if (b.pending) state = add(state, { fragment: b.pending });
  return state;
}

const fold = (elements: readonly Element[]) => elements.reduce(add, {} as State);

describe('message-doc/mergeMessageDoc', () => {
  let docs: MessageDocDraft[];
  let fragments: MessageFragment[];
  before(async () => {
    ({ docs, fragments } = await elements());
  });

  describe('join laws over Baileys-made sightings', () => {
    it('is commutative, associative and idempotent on documents', () => {
      const doc = () => fc.constantFrom(...docs.keys()).map((i) => docs[i] as MessageDocDraft);
      fc.assert(
        fc.property(doc(), doc(), doc(), (a, b, c) => {
          assert.deepEqual(mergeMessageDoc(a, b), mergeMessageDoc(b, a));
          assert.deepEqual(mergeMessageDoc(mergeMessageDoc(a, b), c), mergeMessageDoc(a, mergeMessageDoc(b, c)));
          const ab = mergeMessageDoc(a, b);
          assert.deepEqual(mergeMessageDoc(ab, ab), ab);
          assert.deepEqual(mergeMessageDoc(ab, a), ab);
        }),
      );
    });

    it('is commutative, associative and idempotent on fragments', () => {
      const fragment = () => fc.constantFrom(...fragments.keys()).map((i) => fragments[i] as MessageFragment);
      fc.assert(
        fc.property(fragment(), fragment(), fragment(), (a, b, c) => {
          assert.deepEqual(mergeFragments(a, b), mergeFragments(b, a));
          assert.deepEqual(mergeFragments(mergeFragments(a, b), c), mergeFragments(a, mergeFragments(b, c)));
          assert.deepEqual(mergeFragments(mergeFragments(a, b), a), mergeFragments(a, b));
        }),
      );
    });

    it('gives the same document for any permutation, duplication and chunking of the events', () => {
      const all: Element[] = [...docs.map((doc) => ({ doc })), ...fragments.map((fragment) => ({ fragment }))];
      const withRepeats = fc
        .subarray(all, { minLength: 1 })
        .chain((picked) => fc.tuple(fc.constant(picked), fc.subarray(picked)))
        .filter(([picked]) => picked.some((e) => 'doc' in e))
        .chain(([picked, repeats]) => fc.tuple(fc.constant(picked), permutedChunks([...picked, ...repeats])));
      fc.assert(
        fc.property(withRepeats, ([picked, chunks]) => {
          const expected = fold(picked).doc;
          assert.deepEqual(chunks.map(fold).reduce(combine, {}).doc, expected);
        }),
        { numRuns: 2_000 },
      );
    });
  });

  describe('what the joined document holds', () => {
    const all = (): Element[] => [...docs.map((doc) => ({ doc })), ...fragments.map((fragment) => ({ fragment }))];
    const live = () => docs[0] as MessageDocDraft;

    it('keeps the message’s own time, never a receipt’s or an edit’s', () => {
      // docs[3] carries the buffered receipt's time, docs[4] the buffered edit's.
      assert.equal(docs[3]?.timestamp, (T0 + 60) * 1000);
      assert.equal(docs[4]?.timestamp, (T0 + 90) * 1000);
      assert.equal(mergeMessageDoc(docs[3], live()).timestamp, T0_MS);
      assert.equal(mergeMessageDoc(docs[4], live()).timestamp, T0_MS);
    });

    it('keeps the latest edit by its own time, whatever the order', () => {
      const [older, newer] = [fragments[0] as MessageFragment, fragments[1] as MessageFragment];
      for (const [a, b] of [
        [older, newer],
        [newer, older],
      ]) {
        assert.deepEqual(mergeMessageDoc(mergeMessageDoc(live(), a as MessageFragment), b as MessageFragment).edited, {
          text: 'hello!!',
          at: (T0 + 95) * 1000,
        });
      }
    });

    it('keeps a removal later than the add, so a replayed add cannot bring the reaction back', () => {
      const [add, remove] = [fragments[2] as MessageFragment, fragments[3] as MessageFragment];
      const removedFirst = mergeMessageDoc(mergeMessageDoc(live(), remove), add);
      const addedFirst = mergeMessageDoc(mergeMessageDoc(live(), add), remove);
      assert.deepEqual(removedFirst, addedFirst);
      assert.equal(removedFirst.reactions, undefined);
      assert.deepEqual(removedFirst.reactionTimes, { [PEER.lid]: T0_MS + 50_000 });
    });

    it('never lets a replay turn a live message into a history one', () => {
      assert.equal(mergeMessageDoc(live(), docs[2] as MessageDocDraft).source, 'realtime');
      assert.equal(mergeMessageDoc(docs[2], live()).source, 'realtime');
      assert.equal(mergeMessageDoc(docs[1], live()).source, 'send');
    });

    it('makes the same tombstone however the revoke arrived, dropping content and edits', () => {
      const stub = docs[5] as MessageDocDraft;
      const revoke = fragments.at(-1) as MessageFragment;
      const live = mergeMessageDoc(mergeMessageDoc(docs[0], fragments[0] as MessageFragment), revoke);
      for (const doc of [live, stub, mergeMessageDoc(stub, docs[0] as MessageDocDraft)]) {
        assert.deepEqual(
          [doc.deleted, doc.type, doc.text, doc.edited, doc.pollOptions],
          [true, 'other', null, undefined, undefined],
        );
      }
    });

    it('never puts the messageSecret on the document, and keeps the original text next to an edit', () => {
      // Key material stays server-side (messageContent); the document apps read has no trace of it.
      assert.ok(!JSON.stringify(docs[0]).includes('messageSecret'));
      // docs[4] is the buffered edit (original text unknown); docs[2] the history copy.
      let doc = mergeMessageDoc(docs[4], docs[2] as MessageDocDraft);
      doc = mergeMessageDoc(doc, docs[0] as MessageDocDraft);
      assert.deepEqual([doc.text, doc.edited?.text], ['hello', 'hello!']);
    });

    it('moves status and receipts only forward', () => {
      let doc = live();
      for (const fragment of fragments.slice(4, 7)) doc = mergeMessageDoc(doc, fragment);
      assert.equal(doc.status, 'read');
      assert.deepEqual(doc.receipts, { [PEER.lid]: { deliveredAt: (T0 + 70) * 1000, readAt: (T0 + 120) * 1000 } });
    });

    it('never mutates its inputs', () => {
      const snapshot = structuredClone({ docs, fragments });
      fold(all());
      assert.deepEqual({ docs, fragments }, snapshot);
    });
  });
});
