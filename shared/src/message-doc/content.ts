/**
 * Content of a message as a join. WhatsApp never changes a message's content (edits live in
 * `edited`), so every sighting of one message normally carries the same content; they differ only
 * when a sighting lacks it — a view-once message withheld from linked devices, or an upsert that
 * Baileys' event buffer overwrote with its own edit (content type known, original text not). So
 * each field independently prefers a present value over an absent one, and between two present
 * values takes the larger (an arbitrary but fixed choice, which is what makes it order-independent).
 */
import { MEDIA_STATES, type MediaInfo, type MessageDoc, type MessageType } from '../schema.ts';

/** The content fields of a message document. */
export type ContentFields = Pick<MessageDoc, 'type' | 'text' | 'media' | 'quotedId' | 'pollOptions'>;

type Comparable = string | number;

/** The preferred of two optional values: present beats absent (null/undefined), then the larger. */
function preferPresent<T extends Comparable>(a: T | null | undefined, b: T | null | undefined): T | null | undefined {
  if (a === null || a === undefined) return b ?? a;
  if (b === null || b === undefined) return a;
  return b > a ? b : a;
}

/** `other` says the least about a message, so any other type wins over it; then the larger name. */
function mergeType(a: MessageType, b: MessageType): MessageType {
  if (a === 'other') return b;
  if (b === 'other') return a;
  return b > a ? b : a;
}

/** What the socket host recorded about storing a media file (not what WhatsApp said about it). */
const STORAGE_FIELDS = ['state', 'path', 'sha256', 'storedAt', 'thumbnailPath', 'error'] as const;
type MediaStorage = Pick<MediaInfo, (typeof STORAGE_FIELDS)[number]>;

function storageOf(media: MediaInfo): MediaStorage {
  const storage: MediaStorage = {};
  for (const field of STORAGE_FIELDS) if (media[field] !== undefined) Object.assign(storage, { [field]: media[field] });
  return storage;
}

/**
 * The storage fields of the side further along (`MEDIA_STATES` order, no state lowest), kept
 * together: a sighting replayed after the file was stored never takes `stored` and its `path`
 * back. Equal states: the later `storedAt`, then the larger serialisation (arbitrary but fixed).
 * Changing the state otherwise (a retry after `failed`) is the media fetcher's own write.
 */
function laterStorage(a: MediaInfo, b: MediaInfo): MediaStorage {
  const rank = (m: MediaInfo) => (m.state === undefined ? -1 : MEDIA_STATES.indexOf(m.state));
  if (rank(a) !== rank(b)) return storageOf(rank(a) > rank(b) ? a : b);
  if ((a.storedAt ?? 0) !== (b.storedAt ?? 0)) return storageOf((a.storedAt ?? 0) > (b.storedAt ?? 0) ? a : b);
  const [sa, sb] = [storageOf(a), storageOf(b)];
  return JSON.stringify(sb) > JSON.stringify(sa) ? sb : sa;
}

function mergeMedia(a: MediaInfo | undefined, b: MediaInfo | undefined): MediaInfo | undefined {
  if (!a || !b) return a ?? b;
  const media: MediaInfo = {
    mimetype: preferPresent(a.mimetype, b.mimetype) ?? null,
    fileLength: preferPresent(a.fileLength, b.fileLength) ?? null,
  };
  const fileName = preferPresent(a.fileName, b.fileName);
  if (fileName != null) media.fileName = fileName;
  for (const field of ['seconds', 'width', 'height'] as const) {
    const value = preferPresent(a[field], b[field]);
    if (value != null) media[field] = value;
  }
  return Object.assign(media, laterStorage(a, b));
}

/** A poll's options as one comparable value (present beats absent, then the larger, as for the rest). */
function optionsKey(options: readonly string[] | undefined): string | undefined {
  return options && options.length > 0 ? JSON.stringify(options) : undefined;
}

/** Join two sightings' content. */
export function mergeContent(a: ContentFields, b: ContentFields): ContentFields {
  const content: ContentFields = { type: mergeType(a.type, b.type), text: preferPresent(a.text, b.text) ?? null };
  const media = mergeMedia(a.media, b.media);
  if (media) content.media = media;
  const quotedId = preferPresent(a.quotedId, b.quotedId);
  if (quotedId != null) content.quotedId = quotedId;
  const pollOptions = preferPresent(optionsKey(a.pollOptions), optionsKey(b.pollOptions));
  if (pollOptions != null) content.pollOptions = JSON.parse(pollOptions) as string[];
  return content;
}

/**
 * What a revoked message shows, however the revoke arrived (live protocol message, history's
 * REVOKE stub, Baileys' buffer merging the revoke into the upsert): no content at all. The type
 * is `other` because history stubs no longer say what the message was; keeping the type only
 * when the original had been seen would make the tombstone depend on what arrived first.
 */
export const TOMBSTONE_CONTENT: Readonly<ContentFields> = { type: 'other', text: null };
