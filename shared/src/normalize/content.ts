/**
 * What a (already unwrapped) message content *is*: contract type, display text, media metadata and
 * the quoted message id. Reads only metadata — nothing is downloaded.
 *
 * Text per type:
 * - text: `conversation` / `extendedTextMessage.text`; button, list and template replies are the
 *   user's chosen answer, so they count as text too.
 * - image / video / document: the caption (documents keep their name in `media.fileName`).
 * - audio / sticker: null.
 * - location: "name, address" of a shared place; else its comment; else the coordinates as
 *   "lat, lng" (6 decimals, ~10 cm) so a dropped pin is not an empty message. The contract has no
 *   geo field, so the coordinates survive only this way. Live location: caption, else coordinates.
 * - contact: the card's display name; several cards: the array's display name, else the names
 *   joined with ", ". vCards are not stored (no contract field, can be large).
 * - poll (creation v1/v2/v3/v5, and the wrapped v4): the question, and the options (`pollOptions`).
 * - other: the first plain text field we know (`text`, `caption`, `name`, `title`, …) or null.
 * Empty strings become null: the contract's "no text" is null.
 */
import type { MediaInfo, MessageDoc, MessageType } from '../schema.ts';
import { asFields, type Fields, nonEmptyString as text } from './fields.ts';
import { pollOptionsOf } from './polls.ts';
import { countValue } from './timestamps.ts';

/** The content fields of a message document. */
export type ContentSummary = Pick<MessageDoc, 'type' | 'text' | 'media' | 'quotedId' | 'pollOptions'>;

const POLL_TYPES = new Set([
  'pollCreationMessage',
  'pollCreationMessageV2',
  'pollCreationMessageV3',
  'pollCreationMessageV5',
]);

/** Text-bearing fields tried, in order, for content types without a dedicated rule. */
const FALLBACK_TEXT_FIELDS = ['text', 'caption', 'name', 'title', 'description', 'selectedDisplayText', 'contentText'];

function positive(value: unknown): number | null {
  const n = countValue(value);
  return n !== null && n > 0 ? n : null;
}

function finiteNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Media metadata from any media content entry; optional fields only when the proto has them. */
function mediaInfo(m: Fields): MediaInfo {
  const media: MediaInfo = { mimetype: text(m.mimetype), fileLength: countValue(m.fileLength) };
  const fileName = text(m.fileName);
  if (fileName !== null) media.fileName = fileName;
  const seconds = positive(m.seconds);
  if (seconds !== null) media.seconds = seconds;
  const width = positive(m.width);
  if (width !== null) media.width = width;
  const height = positive(m.height);
  if (height !== null) media.height = height;
  return media;
}

function coordinates(m: Fields): string | null {
  const lat = finiteNumber(m.degreesLatitude);
  const lng = finiteNumber(m.degreesLongitude);
  return lat === null || lng === null ? null : `${lat.toFixed(6)}, ${lng.toFixed(6)}`;
}

function locationText(m: Fields): string | null {
  const name = text(m.name);
  const address = text(m.address);
  if (name !== null && address !== null) return `${name}, ${address}`;
  return name ?? address ?? text(m.comment) ?? coordinates(m);
}

function contactsText(m: Fields): string | null {
  const own = text(m.displayName);
  if (own !== null || !Array.isArray(m.contacts)) return own;
  const names: string[] = [];
  for (const card of m.contacts) {
    const name = text(asFields(card)?.displayName);
    if (name !== null) names.push(name);
  }
  return names.length > 0 ? names.join(', ') : null;
}

function fallbackText(m: Fields): string | null {
  for (const field of FALLBACK_TEXT_FIELDS) {
    const value = text(m[field]);
    if (value !== null) return value;
  }
  return null;
}

/** The first poll creation inside a `FutureProofMessage` wrapper (poll v4), if any. */
function wrappedPoll(m: Fields): Fields | null {
  const inner = asFields(m.message);
  if (!inner) return null;
  for (const type of POLL_TYPES) {
    const poll = asFields(inner[type]);
    if (poll) return poll;
  }
  return null;
}

function summary(type: MessageType, textValue: string | null, m: Fields | null, media?: MediaInfo): ContentSummary {
  const result: ContentSummary = { type, text: textValue };
  if (media) result.media = media;
  const quotedId = m ? text(asFields(m.contextInfo)?.stanzaId) : null;
  if (quotedId !== null) result.quotedId = quotedId;
  return result;
}

function pollSummary(poll: Fields): ContentSummary {
  const result = summary('poll', text(poll.name), poll);
  const options = pollOptionsOf(poll);
  if (options.length > 0) result.pollOptions = options;
  return result;
}

/**
 * Describe unwrapped content. `contentType` is Baileys' `getContentType` of it, which is never a
 * wrapper because the content went through `normalizeMessageContent` / `extractMessageContent`.
 */
export function describeContent(content: Fields, contentType: string): ContentSummary {
  const value = content[contentType];
  if (contentType === 'conversation') return summary('text', text(value), null);
  const m = asFields(value) ?? {};
  switch (contentType) {
    case 'extendedTextMessage':
      return summary('text', text(m.text), m);
    case 'imageMessage':
      return summary('image', text(m.caption), m, mediaInfo(m));
    case 'videoMessage':
    case 'ptvMessage':
      return summary('video', text(m.caption), m, mediaInfo(m));
    case 'audioMessage':
      return summary('audio', null, m, mediaInfo(m));
    case 'documentMessage':
      return summary('document', text(m.caption), m, mediaInfo(m));
    case 'stickerMessage':
      return summary('sticker', null, m, mediaInfo(m));
    case 'lottieStickerMessage': {
      const sticker = asFields(asFields(m.message)?.stickerMessage) ?? m;
      return summary('sticker', null, sticker, mediaInfo(sticker));
    }
    case 'locationMessage':
      return summary('location', locationText(m), m);
    case 'liveLocationMessage':
      return summary('location', text(m.caption) ?? coordinates(m), m);
    case 'contactMessage':
    case 'contactsArrayMessage':
      return summary('contact', contactsText(m), m);
    case 'pollCreationMessageV4':
      return pollSummary(wrappedPoll(m) ?? m);
    case 'buttonsResponseMessage':
    case 'templateButtonReplyMessage':
      return summary('text', text(m.selectedDisplayText), m);
    case 'listResponseMessage':
      return summary('text', text(m.title) ?? text(m.description), m);
    case 'interactiveMessage':
      return summary('other', text(asFields(m.body)?.text), m);
    case 'groupInviteMessage':
      return summary('other', text(m.caption) ?? text(m.groupName), m);
    default:
      if (POLL_TYPES.has(contentType)) return pollSummary(m);
      return summary('other', fallbackText(m), m);
  }
}

/**
 * `messageContextInfo.messageSecret`, from the message or the first wrapper that carries it
 * (ephemeral and view-once wrappers nest a whole message). Poll votes and event responses are
 * encrypted with it. It is key material: the socket host reads it from the server-only content
 * store to decrypt votes; it never goes on a message document.
 */
export function messageSecretOf(raw: Fields | null): Uint8Array | undefined {
  for (let message = raw, depth = 0; message && depth < 5; depth++) {
    const secret = asFields(message.messageContextInfo)?.messageSecret;
    if (secret instanceof Uint8Array && secret.length > 0) return secret;
    const wrapper =
      asFields(message.ephemeralMessage) ??
      asFields(message.viewOnceMessage) ??
      asFields(message.viewOnceMessageV2) ??
      asFields(message.viewOnceMessageV2Extension) ??
      asFields(message.documentWithCaptionMessage) ??
      asFields(message.deviceSentMessage);
    message = asFields(wrapper?.message);
  }
  return undefined;
}
