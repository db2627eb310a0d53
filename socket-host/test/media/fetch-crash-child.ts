/**
 * A host that dies mid-upload: owns nothing but the account's media, fetches one message's media
 * (`fetchNow`) from the parent's simulated media server on loopback `port`, and is SIGKILLed by
 * the parent once the upload session is on the media source. Args: <accountId> <threadId>
 * <messageDocId> <port> <bucket>. Firestore and Storage come from the emulator env variables.
 */
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';
import { unfenced } from '../../src/accounts/fence.ts';
import { createLogger } from '../../src/log.ts';
import { MediaService } from '../../src/media/service.ts';
import { SimulatedMediaServer } from '../../src/transport/simulated/media.ts';

const [accountId, threadId, messageDocId, port, bucket] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const app = initializeApp({ projectId: 'demo-wasync' });
const db = getFirestore(app);
db.settings({ ignoreUndefinedProperties: true });
const log = createLogger('silent');
const service = new MediaService(
  db,
  {
    bucket: getStorage(app).bucket(bucket),
    maxBytes: 1 << 30,
    perHost: 4,
    fetch: {},
    downloadOptions: SimulatedMediaServer.downloadOptionsTo(Number(port)),
  },
  log,
);
const media = service.open({ accountId, fence: unfenced(db, accountId), log, socket: () => undefined });
process.stdout.write(`${JSON.stringify({ started: true })}\n`);
await media.fetchNow({ threadId, messageDocId });
process.stdout.write(`${JSON.stringify({ finished: true })}\n`);
