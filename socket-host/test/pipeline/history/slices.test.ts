/**
 * Cutting a history payload into plans: nothing lost or reordered, the pairs in the first plan,
 * and each name in the first plan that writes its conversation (by its JID or the JID it is
 * paired with), so the thread takes the name in and no name document is written for it.
 */
import assert from 'node:assert/strict';
import type { PlannerEvent } from '@wasync/shared';
import fc from 'fast-check';
import { historySlices } from '../../../src/pipeline/history/slices.ts';

const PEOPLE = Array.from({ length: 6 }, (_, i) => ({
  pn: `4900000000${i}@s.whatsapp.net`,
  lid: `10000000000000${i}@lid`,
}));
const JIDS = PEOPLE.flatMap((p) => [p.pn, p.lid]);

// Only the fields the slicer reads; the planner's own tests use normalised Baileys events.
const message = (chatJid: string, id: number) =>
  ({ kind: 'message', ref: { chatJid, id: `M${id}` }, aliases: [] }) as unknown as PlannerEvent;
const name = (jid: string) => ({ kind: 'name', jid, source: 'push', name: jid, at: 1, receivedAt: 1 }) as PlannerEvent;
const aliases = (person: number) => ({ kind: 'aliases', receivedAt: 1, pairs: [PEOPLE[person]!] }) as PlannerEvent;

const payload = fc
  .tuple(
    fc.array(fc.constantFrom(...JIDS), { maxLength: 40 }),
    fc.array(fc.constantFrom(...JIDS), { maxLength: 12 }),
    fc.uniqueArray(fc.nat(PEOPLE.length - 1), { maxLength: PEOPLE.length }),
  )
  .map(([chats, named, paired]) => [
    ...paired.map(aliases),
    ...chats.map((jid, i) => message(jid, i)),
    ...named.map(name),
  ]);

const chatOf = (e: PlannerEvent) => (e.kind === 'message' ? e.ref.chatJid : undefined);

function conversationOf(jid: string, events: readonly PlannerEvent[]): Set<string> {
  const jids = new Set([jid]);
  for (const e of events) {
    if (e.kind !== 'aliases') continue;
    for (const { lid, pn } of e.pairs) {
      if (lid !== jid && pn !== jid) continue;
      jids.add(lid);
      jids.add(pn);
    }
  }
  return jids;
}

describe('history slices', () => {
  it('keeps every event once and in order, pairs first, each name with the first messages of its conversation', () => {
    fc.assert(
      fc.property(payload, fc.integer({ min: 1, max: 12 }), (events, size) => {
        const slices = historySlices(events, size);
        const flat = slices.flat();
        const others = (list: readonly PlannerEvent[]) => list.filter((e) => e.kind !== 'name' && e.kind !== 'aliases');
        assert.deepEqual(others(flat), others(events), 'messages in their order');
        assert.equal(flat.length, events.length);
        assert.ok(slices.every((s) => s.length > 0));
        for (const [i, slice] of slices.entries())
          for (const e of slice) if (e.kind === 'aliases') assert.equal(i, 0, 'pairs in the first slice');
        const chatsOf = (slice: readonly PlannerEvent[]) =>
          new Set(slice.flatMap((e) => (e.kind === 'message' ? [e.ref.chatJid] : [])));
        for (const [i, slice] of slices.entries()) {
          for (const e of slice) {
            if (e.kind !== 'name') continue;
            const conversation = conversationOf(e.jid, events);
            const hasIt = (s: readonly PlannerEvent[]) => [...chatsOf(s)].some((jid) => conversation.has(jid));
            const first = slices.findIndex(hasIt);
            assert.equal(i, Math.max(first, 0), `${e.jid} in slice ${i}, its conversation first in ${first}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('cuts every `size` events, where a conversation starts when one starts in the second half', () => {
    // Conversations as runs of one chat's messages (a payload lists each conversation's together).
    const runs = fc.array(fc.tuple(fc.constantFrom(...JIDS), fc.integer({ min: 1, max: 9 })), { maxLength: 12 });
    fc.assert(
      fc.property(runs, fc.integer({ min: 1, max: 12 }), (list, size) => {
        let id = 0;
        const events = list.flatMap(([jid, n]) => Array.from({ length: n }, () => message(jid, id++)));
        const slices = historySlices(events, size);
        assert.deepEqual(slices.flat(), events);
        const starts = new Set(events.flatMap((e, i) => (i > 0 && chatOf(e) !== chatOf(events[i - 1]!) ? [i] : [])));
        let at = 0;
        for (const [k, slice] of slices.entries()) {
          assert.ok(slice.length <= size, `slice ${k}: ${slice.length} > ${size}`);
          at += slice.length;
          if (k === slices.length - 1 || starts.has(at)) continue;
          // Cut inside a conversation: only a full slice with no conversation starting in its second half.
          assert.equal(slice.length, size, `slice ${k} cut short inside a conversation`);
          const late = [...starts].filter((s) => s > at - size + size / 2 && s < at);
          assert.deepEqual(late, [], `slice ${k} could have ended where a conversation starts`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives one slice for a payload of names only', () => {
    assert.deepEqual(historySlices([name(JIDS[0]!)], 5), [[name(JIDS[0]!)]]);
    assert.deepEqual(historySlices([], 5), []);
  });
});
