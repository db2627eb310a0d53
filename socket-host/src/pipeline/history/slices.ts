/**
 * How a history payload is cut into plans of at most `size` events (`conversationSlices`): every
 * LID ↔ PN pair in the first (so every event of the payload resolves with the same aliases), every
 * name in the first slice that holds a message of its conversation — the slice whose plan creates
 * or updates that thread, which then takes the name in without a write of its own
 * (`planner/names.ts`) — and a name of a JID without messages here (a group member, a contact
 * never written to) in the first.
 *
 * Names come after the messages in a normalised payload (Baileys lists contacts after them). Left
 * at the end, every thread whose messages filled the earlier slices was written without its name
 * and once more with it; put in the first slice, every such thread's name was written to a name
 * document and deleted again once the thread's messages came (80 extra writes in 20,000 messages
 * over 200 threads).
 */
import type { PlannerEvent } from '@wasync/shared';

/** Every JID linked to another by the payload's pairs (a LID and its phone number, both ways). */
function linkedJids(events: readonly PlannerEvent[]): Map<string, string[]> {
  const linked = new Map<string, string[]>();
  const link = (a: string, b: string) => linked.set(a, [...(linked.get(a) ?? []), b]);
  for (const event of events) {
    const pairs = event.kind === 'aliases' ? event.pairs : event.kind === 'message' ? event.aliases : [];
    for (const { lid, pn } of pairs) {
      link(lid, pn);
      link(pn, lid);
    }
  }
  return linked;
}

/**
 * `events` cut every `size` events, but where a conversation starts when one starts in the second
 * half of the slice: the plan of a conversation's second half reads the thread the first half's
 * plan writes, so, planned while that one commits, it is planned again once it landed.
 */
function conversationSlices(events: readonly PlannerEvent[], size: number): PlannerEvent[][] {
  const slices: PlannerEvent[][] = [];
  let start = 0;
  /** Where the last conversation that began inside the current slice began. */
  let lastStart = 0;
  let chat: string | undefined;
  for (const [i, event] of events.entries()) {
    const next = event.kind === 'message' ? event.ref.chatJid : chat;
    if (next !== chat && i > start) lastStart = i;
    chat = next;
    if (i - start < size) continue;
    // events[i] would overflow the slice: end it where a conversation starts, if late enough.
    const cut = lastStart - start > size / 2 ? lastStart : i;
    slices.push(events.slice(start, cut));
    start = cut;
  }
  if (start < events.length) slices.push(events.slice(start));
  return slices;
}

export function historySlices(events: readonly PlannerEvent[], size: number): PlannerEvent[][] {
  const pairs = events.filter((e) => e.kind === 'aliases');
  const names = events.filter((e) => e.kind === 'name');
  const rest = events.filter((e) => e.kind !== 'aliases' && e.kind !== 'name');
  const slices = conversationSlices(rest, size);
  if (slices.length === 0) slices.push([]);
  // The first slice holding a message of each chat JID.
  const firstSlice = new Map<string, number>();
  for (const [i, slice] of slices.entries()) {
    for (const event of slice) {
      if (event.kind === 'message' && !firstSlice.has(event.ref.chatJid)) firstSlice.set(event.ref.chatJid, i);
    }
  }
  const linked = linkedJids(events);
  const leading: PlannerEvent[][] = slices.map(() => []);
  for (const name of names) {
    const found = [name.jid, ...(linked.get(name.jid) ?? [])].flatMap((jid) => firstSlice.get(jid) ?? []);
    // No message of its conversation here: the first slice.
    leading[found.length > 0 ? Math.min(...found) : 0]!.push(name);
  }
  leading[0]!.unshift(...pairs);
  return slices.map((slice, i) => [...leading[i]!, ...slice]).filter((s) => s.length > 0);
}
