/**
 * The media fetcher (socket-host/src/media/fetcher.ts) through the real pipeline, on the test
 * Firestore and the Storage emulator, fed by the simulated WhatsApp's media server:
 *
 * - 100 live media messages arriving in one batch: the most downloads of the account running at
 *   once (must never pass MEDIA_DOWNLOADS_PER_ACCOUNT; reported against the limit), and how long
 *   until all 100 were `stored` (messages per second);
 * - download-to-stored throughput of one large file through the fetcher (download, Baileys'
 *   decryption, upload, state write), against MediaStore alone on the same file in the same
 *   process (the ratio is what the fetcher's bookkeeping costs).
 */
import { randomUUID } from 'node:crypto';
import { downloadMediaMessage, type proto, type WAMessage } from '@whiskeysockets/baileys';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';
import { startFirestoreBackend } from '../scripts/lib/firestore-backend.ts';
import { startStorageBackend } from '../scripts/lib/storage-backend.ts';
import { PEER } from '../shared/test/fixtures/wa-messages.ts';
import { deliver, live, SELF } from '../shared/test/support/baileys-feed.ts';
import { unfenced } from '../socket-host/src/accounts/fence.ts';
import { createLogger } from '../socket-host/src/log.ts';
import { MediaService } from '../socket-host/src/media/service.ts';
import { MediaStore } from '../socket-host/src/media/store.ts';
import { AccountSync } from '../socket-host/src/pipeline/account-sync.ts';
import { FirestoreMessageContentStore } from '../socket-host/src/pipeline/message-content.ts';
import { SimulatedMediaServer } from '../socket-host/src/transport/simulated/media.ts';
import { pseudoRandomBytes, pseudoRandomStream } from '../test/support/bytes.ts';
import type { Emit } from './types.ts';

const MB = 1024 * 1024;
const MESSAGES = 100;
const PER_ACCOUNT = 3;
const LARGE_MB = Number(process.env.BENCH_MEDIA_FETCH_MB ?? 50);

export default async function bench(emit: Emit): Promise<void> {
  const firestore = await startFirestoreBackend();
  const storage = await startStorageBackend();
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  process.env.FIREBASE_STORAGE_EMULATOR_HOST = storage.host;
  const app = initializeApp({ projectId: 'demo-wasync' }, `media-fetch-bench-${randomUUID()}`);
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const bucket = getStorage(app).bucket('demo-wasync.appspot.com');
  const server = await SimulatedMediaServer.start();
  const log = createLogger('silent');
  const service = new MediaService(
    db,
    {
      bucket,
      maxBytes: 1 << 30,
      perHost: 12,
      fetch: { perAccount: PER_ACCOUNT },
      downloadOptions: server.downloadOptions(),
    },
    log,
  );
  const open = async () => {
    const accountId = `bench-${randomUUID()}`;
    const fence = unfenced(db, accountId);
    const sync = await AccountSync.open({
      db,
      accountId,
      epoch: 1,
      fence,
      log,
      me: () => ({ id: SELF.pn, lid: SELF.lid as string }),
      socket: () => undefined,
      contents: new FirestoreMessageContentStore(db),
    });
    const media = service.open({ accountId, fence, log, socket: () => undefined, writer: sync.writer });
    sync.attachMedia(media);
    return { sync, media };
  };
  const arrive = async (contents: proto.IMessage[]) => {
    const t = Math.floor(Date.now() / 1000);
    const deliveries = contents.map((content, i) => {
      const id = `3EB0BE${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}${i}`;
      return live(id, { from: PEER.lid, addressing_mode: 'lid', id, t: String(t) }, content);
    });
    return deliver(deliveries, true); // through Baileys' event buffer: one batch
  };
  try {
    // 1. 100 media messages together.
    const contents: proto.IMessage[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      contents.push(await server.publish({ type: 'image', plaintext: pseudoRandomBytes(100_000, `b${i}`) }));
    }
    const many = await open();
    const maps = await arrive(contents);
    const started = Date.now();
    for (const [i, map] of maps.entries())
      await many.sync.handle(map, { socket: 1, seq: i + 1, receivedAt: Date.now() });
    await many.sync.drain();
    await many.media.idle();
    const seconds = (Date.now() - started) / 1000;
    const { peakActive, stored } = many.media.counters;
    emit({
      metric: 'media_fetch_peak_downloads_per_account',
      value: peakActive,
      unit: 'downloads',
      limit: PER_ACCOUNT,
      messages: MESSAGES,
      stored,
    });
    emit({
      metric: 'media_fetch_100_messages_stored',
      value: Number((MESSAGES / seconds).toFixed(1)),
      unit: 'messages/s',
      seconds,
      fileKb: 100,
    });
    await many.sync.close('bench over');

    // 2. One large file: the fetcher against MediaStore alone.
    const large = await server.publish({ type: 'video', plaintext: pseudoRandomStream(LARGE_MB * MB, 'large') });
    const store = new MediaStore({ bucket, maxBytes: 1 << 30 });
    const direct = Date.now();
    const message: WAMessage = { key: { remoteJid: PEER.pn, fromMe: false, id: 'BENCHDIRECT' }, message: large };
    await store.store({
      owner: { accountId: 'bench-direct', threadId: 't', messageDocId: randomUUID() },
      fileSha256: large.videoMessage!.fileSha256!,
      fileLength: LARGE_MB * MB,
      contentType: 'video/mp4',
      open: () => downloadMediaMessage(message, 'stream', server.downloadOptions()),
    });
    const directSeconds = (Date.now() - direct) / 1000;
    const one = await open();
    const oneMaps = await arrive([large]);
    const fetchStarted = Date.now();
    for (const [i, map] of oneMaps.entries())
      await one.sync.handle(map, { socket: 1, seq: i + 1, receivedAt: Date.now() });
    await one.sync.drain();
    await one.media.idle();
    const fetchSeconds = (Date.now() - fetchStarted) / 1000;
    emit({
      metric: 'media_fetch_download_to_stored',
      value: Number((LARGE_MB / fetchSeconds).toFixed(1)),
      unit: 'MB/s',
      mb: LARGE_MB,
      baselineMediaStoreMBps: Number((LARGE_MB / directSeconds).toFixed(1)),
      ratioToBaseline: Number((directSeconds / fetchSeconds).toFixed(2)),
      stored: one.media.counters.stored,
    });
    await one.sync.close('bench over');
  } finally {
    await server.close();
    await deleteApp(app);
    await storage.stop();
    await firestore.stop();
  }
}
