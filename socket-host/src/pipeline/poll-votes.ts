/**
 * Opening live poll votes on the host. Baileys 7.0.0-rc14 leaves them encrypted
 * (`pollUpdateMessage`; its own decryption is commented out): a vote is AES-GCM under a key
 * derived from the poll's `messageContextInfo.messageSecret`, the poll's id, and the creator's and
 * voter's JIDs (`decryptPollVote`). The secret is key material, so it never goes on a message
 * document: it is read from the poll's raw content in the server-only content store (or from the
 * poll itself when it is in the same batch).
 *
 * Which JID strings the voter's phone used is not visible (a phone number or a LID, for the
 * creator and the voter alike), so each known form is tried; a wrong one fails the GCM tag at once.
 */
import { chosenOptions, type EncryptedPollVote, messageSecretOf, pollOptionsOf } from '@wasync/shared/normalize';
import {
  decryptPollVote,
  jidNormalizedUser,
  normalizeMessageContent,
  type proto,
  type WAMessage,
  type WAMessageKey,
} from '@whiskeysockets/baileys';
import type { AccountIdentity } from './consumer.ts';
import type { MessageContentStore } from './message-content.ts';

/** A poll's content as stored: what opening its votes needs. */
interface Poll {
  secret: Uint8Array;
  options: string[];
}

/** The poll creation inside a message's content (v1–v5, v4 wrapped), or undefined. */
function pollCreationOf(message: proto.IMessage | null | undefined): proto.Message.IPollCreationMessage | undefined {
  const content = normalizeMessageContent(message);
  if (!content) return undefined;
  const v4 = content.pollCreationMessageV4?.message;
  return (
    content.pollCreationMessage ??
    content.pollCreationMessageV2 ??
    content.pollCreationMessageV3 ??
    content.pollCreationMessageV5 ??
    v4?.pollCreationMessage ??
    v4?.pollCreationMessageV2 ??
    v4?.pollCreationMessageV3 ??
    undefined
  );
}

function pollOf(message: proto.IMessage | null | undefined): Poll | undefined {
  const creation = pollCreationOf(message);
  const secret = messageSecretOf(message as Record<string, unknown> | null);
  if (!creation || !secret) return undefined;
  return { secret, options: pollOptionsOf(creation as Record<string, unknown>) };
}

function voteOf(message: WAMessage): proto.Message.IPollUpdateMessage | undefined {
  return normalizeMessageContent(message.message)?.pollUpdateMessage ?? undefined;
}

function forms(...jids: Array<string | null | undefined>): string[] {
  return [...new Set(jids.filter((j): j is string => !!j).map((j) => jidNormalizedUser(j)))].filter(Boolean);
}

export interface PollVoteDeps {
  accountId: string;
  contents: MessageContentStore;
  me: AccountIdentity;
  /** The other identity (LID ↔ phone number) of a user JID, when a pair is known. */
  alternateOf: (jid: string) => string | undefined;
}

/**
 * A decrypter for the votes among `messages`, with the polls they vote on fetched beforehand
 * (normalisation is synchronous). Undefined when there is no vote.
 */
export async function pollVoteDecrypter(
  messages: readonly WAMessage[],
  deps: PollVoteDeps,
): Promise<((vote: EncryptedPollVote) => string[] | undefined) | undefined> {
  const votes = messages.map(voteOf).filter((v) => v?.pollCreationMessageKey?.id);
  if (votes.length === 0) return undefined;
  const polls = new Map<string, Poll>();
  for (const m of messages) {
    const poll = m.key?.id ? pollOf(m.message) : undefined;
    if (poll && m.key.id) polls.set(m.key.id, poll);
  }
  for (const vote of votes) {
    const key = vote!.pollCreationMessageKey as WAMessageKey;
    if (!key.id || polls.has(key.id)) continue;
    const author = key.participant || key.remoteJid;
    const alternate = author ? deps.alternateOf(jidNormalizedUser(author)) : undefined;
    const lookup: WAMessageKey = key.participant
      ? { ...key, participantAlt: alternate }
      : { ...key, remoteJidAlt: alternate };
    const poll = pollOf(await deps.contents.get(deps.accountId, lookup));
    if (poll) polls.set(key.id, poll);
  }
  const mine = forms(deps.me.id, deps.me.lid);
  return ({ creationKey, voteKey, vote }) => {
    const id = typeof creationKey.id === 'string' ? creationKey.id : undefined;
    const poll = id ? polls.get(id) : undefined;
    if (!id || !poll) return undefined;
    const creatorJid = (creationKey.participant || creationKey.remoteJid) as string | undefined;
    const creators = creationKey.fromMe === true ? mine : forms(creatorJid, creatorJid && deps.alternateOf(creatorJid));
    const voterJid = (voteKey.participant || voteKey.remoteJid) as string | undefined;
    const voterAlt = (voteKey.participantAlt || voteKey.remoteJidAlt) as string | undefined;
    const voters = voteKey.fromMe === true ? mine : forms(voterAlt, voterJid, voterJid && deps.alternateOf(voterJid));
    for (const pollCreatorJid of creators) {
      for (const voterJid of voters) {
        try {
          const opened = decryptPollVote(vote as proto.Message.IPollEncValue, {
            pollCreatorJid,
            pollMsgId: id,
            pollEncKey: poll.secret,
            voterJid,
          });
          return chosenOptions(opened.selectedOptions, poll.options);
        } catch {
          // Not these JIDs (or not this poll): try the next form.
        }
      }
    }
    return undefined;
  };
}
