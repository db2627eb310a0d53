/**
 * Runs firebase-tools' own Cloud Storage emulator in its own process, bound to loopback, without
 * its rules runtime.
 *
 * The Storage emulator is Node code; only its security-rules runtime is a Java jar (which cannot
 * run here, DESIGN §6). So the emulator is constructed from firebase-tools' module and started
 * through firebase-tools' emulator registry as `firebase emulators:start` would, except that
 * `start()` leaves out the rules runtime and the rules manager. What that costs: requests under
 * rules (the Firebase client SDKs, `/v0/...`) are refused, for lack of a loaded ruleset. Admin
 * requests (firebase-admin / @google-cloud/storage, the JSON API) never consult rules, and they are
 * all the server makes: apps get media through the API, never straight from the bucket.
 *
 * Two more departures from firebase-tools' own start, both for this machine's parallel runs:
 * blobs live in a temporary directory of this process (firebase-tools shares one per machine and
 * deletes it whole on stop), and resumable uploads behave as Cloud Storage's do
 * (lib/storage-resumable.ts; `--unfixed` turns that off, to see what it fixes).
 *
 * Besides the JSON API, firebase-tools' `POST /internal/reset` deletes every object.
 *
 * Usage: tsx scripts/storage-embedded.ts [--port N] [--project P] [--unfixed]
 * (port 0, the default, picks a free one). Prints one JSON line
 * `{"ready":true,"host":"127.0.0.1:N"}` on stdout; exits with its parent (stdin closed).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_PROJECT } from './lib/firestore-backend.ts';
import {
  type EmulatorStorageLayer,
  type EmulatorUploadService,
  handleResumableUpload,
} from './lib/storage-resumable.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    project: { type: 'string', default: DEMO_PROJECT },
    unfixed: { type: 'boolean', default: false },
  },
});

type Handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
interface StorageEmulatorArgs {
  projectId: string;
  host: string;
  port: number;
  rules: { name: string; content: string };
}
/** What this script uses of firebase-tools' `StorageEmulator` (firebase-tools ships no types). */
declare class FirebaseStorageEmulator {
  constructor(args: StorageEmulatorArgs);
  args: StorageEmulatorArgs;
  uploadService: EmulatorUploadService;
  adminStorageLayer: EmulatorStorageLayer;
  _persistence: { deleteAll(): Promise<void> };
  getInfo(): { name: string; host: string; port: number };
  getPersistenceTmpDir(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const firebaseTools = (path: string) => require(`firebase-tools/lib/${path}`);
const { StorageEmulator } = firebaseTools('emulator/storage/index.js') as {
  StorageEmulator: typeof FirebaseStorageEmulator;
};
const { createApp } = firebaseTools('emulator/storage/server.js') as {
  createApp(projectId: string, emulator: FirebaseStorageEmulator): Promise<Handler>;
};
const { CloudStorageObjectMetadata } = firebaseTools('emulator/storage/metadata.js') as {
  CloudStorageObjectMetadata: new (metadata: object) => object;
};
const { EmulatorRegistry } = firebaseTools('emulator/registry.js') as {
  EmulatorRegistry: { start(emulator: object): Promise<void>; stop(name: string): Promise<void> };
};

// Read in the constructor (through getPersistenceTmpDir), before any field of the subclass exists.
const blobDir = mkdtempSync(join(tmpdir(), 'wasync-storage-'));

class AdminOnlyStorageEmulator extends StorageEmulator {
  #server: Server | undefined;

  override getPersistenceTmpDir(): string {
    return blobDir;
  }

  /** The port really bound (the registry waits on it; `args.port` may be 0). */
  override getInfo() {
    const info = super.getInfo();
    const address = this.#server?.address() as AddressInfo | null | undefined;
    return { ...info, port: address?.port ?? this.args.port };
  }

  /** firebase-tools' start() minus the rules runtime (Java) and the rules manager. */
  override async start(): Promise<void> {
    const app = await createApp(this.args.projectId, this);
    const context = {
      uploadService: this.uploadService,
      adminStorageLayer: this.adminStorageLayer,
      toResource: (metadata: object) => new CloudStorageObjectMetadata(metadata),
    };
    const server = createServer((req, res) => {
      if (!values.unfixed && handleResumableUpload(req, res, context)) return;
      app(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.args.port, this.args.host, resolve);
    });
    this.#server = server;
  }

  override async stop(): Promise<void> {
    await this._persistence.deleteAll();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const emulator = new AdminOnlyStorageEmulator({
  projectId: values.project,
  host: '127.0.0.1',
  port: Number(values.port),
  // Required by the constructor, never loaded: no rules runtime runs (see above).
  rules: { name: 'storage.rules', content: '' },
});
await EmulatorRegistry.start(emulator);
process.stdout.write(`${JSON.stringify({ ready: true, host: `127.0.0.1:${emulator.getInfo().port}` })}\n`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await EmulatorRegistry.stop('storage');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
// Exit with the parent: a test run that dies must not leave an emulator and its blobs behind.
process.stdin.on('end', () => void shutdown());
process.stdin.resume();
