import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AliasResolver } from '../../src/identity/alias-resolver.ts';
import { threadDocId } from '../../src/ids.ts';
import type { LidPnPair } from '../../src/schema.ts';
import { permutedChunks } from './arbitraries.ts';

const LID = '111111111111111@lid';
const LID2 = '222222222222222@lid';
const PN = '4915100000001@s.whatsapp.net';
const PN2 = '4915100000002@s.whatsapp.net';
const GROUP = '120363000000000001@g.us';
const SELF = { pn: '4917099999999@s.whatsapp.net', lid: '99999999999@lid' };

const ref = (jid: string) => ({ threadId: threadDocId(jid), jid });
const exists =
  (...jids: string[]) =>
  (jid: string) =>
    jids.includes(jid);

describe('identity/alias-resolver', () => {
  describe('canonical', () => {
    it('keeps unmapped JIDs, normalised', () => {
      const resolver = new AliasResolver({ self: SELF });
      assert.equal(resolver.canonical(LID), LID);
      assert.equal(resolver.canonical('4915100000001:5@s.whatsapp.net'), PN);
      assert.equal(resolver.canonical('4915100000001@c.us'), PN);
    });

    it('prefers the phone-number JID once a mapping is known, for every spelling of the LID', () => {
      const resolver = new AliasResolver({ self: SELF, pairs: [{ lid: LID, pn: PN }] });
      assert.equal(resolver.canonical(LID), PN);
      assert.equal(resolver.canonical('111111111111111:9@lid'), PN);
      assert.equal(resolver.canonical(PN), PN);
      assert.deepEqual(resolver.aliasesOf(PN), [LID]);
      assert.deepEqual(resolver.aliasesOf(LID), [LID]);
    });

    it('leaves groups, broadcast lists, newsletters, Status and garbage alone', () => {
      const resolver = new AliasResolver({ self: SELF, pairs: [{ lid: LID, pn: PN }] });
      for (const jid of [GROUP, '1600000000@broadcast', '1@newsletter', 'status@broadcast', 'garbage']) {
        assert.equal(resolver.canonical(jid), jid);
        assert.deepEqual(resolver.aliasesOf(jid), []);
      }
    });

    it('picks the smallest plain phone number when one LID maps to several, hosted ones last', () => {
      const resolver = new AliasResolver({
        self: SELF,
        pairs: [
          { lid: LID, pn: PN2 },
          { lid: LID, pn: PN },
          { lid: LID2, pn: '4915100000000@hosted' },
          { lid: LID2, pn: PN2 },
        ],
      });
      for (const jid of [LID, LID2, PN, PN2, '4915100000000@hosted']) assert.equal(resolver.canonical(jid), PN);
      assert.deepEqual(resolver.aliasesOf(PN), [
        '111111111111111@lid',
        '222222222222222@lid',
        '4915100000000@hosted',
        PN2,
      ]);
    });

    it('ignores pairs that link our own JID to someone else', () => {
      const resolver = new AliasResolver({ self: { pn: PN2, lid: LID2 } });
      const change = resolver.add([{ lid: LID2, pn: PN }]);
      // Our own LID and number are one identity from the start; the contact's number stays apart.
      assert.equal(resolver.canonical(LID2), PN2);
      assert.equal(resolver.canonical(PN), PN);
      assert.deepEqual(change.ignored, [{ pair: { lid: LID2, pn: PN }, reason: 'links our own JID to another user' }]);
    });
  });

  describe('add', () => {
    it('reports canonical changes, and nothing when the pair is replayed', () => {
      const resolver = new AliasResolver({ self: SELF });
      const first = resolver.add([{ lid: LID, pn: PN }]);
      assert.deepEqual(first.canonicalChanges, [{ jid: LID, before: LID, after: PN }]);
      const replay = resolver.add([{ lid: '111111111111111:2@lid', pn: PN }]);
      assert.deepEqual(replay, { canonicalChanges: [], merges: [], aliasUpdates: [], ignored: [] });
    });

    it('reports invalid pairs instead of learning them', () => {
      const resolver = new AliasResolver({ self: SELF });
      const change = resolver.add([{ lid: LID, pn: GROUP }, { lid: LID }]);
      assert.equal(change.ignored.length, 2);
      assert.equal(resolver.canonical(LID), LID);
    });

    it('plans merging an existing LID thread into the existing PN thread', () => {
      const change = new AliasResolver({ self: SELF }).add([{ lid: LID, pn: PN }], exists(LID, PN));
      assert.deepEqual(change.merges, [{ survivor: ref(PN), absorbed: ref(LID), aliases: [LID] }]);
      assert.deepEqual(change.aliasUpdates, [{ thread: ref(PN), aliases: [LID] }]);
    });

    it('plans moving a LID thread to its PN thread even when that does not exist yet', () => {
      const change = new AliasResolver({ self: SELF }).add([{ lid: LID, pn: PN }], exists(LID));
      assert.deepEqual(change.merges, [{ survivor: ref(PN), absorbed: ref(LID), aliases: [LID] }]);
      assert.deepEqual(change.aliasUpdates, [{ thread: ref(PN), aliases: [LID] }]);
    });

    it('only updates aliases when the PN thread is the only one', () => {
      const change = new AliasResolver({ self: SELF }).add([{ lid: LID, pn: PN }], exists(PN));
      assert.deepEqual(change.merges, []);
      assert.deepEqual(change.aliasUpdates, [{ thread: ref(PN), aliases: [LID] }]);
    });

    it('plans nothing when no thread exists', () => {
      const change = new AliasResolver({ self: SELF }).add([{ lid: LID, pn: PN }]);
      assert.deepEqual(change.merges, []);
      assert.deepEqual(change.aliasUpdates, []);
    });

    it('absorbs a PN thread into a smaller PN when a LID links them', () => {
      const resolver = new AliasResolver({ self: SELF, pairs: [{ lid: LID, pn: PN2 }] });
      const change = resolver.add([{ lid: LID, pn: PN }], exists(PN, PN2));
      assert.deepEqual(change.canonicalChanges, [
        { jid: LID, before: PN2, after: PN },
        { jid: PN2, before: PN2, after: PN },
      ]);
      assert.deepEqual(change.merges, [{ survivor: ref(PN), absorbed: ref(PN2), aliases: [LID, PN2] }]);
    });
  });

  describe('mergePlansFor', () => {
    it('finds merges left over from persisted pairs, e.g. at start-up', () => {
      const resolver = new AliasResolver({ self: SELF, pairs: [{ lid: LID, pn: PN }] });
      assert.deepEqual(resolver.mergePlansFor([LID, PN, GROUP, LID2]), [
        { survivor: ref(PN), absorbed: ref(LID), aliases: [LID] },
      ]);
      assert.deepEqual(resolver.mergePlansFor([PN, GROUP]), []);
    });
  });

  describe('order independence', () => {
    const lids = ['1@lid', '2@lid', '3@lid', '4@lid', '5@hosted.lid'];
    const pns = ['10@s.whatsapp.net', '20@s.whatsapp.net', '30@s.whatsapp.net', '40@hosted', '50@s.whatsapp.net'];
    const everyJid = [...lids, ...pns, '1:3@lid', '10:7@s.whatsapp.net', '10@c.us', GROUP];
    const pairArb: fc.Arbitrary<LidPnPair> = fc.record({ lid: fc.constantFrom(...lids), pn: fc.constantFrom(...pns) });

    it('gives the same canonical JID and aliases for every JID, whatever the order and chunking', () => {
      fc.assert(
        fc.property(
          fc.array(pairArb, { maxLength: 10 }).chain((pairs) => fc.tuple(fc.constant(pairs), permutedChunks(pairs))),
          ([pairs, chunks]) => {
            const allAtOnce = new AliasResolver({ self: SELF, pairs });
            const inChunks = new AliasResolver({ self: SELF });
            for (const chunk of chunks) inChunks.add(chunk);
            for (const jid of everyJid) {
              assert.equal(inChunks.canonical(jid), allAtOnce.canonical(jid), jid);
              assert.deepEqual(inChunks.aliasesOf(jid), allAtOnce.aliasesOf(jid), jid);
            }
          },
        ),
        { numRuns: 5_000 },
      );
    });

    it('resolves every linked JID to the preferred phone number of its group of pairs', () => {
      fc.assert(
        fc.property(fc.array(pairArb, { maxLength: 10 }), (pairs) => {
          const resolver = new AliasResolver({ self: SELF, pairs });
          for (const { lid, pn } of pairs) {
            const canonical = resolver.canonical(lid);
            assert.equal(resolver.canonical(pn), canonical);
            assert.ok(pns.includes(canonical), canonical);
            assert.ok(!resolver.aliasesOf(canonical).includes(canonical));
          }
        }),
        { numRuns: 5_000 },
      );
    });
  });
});
