/**
 * Input and output types of message normalisation. See `normalize-message.ts` for the rules.
 *
 * Normalisation does not resolve LID ↔ phone-number aliases: it reports JIDs as seen (without
 * device parts) and the aliases each message reveals, and the write planner resolves them with
 * everything it knows — including the aliases revealed by the same batch. A doc id that depended on
 * what a resolver knew when one message was normalised would differ between a live event and a
 * history replay of the same message.
 */
import type { WAMessage } from '@whiskeysockets/baileys';
import type { SelfIdentity } from '../identity/self.ts';
import type { MessageDocDraft, MessageFragment } from '../message-doc/types.ts';
import type { EpochMs, LidPnPair, MessageSource, PendingUpdateTarget } from '../schema.ts';
import type { PollVoteDecrypter } from './polls.ts';

/** A message as Baileys hands it over: `proto.IWebMessageInfo` with the v7 key (`remoteJidAlt`, `participantAlt`). */
export type { MessageDocDraft, MessageFragment, WAMessage };

export interface NormalizeOptions {
  /** Where the message came from; stored on the doc and decides the default status of own messages. */
  source: MessageSource;
  /**
   * When the event carrying the message was received (for history: stored with the raw history
   * chunk). Times more than `maxFutureSkewMs` after it are clamped to it. Carried with the event,
   * never "now", so that replaying the event gives the same document.
   */
  receivedAt: EpochMs;
  /**
   * Who we are. Needed to key our own reactions by our JID, to tell whether the `remoteJidAlt` of
   * an own DM is the peer's or our own, and whether an admin revoke in a group targets our message.
   */
  self: SelfIdentity;
  /** Keep `status@broadcast` (WhatsApp Status) posts as a 'broadcast' thread. Default false. */
  includeStatusBroadcast?: boolean;
  /** Timestamps further than this after `receivedAt` are clamped to it. Default 24 h. */
  maxFutureSkewMs?: number;
  /** Opens live poll votes (the host, which holds the polls' secrets); without it votes are skipped. */
  decryptPollVote?: PollVoteDecrypter;
}

/**
 * Which message something is, as seen: WhatsApp ids are unique per sender, so a message is its
 * chat, whether it is ours, its sender and its id. JIDs are device-free but not alias-resolved
 * (a DM may be under its LID or its phone number); the planner resolves them, and stores the
 * resolved ref as a pending update's target — the same shape.
 */
export type MessageRef = PendingUpdateTarget;

/** Why a message produced neither a document nor an update. Logged by the ingest pipeline (I8). */
export const SKIP_REASONS = [
  /** Not a message object at all, an unusable timestamp, or normalisation failed unexpectedly. */
  'malformed',
  /** Key without a usable id / chat JID / group participant, or a chat server we do not model. */
  'invalid_key',
  /** Decryption failed or content is absent (`CIPHERTEXT` stub); the real content arrives later. */
  'ciphertext_placeholder',
  /** A WhatsApp Status post and `includeStatusBroadcast` is off. */
  'status_broadcast',
  /** Protocol message that is not a chat message (history-sync notice, key share, PDO, settings…). */
  'protocol',
  /** Only a `senderKeyDistributionMessage`: group key material, no content. */
  'sender_key_only',
  /** No content and nothing else that makes it a message. */
  'no_content',
  /** Group / community system event (subject change, participant added…). */
  'group_stub',
  /** Any other content-less stub (missed call, security-code change, business notices…). */
  'stub',
  /** An encrypted poll vote that could not be opened (its poll or the poll's secret is unknown). */
  'poll_vote',
  /** The phone deleted or cleared a whole chat (`chats.delete`, a clear): the mirror keeps it. */
  'chat_deleted',
  /** An in-chat control message the data contract does not model (pin, keep-in-chat, encrypted reaction…). */
  'control',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Flags that explain a deliberate deviation from the raw input. */
export type NormalizeFlag =
  /** `messageTimestamp` was more than `maxFutureSkewMs` after `receivedAt` and was replaced by it. */
  | 'future_timestamp_clamped'
  /** A view-once message whose media WhatsApp withholds from linked devices: stored as an empty 'other'. */
  | 'view_once_unavailable'
  /**
   * Baileys' event buffer merged the message's own edit into it (`message = {editedMessage}`,
   * `messageTimestamp` = the edit's time): stored as the message with the edit applied, its original
   * text unknown and its time an upper bound until another sighting brings the real ones.
   */
  | 'buffered_edit'
  /**
   * Baileys' event buffer merged a receipt into the message (`status` and `messageTimestamp` are the
   * receipt's): the receipt is recorded as one, and the time is only an upper bound of the message's.
   */
  | 'buffered_receipt';

/** A message to store (or to join with what is stored about it). */
export interface NormalizedMessage {
  kind: 'message';
  /** The event's receive time (`NormalizeOptions.receivedAt`): when its aliases were learned. */
  receivedAt: EpochMs;
  ref: MessageRef;
  /** The document; `sender`, receipt and reaction keys are JIDs as seen. */
  doc: MessageDocDraft;
  /** LID ↔ PN equivalences this message revealed (v7 `remoteJidAlt` / `participantAlt`). */
  aliases: LidPnPair[];
  flags?: NormalizeFlag[];
}

/**
 * A change to another message (reaction, edit, revoke, receipt): a fragment joined into the
 * target's document with `mergeMessageDoc`, or kept pending until the target is stored.
 */
export interface NormalizedUpdate {
  kind: 'update';
  receivedAt: EpochMs;
  target: MessageRef;
  fragment: MessageFragment;
  aliases: LidPnPair[];
  flags?: NormalizeFlag[];
}

export interface NormalizedSkip {
  kind: 'skip';
  reason: SkipReason;
  detail?: string;
}

export type NormalizeResult = NormalizedMessage | NormalizedUpdate | NormalizedSkip;
