/**
 * Media sources (`mediaSources/{accountId}/messages/{sourceId}`, server only): what the host needs
 * to download a message's media later — its key and the media entry of its content (`url`,
 * `directPath`, `mediaKey`, `fileSha256`, …) — and the state of fetching it (`wanted`, the
 * message's `owner` document, an upload `session` a crash left). The media key is key material:
 * it stays here, never on the message document apps read.
 *
 * One write per media message the pipeline sees (live or history); `wanted` is only ever set, never
 * cleared, by a sighting (a history replay must not cancel a fetch a live message asked for).
 */
import { type MediaSourceDoc, type MediaType, mediaSourceId, paths } from '@wasync/shared';
import { getContentType, proto, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import { FieldValue, type Firestore, Timestamp } from 'firebase-admin/firestore';
import type { UploadSession } from './store.ts';

/** Content entries whose file the host stores, and their message type (a video note is a video). */
const MEDIA_ENTRIES: ReadonlyMap<string, MediaType> = new Map([
  ['imageMessage', 'image'],
  ['videoMessage', 'video'],
  ['audioMessage', 'audio'],
  ['documentMessage', 'document'],
  ['stickerMessage', 'sticker'],
  ['ptvMessage', 'video'],
]);

/** Wrappers whose inner message carries the media (view-once, ephemeral, captioned documents). */
function unwrap(message: proto.IMessage | null | undefined): proto.IMessage | undefined {
  let m = message ?? undefined;
  for (let depth = 0; m && depth < 5; depth++) {
    const inner =
      m.ephemeralMessage?.message ??
      m.viewOnceMessage?.message ??
      m.viewOnceMessageV2?.message ??
      m.viewOnceMessageV2Extension?.message ??
      m.documentWithCaptionMessage?.message ??
      m.editedMessage?.message;
    if (!inner) return m;
    m = inner;
  }
  return m;
}

/** The message's media entry alone (`{ imageMessage: … }`), if it has a downloadable one. */
export function mediaContent(message: proto.IMessage | null | undefined): proto.IMessage | undefined {
  const inner = unwrap(message);
  const type = inner ? getContentType(inner) : undefined;
  if (!inner || !type || !MEDIA_ENTRIES.has(type)) return undefined;
  const entry = inner[type] as { mediaKey?: Uint8Array | null; directPath?: string | null; url?: string | null };
  if (!entry?.mediaKey?.length || !(entry.directPath || entry.url)) return undefined;
  return { [type]: entry };
}

/** The message type of a media entry `mediaContent` returned (`{ imageMessage: … }` → `image`). */
export function mediaTypeOf(content: proto.IMessage): MediaType | undefined {
  const type = getContentType(content);
  return type ? MEDIA_ENTRIES.get(type) : undefined;
}

/** What a source gives back: the message to download (key + media entry) and the fetch state. */
export interface MediaSource {
  id: string;
  message: WAMessage;
  wanted: boolean;
  owner?: { threadId: string; messageDocId: string };
  session?: UploadSession;
}

const BATCH = 400;

export class MediaSourceStore {
  constructor(private readonly db: Firestore) {}

  /** Keeps the source of every media message among `messages`; `wanted` marks them to be fetched. */
  async put(accountId: string, messages: readonly WAMessage[], wanted: boolean): Promise<number> {
    const writes = messages.flatMap((m) => {
      const content = mediaContent(m.message);
      if (!content || !m.key.id) return [];
      const data: Record<string, unknown> = {
        key: keyFields(m.key),
        message: Buffer.from(proto.Message.encode(content).finish()),
        updatedAt: Timestamp.now(),
      };
      if (wanted) data.wanted = true;
      return [{ id: mediaSourceId(!!m.key.fromMe, m.key.id), data }];
    });
    for (let i = 0; i < writes.length; i += BATCH) {
      const batch = this.db.batch();
      for (const { id, data } of writes.slice(i, i + BATCH)) {
        batch.set(this.db.doc(paths.mediaSource(accountId, id)), data, { merge: true });
      }
      await batch.commit();
    }
    return writes.length;
  }

  async get(accountId: string, fromMe: boolean, messageId: string): Promise<MediaSource | undefined> {
    const snap = await this.db.doc(paths.mediaSource(accountId, mediaSourceId(fromMe, messageId))).get();
    return snap.exists ? sourceOf(snap.id, snap.data() as StoredSource) : undefined;
  }

  /** Sources a fetch is owed for (resumed when an account is opened). */
  async wanted(accountId: string): Promise<MediaSource[]> {
    const snap = await this.db.collection(paths.mediaSources(accountId)).where('wanted', '==', true).get();
    return snap.docs.map((doc) => sourceOf(doc.id, doc.data() as StoredSource));
  }

  /** Records progress: `wanted`, the owner document, the session (null removes it), a re-uploaded message. */
  async update(
    accountId: string,
    id: string,
    fields: {
      wanted?: boolean;
      owner?: MediaSource['owner'];
      session?: UploadSession | null;
      message?: WAMessage;
      /** One more re-upload request was made (`reuploadRequests` counts them, for operators and tests). */
      reuploadRequested?: boolean;
    },
  ): Promise<void> {
    const data: Record<string, unknown> = { updatedAt: Timestamp.now() };
    if (fields.wanted !== undefined) data.wanted = fields.wanted;
    if (fields.owner) data.owner = fields.owner;
    if (fields.session !== undefined) data.session = fields.session ?? FieldValue.delete();
    if (fields.reuploadRequested) data.reuploadRequests = FieldValue.increment(1);
    if (fields.message) {
      const content = mediaContent(fields.message.message);
      if (content) data.message = Buffer.from(proto.Message.encode(content).finish());
    }
    await this.db.doc(paths.mediaSource(accountId, id)).set(data, { merge: true });
  }

  /** Every source of an account (its deletion). */
  async deleteAll(accountId: string): Promise<void> {
    await this.db.recursiveDelete(this.db.collection(paths.mediaSources(accountId)));
  }
}

type StoredSource = Omit<MediaSourceDoc, 'message' | 'updatedAt'> & { message: Buffer };

function sourceOf(id: string, data: StoredSource): MediaSource {
  const source: MediaSource = {
    id,
    message: { key: { ...data.key }, message: proto.Message.decode(data.message) },
    wanted: data.wanted === true,
  };
  if (data.owner) source.owner = data.owner;
  if (data.session) source.session = data.session;
  return source;
}

function keyFields(key: WAMessageKey): MediaSourceDoc['key'] {
  const out: MediaSourceDoc['key'] = { remoteJid: key.remoteJid ?? '', fromMe: !!key.fromMe, id: key.id ?? '' };
  if (key.participant) out.participant = key.participant;
  return out;
}
