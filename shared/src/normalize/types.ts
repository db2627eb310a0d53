/**
 * Input and output types of message normalisation. See `normalize-message.ts` for the rules.
 */
import type { WAMessage } from '@whiskeysockets/baileys';
import type { EpochMs, LidPnPair, MessageDoc, MessageSource, ThreadKind } from '../schema.ts';

/** A message as Baileys hands it over: `proto.IWebMessageInfo` with the v7 key (`remoteJidAlt`, `participantAlt`). */
export type { WAMessage };

export interface NormalizeOptions {
  /** Where the message came from; stored on the doc and decides the default status of own messages. */
  source: MessageSource;
  /** Clock for the future-timestamp clamp. Default `Date.now()`. */
  now?: EpochMs;
  /**
   * Canonical JID for a chat or sender JID (e.g. LID ↔ PN resolution through the alias table).
   * It is called with the device-free JID (Baileys' `jidNormalizedUser` already applied: no device
   * or agent part, `c.us` → `s.whatsapp.net`); the default returns that as it is.
   * Must return a JID with a user part; anything else makes the message skip as `invalid_key`.
   */
  resolveJid?: (jid: string) => string;
  /** Keep `status@broadcast` (WhatsApp Status) posts as a 'broadcast' thread. Default false. */
  includeStatusBroadcast?: boolean;
  /** Timestamps further than this in the future are clamped to `now`. Default 24 h. */
  maxFutureSkewMs?: number;
  /**
   * Our own JIDs (PN and/or LID, any device). Optional, but without them two things are unknowable
   * from a single message: whether the `remoteJidAlt` of an own DM is the peer's or our own (so such
   * aliases are dropped), and whether an admin revoke in a group targets one of our messages.
   */
  ownJids?: readonly string[];
}

/** A message document as normalisation produces it; the writer adds `updatedAt`. */
export type MessageDocDraft = Omit<MessageDoc, 'updatedAt' | 'accountId'>;

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
  /** An encrypted poll vote; decrypting needs the poll's `messageSecret` and is not done here. */
  'poll_vote',
  /** An in-chat control message the data contract does not model (pin, keep-in-chat, encrypted reaction…). */
  'control',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Flags that explain a deliberate deviation from the raw input. */
export type NormalizeFlag =
  /** `messageTimestamp` was more than `maxFutureSkewMs` ahead of `now` and was replaced by `now`. */
  | 'future_timestamp_clamped'
  /** A view-once message whose media WhatsApp withholds from linked devices: stored as an empty 'other'. */
  | 'view_once_unavailable';

/** Identity of the message an update applies to. */
export interface UpdateTarget {
  /** WhatsApp message id of the target. */
  id: string;
  fromMe: boolean;
  /** Canonical sender of the target; null when fromMe. */
  sender: string | null;
}

/**
 * A change to an existing message. `applyMessageUpdate` is the reference semantics.
 * - `reaction`: set `reactions[reactor] = emoji`, or remove the entry when `emoji` is null.
 *   `reactor` is the canonical JID, or `'me'` (`FROM_ME_SENDER`) for our own reactions.
 * - `edit`: set `edited`; the original `text` stays (apps show `edited.text`).
 * - `revoke`: tombstone — `deleted: true`, `text: null`, drop `media`, `quotedId` and `edited`.
 */
export type MessageUpdatePatch =
  | { op: 'reaction'; reactor: string; emoji: string | null; at: EpochMs | null }
  | { op: 'edit'; edited: { text: string | null; at: EpochMs } }
  | { op: 'revoke'; deleted: true; at: EpochMs | null };

export interface NormalizedMessage {
  kind: 'message';
  threadId: string;
  docId: string;
  /** Canonical chat JID (after `resolveJid`). */
  chatJid: string;
  threadKind: ThreadKind;
  doc: MessageDocDraft;
  /** LID ↔ PN equivalences this message revealed (v7 `remoteJidAlt` / `participantAlt`). */
  aliases: LidPnPair[];
  flags?: NormalizeFlag[];
}

export interface NormalizedUpdate {
  kind: 'update';
  threadId: string;
  chatJid: string;
  targetDocId: string;
  target: UpdateTarget;
  update: MessageUpdatePatch;
  aliases: LidPnPair[];
  flags?: NormalizeFlag[];
}

export interface NormalizedSkip {
  kind: 'skip';
  reason: SkipReason;
  detail?: string;
}

export type NormalizeResult = NormalizedMessage | NormalizedUpdate | NormalizedSkip;
