/**
 * Poll votes as a join, like reactions (`reactions.ts`): per voter, the latest vote by its own
 * time wins — a choice of options, or a retraction (no option). A retraction leaves no entry in
 * `pollVotes` but keeps its time in `pollVoteTimes`, so an older vote replayed later loses. Ties on
 * the time are broken by the choice itself (as text), which makes the result order-independent.
 */
import type { EpochMs } from '../schema.ts';

/** The two vote fields of a message document. */
export interface PollVoteFields {
  pollVotes?: Record<string, string[]>;
  pollVoteTimes?: Record<string, EpochMs>;
}

interface Vote {
  at: EpochMs;
  options: string[];
}

function later(a: Vote, b: Vote): Vote {
  if (a.at !== b.at) return a.at > b.at ? a : b;
  return JSON.stringify(a.options) >= JSON.stringify(b.options) ? a : b;
}

function votesOf(fields: PollVoteFields, into: Map<string, Vote>, rename: (jid: string) => string): void {
  const votes = fields.pollVotes ?? {};
  const times = fields.pollVoteTimes ?? {};
  for (const voter of new Set([...Object.keys(votes), ...Object.keys(times)])) {
    const vote: Vote = {
      at: Object.hasOwn(times, voter) ? (times[voter] as number) : 0,
      options: Object.hasOwn(votes, voter) ? [...(votes[voter] as string[])] : [],
    };
    const key = rename(voter);
    const current = into.get(key);
    into.set(key, current ? later(current, vote) : vote);
  }
}

function fieldsOf(votes: Map<string, Vote>): PollVoteFields {
  const chosen: Array<[string, string[]]> = [];
  const times: Array<[string, EpochMs]> = [];
  for (const [voter, { at, options }] of [...votes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (options.length > 0) chosen.push([voter, options]);
    if (at > 0) times.push([voter, at]);
  }
  const fields: PollVoteFields = {};
  if (chosen.length > 0) fields.pollVotes = Object.fromEntries(chosen);
  if (times.length > 0) fields.pollVoteTimes = Object.fromEntries(times);
  return fields;
}

const same = (jid: string) => jid;

/** Join two messages' votes (per voter, the latest vote wins). */
export function mergePollVotes(a: PollVoteFields, b: PollVoteFields): PollVoteFields {
  const votes = new Map<string, Vote>();
  votesOf(a, votes, same);
  votesOf(b, votes, same);
  return fieldsOf(votes);
}

/** Re-key votes through `canonical` (a LID mapped to its phone number), joining entries that meet. */
export function canonicalizePollVotes(fields: PollVoteFields, canonical: (jid: string) => string): PollVoteFields {
  const votes = new Map<string, Vote>();
  votesOf(fields, votes, canonical);
  return fieldsOf(votes);
}

/** The vote fields of one vote; no options is a retraction. Options are kept in the poll's order. */
export function pollVoteFragment(voter: string, options: readonly string[], at: EpochMs | null): PollVoteFields {
  return fieldsOf(new Map([[voter, { at: at ?? 0, options: [...options] }]]));
}
