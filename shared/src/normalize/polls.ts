/**
 * Polls: the options of a poll creation, and votes — as the poll's option names, never the
 * SHA-256 hashes WhatsApp sends (`PollVoteMessage.selectedOptions`).
 *
 * Votes arrive two ways:
 * - live, as an encrypted `pollUpdateMessage` that only the poll's `messageSecret` opens. Baileys
 *   7.0.0-rc14 does not decrypt them; the socket host does (it keeps the secret server-side) and
 *   hands normalisation a `PollVoteDecrypter`;
 * - in history, already decrypted, embedded in the poll itself (`WebMessageInfo.pollUpdates`).
 */
import { createHash } from 'node:crypto';
import { normalizeJid } from '../identity/jid.ts';
import { type SelfIdentity, selfJid } from '../identity/self.ts';
import { mergePollVotes, type PollVoteFields, pollVoteFragment } from '../message-doc/poll-votes.ts';
import { epochMsFromMillis } from '../time.ts';
import { asFields, type Fields, nonEmptyString } from './fields.ts';

/** What the host needs to open one live vote. Keys are Baileys' (the creation key in our perspective). */
export interface EncryptedPollVote {
  /** `pollUpdateMessage.pollCreationMessageKey`, after Baileys' `cleanMessage`. */
  creationKey: Fields;
  /** The vote message's own key (with its LID/PN alternates). */
  voteKey: Fields;
  /** `pollUpdateMessage.vote`: `{ encPayload, encIv }`. */
  vote: Fields;
}

/** Decrypts a live vote into the option names chosen; undefined when it cannot (poll or secret unknown). */
export type PollVoteDecrypter = (vote: EncryptedPollVote) => string[] | undefined;

/** A poll creation's option names, in order. */
export function pollOptionsOf(poll: Fields): string[] {
  if (!Array.isArray(poll.options)) return [];
  return poll.options.map((option) => nonEmptyString(asFields(option)?.optionName)).filter((n) => n !== null);
}

function hashOf(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/**
 * The option names whose SHA-256 is among `selected` (bytes), in the poll's order. A hash that
 * matches no option (an option list we do not have) is left out.
 */
export function chosenOptions(selected: unknown, options: readonly string[]): string[] {
  if (!Array.isArray(selected)) return [];
  const hashes = new Set(
    selected.flatMap((hash) =>
      hash instanceof Uint8Array ? [Buffer.from(hash).toString('hex')] : typeof hash === 'string' ? [hash] : [],
    ),
  );
  return options.filter((name) => hashes.has(hashOf(name)));
}

/**
 * Votes embedded in a history poll (`pollUpdates[]`): each entry's key is the vote message's own
 * key, so its author is the voter — us when fromMe, else the participant (groups) or the chat.
 */
export function embeddedPollVotes(
  pollUpdates: unknown,
  options: readonly string[],
  self: SelfIdentity,
): PollVoteFields | undefined {
  if (!Array.isArray(pollUpdates) || pollUpdates.length === 0) return undefined;
  let fields: PollVoteFields = {};
  for (const item of pollUpdates) {
    const update = asFields(item);
    const key = asFields(update?.pollUpdateMessageKey);
    if (!update || !key) continue;
    let voter: string | undefined = selfJid(self);
    if (key.fromMe !== true) {
      const author = nonEmptyString(key.participant) ?? nonEmptyString(key.remoteJid);
      voter = author ? normalizeJid(author) : undefined;
    }
    if (!voter) continue;
    const chosen = chosenOptions(asFields(update.vote)?.selectedOptions, options);
    const at = epochMsFromMillis(update.senderTimestampMs) ?? null;
    fields = mergePollVotes(fields, pollVoteFragment(voter, chosen, at));
  }
  return fields.pollVotes || fields.pollVoteTimes ? fields : undefined;
}
