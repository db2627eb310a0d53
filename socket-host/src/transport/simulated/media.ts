/**
 * Simulated WhatsApp media: files encrypted and described by Baileys' own code, served over HTTP
 * on loopback the way WhatsApp's media servers (mmg.whatsapp.net) serve them, including files
 * whose download link has expired.
 *
 * Made by Baileys: `publish()` runs `prepareWAMessageMedia` — what Baileys does to send media —
 * with an `upload` function that keeps the encrypted file here instead of sending it to WhatsApp.
 * So the bytes are `encryptedStream`'s (AES-256-CBC under keys HKDF-expanded from a random
 * `mediaKey`, 10-byte HMAC appended) and the content (`imageMessage`, `audioMessage`, …) carries
 * exactly the fields Baileys fills in: `url`, `directPath`, `mediaKey`, `fileSha256`,
 * `fileEncSha256`, `fileLength`, `mediaKeyTimestamp`, `mimetype` and the rest.
 *
 * Reaching the loopback server: Baileys downloads `https://{host}{directPath}` (`host` from the
 * options, else from the content's `url`, else mmg.whatsapp.net) with the global `fetch`, passing
 * `options.dispatcher` through (`downloadContentFromMessage` → `downloadEncryptedContent` →
 * `getHttpStream`). The scheme is always https, so an `http://127.0.0.1` url cannot work. Instead
 * the content stays as WhatsApp's (`url` on mmg.whatsapp.net, a `/v/t62.7118-24/…` directPath) and
 * `downloadOptions()` returns `{ options: { dispatcher } }` with an undici Agent whose connector
 * opens a plain TCP connection to this server, whatever the origin: pass it as the third argument
 * of `downloadMediaMessage` (the real transport passes nothing). No global state changes.
 *
 * Expiry, as `expiry` of `publish()`:
 * - `never`: served until `close()` (or until `expire()` is called for it);
 * - `once`: the published link answers 410 Gone until the phone re-uploads the file
 *   (`updateMediaMessage`), which gives it a new directPath that serves it;
 * - `forever`: 404 for good; the phone answers a re-upload request with NOT_FOUND.
 *
 * Note for callers of Baileys (rc14): `downloadMediaMessage(msg, type, opts, { reuploadRequest })`
 * means to re-upload on a 404/410 but tests `error.status`, which its Boom errors do not have (the
 * status is `output.statusCode`), so it never does (WhiskeySockets/Baileys#2767); the caller has
 * to catch the download error and call `updateMediaMessage` itself (simulated-media.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Boom } from '@hapi/boom';
import {
  aesEncryptGCM,
  assertMediaContent,
  type BaileysEventMap,
  decryptMediaRetryData,
  getStatusCodeForMediaRetry,
  getUrlFromDirectPath,
  hkdf,
  type MediaDownloadOptions,
  prepareWAMessageMedia,
  proto,
  type WAMediaUploadFunction,
  type WAMessage,
  type WAMessageKey,
} from '@whiskeysockets/baileys';
import { Agent } from 'undici';

export const SIMULATED_MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type SimulatedMediaType = (typeof SIMULATED_MEDIA_TYPES)[number];
export type MediaExpiry = 'never' | 'once' | 'forever';

/** What the phone sends: the plaintext and what WhatsApp shows about it. */
export interface PublishMediaInput {
  type: SimulatedMediaType;
  /** The file itself; a stream for large files (never held in memory here). */
  plaintext: Buffer | Readable;
  /** Baileys' default for the type when absent (image/jpeg, audio/ogg; codecs=opus, …). */
  mimetype?: string;
  caption?: string;
  /** Documents: the file name shown. */
  fileName?: string;
  /** Audio: a voice note. */
  ptt?: boolean;
  /** Audio and video length (Baileys would otherwise try to compute it). */
  seconds?: number;
  width?: number;
  height?: number;
  /** Images and videos: the inline thumbnail; a small green JPEG when absent. */
  jpegThumbnail?: Uint8Array;
  expiry?: MediaExpiry;
}

/** One item of Baileys' `messages.media-update` event: what WhatsApp relays from the phone. */
export type MediaRetryUpdate = BaileysEventMap['messages.media-update'][number];

/** One line of the request log: what a downloader asked for and what it got. */
export interface MediaRequest {
  /** The Host header: the host Baileys built the URL with. */
  host: string;
  path: string;
  status: number;
  range?: string;
}

/** A published file: its encrypted bytes on disk and the links that lead to it. */
interface Published {
  file: string;
  size: number;
  expiry: MediaExpiry;
  /** Paths that serve the file now; expired ones answer 410 (`once`) or 404 (`forever`). */
  live: Set<string>;
}

/** A 32×24 JPEG in WhatsApp green (made once with sharp): the default `jpegThumbnail`. */
export const DEFAULT_JPEG_THUMBNAIL = Buffer.from(
  '/9j/2wBDABQODxIPDRQSEBIXFRQYHjIhHhwcHj0sLiQySUBMS0dARkVQWnNiUFVtVkVGZIhlbXd7gYKBTmCNl4x9lnN+gXz/2wBDARUXFx4aHjshITt8U0ZTfHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHz/wAARCAAYACADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFgEBAQEAAAAAAAAAAAAAAAAAAAQF/8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAwDAQACEQMRAD8AoASsEAAAAAB//9k=',
  'base64',
);
const MEDIA_HOST = 'mmg.whatsapp.net';
/** Baileys' info string for the media-retry key (`getMediaRetryKey` in messages-media.js, not exported). */
const MEDIA_RETRY_INFO = 'WhatsApp Media Retry Notification';
const { ResultType } = proto.MediaRetryNotification;

export class SimulatedMediaServer {
  readonly #byPath = new Map<string, Published>();
  readonly #requests: MediaRequest[] = [];
  /** Message ids the phone was asked to re-upload, one entry per request. */
  readonly reuploadRequests: string[] = [];
  readonly #agent: Agent;
  #nextFile = 0;

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    readonly port: number,
  ) {
    this.#agent = SimulatedMediaServer.#routeTo(port);
  }

  /**
   * Download options for a simulated media server on loopback `port` that may live in another
   * process (the instance's `downloadOptions()` is the same for its own port). Each call makes an
   * Agent that lives as long as the process: call it once per process.
   */
  static downloadOptionsTo(port: number): MediaDownloadOptions {
    return { options: { dispatcher: SimulatedMediaServer.#routeTo(port) } as RequestInit };
  }

  /** An undici Agent whose connector opens a plain TCP connection to `port`, whatever the URL says. */
  static #routeTo(port: number): Agent {
    return new Agent({
      connect: (_options, callback) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => callback(null, socket));
        socket.once('error', (err) => callback(err, null));
      },
    });
  }

  /** Starts a server on a free loopback port; files go to a temporary directory removed by `close()`. */
  static async start(): Promise<SimulatedMediaServer> {
    const dir = await mkdtemp(join(tmpdir(), 'wasync-sim-media-'));
    let instance: SimulatedMediaServer | undefined;
    const server = createServer((req, res) => {
      if (instance) void instance.#serve(req, res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    instance = new SimulatedMediaServer(server, dir, (server.address() as import('node:net').AddressInfo).port);
    return instance;
  }

  /** The third argument of Baileys' `downloadMediaMessage` / `downloadContentFromMessage`. */
  downloadOptions(): MediaDownloadOptions {
    return { options: { dispatcher: this.#agent } as RequestInit };
  }

  /** Every download request so far, in order. */
  get requests(): readonly MediaRequest[] {
    return this.#requests;
  }

  /** Encrypts and keeps a file as the phone's upload would; returns the message content pointing at it. */
  async publish(input: PublishMediaInput): Promise<proto.IMessage> {
    const expiry = input.expiry ?? 'never';
    const media = Buffer.isBuffer(input.plaintext) ? input.plaintext : { stream: input.plaintext };
    const thumbnail = input.type === 'image' || input.type === 'video';
    const content = {
      [input.type]: media,
      ...(input.mimetype && { mimetype: input.mimetype }),
      ...(input.caption !== undefined && { caption: input.caption }),
      ...(input.fileName !== undefined && { fileName: input.fileName }),
      ...(input.ptt !== undefined && { ptt: input.ptt }),
      // Given, so that Baileys computes neither (that would need optional audio/image packages).
      ...(input.type === 'audio' || input.type === 'video' ? { seconds: input.seconds ?? 7 } : {}),
      ...(input.ptt ? { waveform: new Uint8Array(64).fill(40) } : {}),
      ...(input.width !== undefined && { width: input.width }),
      ...(input.height !== undefined && { height: input.height }),
      ...(thumbnail && { jpegThumbnail: Buffer.from(input.jpegThumbnail ?? DEFAULT_JPEG_THUMBNAIL) }),
    };
    const upload: WAMediaUploadFunction = (encFilePath) => this.#keep(encFilePath, expiry);
    return prepareWAMessageMedia(content as never, { upload });
  }

  /** Ends every link of a published file, as time would (410 from now on; `forever` files answer 404). */
  expire(content: proto.IMessage): void {
    const published = this.#find(content);
    if (published) for (const path of published.live) published.live.delete(path);
  }

  /**
   * The phone's answer to a re-upload request for `key` (Baileys' `messages.media-update` event
   * item, as `decodeMediaRetryNode` makes it): the `MediaRetryNotification` encrypted with the
   * retry key derived from the media key, carrying a new directPath that serves the file, or
   * NOT_FOUND for a file the phone no longer has.
   */
  mediaRetryUpdate(key: WAMessageKey, content: proto.IMessage): MediaRetryUpdate {
    const media = assertMediaContent(content);
    const published = this.#find(content);
    this.reuploadRequests.push(key.id ?? '');
    if (!media.mediaKey || !key.id) {
      return { key, error: new Boom('Failed to re-upload media (missing media key)', { statusCode: 404 }) };
    }
    const found = published !== undefined && published.expiry !== 'forever';
    const notification = proto.MediaRetryNotification.encode({
      stanzaId: key.id,
      result: found ? ResultType.SUCCESS : ResultType.NOT_FOUND,
      ...(found && { directPath: this.#newPath(published) }),
    }).finish();
    const iv = randomBytes(12);
    const retryKey = hkdf(media.mediaKey, 32, { info: MEDIA_RETRY_INFO });
    return { key, media: { ciphertext: aesEncryptGCM(notification, retryKey, iv, Buffer.from(key.id)), iv } };
  }

  /**
   * Baileys' `sock.updateMediaMessage(message)` against this server: asks the phone to re-upload
   * and handles its answer exactly as Baileys does (messages-send.js `updateMediaMessage`):
   * `decryptMediaRetryData`, a Boom with the result's status unless SUCCESS, then the new
   * directPath and url on the content. A simulated socket emits the `messages.update` itself.
   */
  async updateMediaMessage(message: WAMessage): Promise<WAMessage> {
    const content = assertMediaContent(message.message);
    const update = this.mediaRetryUpdate(message.key, message.message ?? {});
    if (update.error) throw update.error;
    const result = decryptMediaRetryData(update.media!, content.mediaKey!, message.key.id!);
    if (result.result !== ResultType.SUCCESS) {
      const resultStr = ResultType[result.result ?? ResultType.GENERAL_ERROR];
      throw new Boom(`Media re-upload failed by device (${resultStr})`, {
        data: result,
        statusCode: getStatusCodeForMediaRetry(result.result as number) || 404,
      });
    }
    content.directPath = result.directPath;
    content.url = getUrlFromDirectPath(content.directPath as string);
    return message;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.#agent.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The upload function's work: keep the encrypted file and give it a WhatsApp-shaped link. */
  async #keep(encFilePath: string, expiry: MediaExpiry) {
    const file = join(this.dir, `${this.#nextFile++}.enc`);
    // Baileys deletes its temporary file after the upload: keep a link to the bytes (a copy
    // where links are impossible).
    await link(encFilePath, file).catch(() => copyFile(encFilePath, file));
    const published: Published = { file, size: (await stat(file)).size, expiry, live: new Set() };
    const directPath = this.#newPath(published);
    // `once` and `forever` were published long ago: their first link has expired already.
    if (expiry !== 'never') published.live.clear();
    return { mediaUrl: `https://${MEDIA_HOST}${directPath}&mms3=true`, directPath };
  }

  /** A new link to a published file, shaped like WhatsApp's (`oe` is the link's expiry, hex seconds). */
  #newPath(published: Published): string {
    const n = () => randomBytes(6).readUIntBE(0, 6);
    const path = `/v/t62.7118-24/${n()}_${n()}_${n()}_n.enc`;
    published.live.add(path);
    this.#byPath.set(path, published);
    const oe = (Math.floor(Date.now() / 1000) + 14 * 86_400).toString(16).toUpperCase();
    const oh = `01_${randomBytes(24).toString('base64url')}`;
    return `${path}?ccb=11-4&oh=${oh}&oe=${oe}&_nc_sid=5e03e0`;
  }

  #find(content: proto.IMessage): Published | undefined {
    const directPath = assertMediaContent(content).directPath;
    return directPath ? this.#byPath.get(new URL(directPath, `https://${MEDIA_HOST}`).pathname) : undefined;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', `https://${MEDIA_HOST}`).pathname;
    const published = this.#byPath.get(path);
    const range = req.headers.range;
    const host = req.headers.host ?? '';
    const answer = (status: number) => this.#requests.push({ host, path, status, ...(range && { range }) });
    if (!published) {
      answer(404);
      res.writeHead(404).end();
      return;
    }
    if (!published.live.has(path)) {
      const status = published.expiry === 'forever' ? 404 : 410;
      answer(status);
      res.writeHead(status).end();
      return;
    }
    const bounds = /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
    const start = bounds ? Number(bounds[1]) : 0;
    const end = bounds?.[2] ? Math.min(Number(bounds[2]), published.size - 1) : published.size - 1;
    const status = bounds ? 206 : 200;
    answer(status);
    res.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(bounds && { 'content-range': `bytes ${start}-${end}/${published.size}` }),
    });
    // A client that goes away mid-download only ends this response.
    await pipeline(createReadStream(published.file, { start, end }), res).catch(() => undefined);
  }
}
