/**
 * An account's pipeline with media fetching on the test Firestore and the Storage emulator, fed
 * from the simulated media server (files encrypted by Baileys' own code).
 */
import { randomUUID } from 'node:crypto';
import { type MessageDoc, paths } from '@wasync/shared';
import type { WAMessage } from '@whiskeysockets/baileys';
import { PEER } from '../../../shared/test/fixtures/wa-messages.ts';
import { deliver, live } from '../../../shared/test/support/baileys-feed.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { sharedStorage, testBucket } from '../../../test/support/storage.ts';
import { unfenced } from '../../src/accounts/fence.ts';
import { createLogger } from '../../src/log.ts';
import type { AccountMedia, MediaFetchOptions } from '../../src/media/fetcher.ts';
import { MediaService } from '../../src/media/service.ts';
import type { AccountSync } from '../../src/pipeline/account-sync.ts';
import type { PipelineSocket } from '../../src/pipeline/consumer.ts';
import type { SimulatedMediaServer } from '../../src/transport/simulated/media.ts';
import { openSync } from './sync.ts';

export const MiB = 1024 * 1024;

export interface MediaSync {
  accountId: string;
  sync: AccountSync;
  media: AccountMedia;
  service: MediaService;
  /** Every message document of the account. */
  messages(): Promise<Array<{ path: string; doc: MessageDoc }>>;
  /** The message document of WhatsApp id `id`. */
  message(id: string): Promise<{ path: string; doc: MessageDoc }>;
  close(): Promise<void>;
}

export async function openMediaSync(
  server: SimulatedMediaServer,
  o: {
    fetch?: Partial<MediaFetchOptions>;
    maxBytes?: number;
    perHost?: number;
    service?: MediaService;
    /** Whether the account has an open socket now (between reconnects it has none). */
    connected?: () => boolean;
  } = {},
): Promise<MediaSync> {
  await sharedStorage();
  const db = testDb();
  const accountId = `media-${randomUUID()}`;
  const socket = { updateMediaMessage: (m: WAMessage) => server.updateMediaMessage(m) } as unknown as PipelineSocket;
  const log = createLogger(process.env.WASYNC_TEST_LOG ?? 'silent');
  const sync = await openSync({ accountId, socket, log });
  const service =
    o.service ??
    new MediaService(
      db,
      {
        bucket: testBucket(),
        maxBytes: o.maxBytes ?? 64 * MiB,
        perHost: o.perHost ?? 50,
        fetch: { backoffMs: 5, ...o.fetch },
        downloadOptions: server.downloadOptions(),
      },
      log,
    );
  const media = service.open({
    accountId,
    fence: unfenced(db, accountId),
    log,
    socket: () => (o.connected?.() === false ? undefined : socket),
    writer: sync.writer,
  });
  sync.attachMedia(media);
  const messages = async () => {
    const threads = await db.collection(paths.threads(accountId)).get();
    const out: Array<{ path: string; doc: MessageDoc }> = [];
    for (const t of threads.docs) {
      const snap = await t.ref.collection('messages').get();
      for (const m of snap.docs) out.push({ path: m.ref.path, doc: m.data() as MessageDoc });
    }
    return out;
  };
  return {
    accountId,
    sync,
    media,
    service,
    messages,
    async message(id) {
      const found = (await messages()).find((m) => m.doc.id === id);
      if (!found) throw new Error(`no message ${id}`);
      return found;
    },
    async close() {
      await sync.close('test over');
      service.close(accountId, media);
    },
  };
}

let nextId = 0;
/** A fresh WhatsApp message id. */
export function messageId(): string {
  return `3EB0${process.pid.toString(16).toUpperCase()}${(nextId++).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Event maps of media `content` arriving live from PEER (through Baileys' event buffer). */
export async function liveMedia(content: WAMessage['message'], id = messageId(), t = Math.floor(Date.now() / 1000)) {
  const maps = await deliver(
    [live(id, { from: PEER.lid, addressing_mode: 'lid', id, t: String(t) }, content ?? {})],
    false,
  );
  return { id, maps };
}
