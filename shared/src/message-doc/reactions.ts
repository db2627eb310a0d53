/**
 * Reactions as a join: per sender, the latest reaction event by its own time wins — an add or a
 * removal (an empty reaction). A removal leaves no emoji in `reactions` but keeps its time in
 * `reactionTimes`, so that replaying an older "add" (a history sync taken before the removal)
 * cannot bring the reaction back. Ties on the time are broken by the emoji (a removal, '', is the
 * smallest), which makes the result independent of the order events arrive in.
 *
 * A sender without a time (`reactionTimes` has no entry) counts as time 0, the oldest; a removal at
 * time 0 is the same as knowing nothing, so it is not stored.
 */
import type { EpochMs } from '../schema.ts';

/** The two reaction fields of a message document. */
export interface ReactionFields {
  reactions?: Record<string, string>;
  reactionTimes?: Record<string, EpochMs>;
}

/** One sender's latest reaction event: its time and emoji ('' for a removal). */
interface ReactionEvent {
  at: EpochMs;
  emoji: string;
}

function later(a: ReactionEvent, b: ReactionEvent): ReactionEvent {
  if (a.at !== b.at) return a.at > b.at ? a : b;
  return a.emoji >= b.emoji ? a : b;
}

function eventsOf(fields: ReactionFields, into: Map<string, ReactionEvent>, rename: (jid: string) => string): void {
  const emojis = fields.reactions ?? {};
  const times = fields.reactionTimes ?? {};
  for (const sender of new Set([...Object.keys(emojis), ...Object.keys(times)])) {
    const event: ReactionEvent = {
      at: Object.hasOwn(times, sender) ? (times[sender] as number) : 0,
      emoji: Object.hasOwn(emojis, sender) ? (emojis[sender] as string) : '',
    };
    const key = rename(sender);
    const current = into.get(key);
    into.set(key, current ? later(current, event) : event);
  }
}

function fieldsOf(events: Map<string, ReactionEvent>): ReactionFields {
  const reactions: Array<[string, string]> = [];
  const reactionTimes: Array<[string, EpochMs]> = [];
  for (const [sender, { at, emoji }] of [...events].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (emoji !== '') reactions.push([sender, emoji]);
    if (at > 0) reactionTimes.push([sender, at]);
  }
  const fields: ReactionFields = {};
  // `fromEntries` defines own properties, so even a sender key `__proto__` stays data.
  if (reactions.length > 0) fields.reactions = Object.fromEntries(reactions);
  if (reactionTimes.length > 0) fields.reactionTimes = Object.fromEntries(reactionTimes);
  return fields;
}

const same = (jid: string) => jid;

/** Join two messages' reactions (per sender, the latest event wins). */
export function mergeReactions(a: ReactionFields, b: ReactionFields): ReactionFields {
  const events = new Map<string, ReactionEvent>();
  eventsOf(a, events, same);
  eventsOf(b, events, same);
  return fieldsOf(events);
}

/** Re-key reactions through `canonical` (a LID mapped to its phone number), joining entries that meet. */
export function canonicalizeReactions(fields: ReactionFields, canonical: (jid: string) => string): ReactionFields {
  const events = new Map<string, ReactionEvent>();
  eventsOf(fields, events, canonical);
  return fieldsOf(events);
}

/** The reaction fields of one reaction event; `emoji` null is a removal. */
export function reactionFragment(sender: string, emoji: string | null, at: EpochMs | null): ReactionFields {
  const events = new Map<string, ReactionEvent>([[sender, { at: at ?? 0, emoji: emoji ?? '' }]]);
  return fieldsOf(events);
}
