/**
 * Which Firestore the local stack and the tests use.
 *
 * - `FIRESTORE_EMULATOR_HOST` set (e.g. under `firebase emulators:exec` with the official
 *   emulator): use it as is.
 * - otherwise: start the embedded `@firestore-emulator/server` in a child process on free
 *   loopback ports and stop it afterwards.
 *
 * `probeCapabilities` then tells, by trying, what the running backend can do, so tests that need
 * the official emulator can be marked pending with the reason instead of silently passing.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Firestore } from 'firebase-admin/firestore';
import { readReadyLine, stopChild } from './child-process.ts';

export const DEMO_PROJECT = 'demo-wasync';

export interface FirestoreBackend {
  kind: 'external' | 'embedded';
  /** host:port for FIRESTORE_EMULATOR_HOST. */
  host: string;
  /** Embedded only: URL of its admin endpoint (`GET /memory` gives its heap after a GC). */
  admin?: string | undefined;
  /** Embedded only: process id of the emulator's own process. */
  pid?: number | undefined;
  /** Deletes every document of `project`. */
  clear(project?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface FirestoreCapabilities {
  backend: 'official' | 'embedded';
  securityRules: boolean;
  collectionGroupQueries: boolean;
  isolatedTransactions: boolean;
}

const embeddedScript = fileURLToPath(new URL('../firestore-embedded.ts', import.meta.url));

export interface EmbeddedOptions {
  /** gRPC port (`npm start`: firebase.json's Firestore port); by default a free one. */
  port?: number;
  /** How long a transaction may hold its locks before the embedded emulator aborts it (30 s). */
  transactionTimeoutMs?: number;
  /** Run the published, unpatched bundle (benchmarks compare against it; tests never do). */
  unpatched?: boolean;
}

export async function startFirestoreBackend(
  env: NodeJS.ProcessEnv = process.env,
  embedded: EmbeddedOptions = {},
): Promise<FirestoreBackend> {
  const external = env.FIRESTORE_EMULATOR_HOST;
  if (external) {
    return {
      kind: 'external',
      host: external,
      clear: (project = DEMO_PROJECT) => clearVia(`http://${external}`, project),
      stop: async () => {},
    };
  }
  return startEmbedded(embedded);
}

async function startEmbedded(options: EmbeddedOptions): Promise<FirestoreBackend> {
  const args = [
    ...(options.port ? ['--port', String(options.port)] : []),
    ...(options.transactionTimeoutMs ? ['--transaction-timeout-ms', String(options.transactionTimeoutMs)] : []),
    ...(options.unpatched ? ['--unpatched'] : []),
  ];
  // stdin is a pipe the child watches: if this process dies, the emulator exits too.
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', embeddedScript, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = await readReadyLine<{ ready: true; host: string; admin: string }>(child, 'embedded Firestore emulator');
  return {
    kind: 'embedded',
    host: ready.host,
    admin: ready.admin,
    pid: child.pid,
    clear: (project = DEMO_PROJECT) => clearVia(ready.admin, project),
    stop: () => stopChild(child),
  };
}

async function clearVia(baseUrl: string, project: string): Promise<void> {
  const res = await fetch(`${baseUrl}/emulator/v1/projects/${project}/databases/(default)/documents`, {
    method: 'DELETE',
  });
  if (!res.ok) throw new Error(`clearing Firestore emulator failed: HTTP ${res.status}`);
}

/** Finds out what the running backend supports by trying it (leaves no documents behind). */
export async function probeCapabilities(host: string, db: Firestore): Promise<FirestoreCapabilities> {
  // The official emulator answers plain HTTP on its gRPC port; the embedded one speaks only gRPC.
  const official = await fetch(`http://${host}/`)
    .then((r) => r.ok)
    .catch(() => false);
  const root = db.collection('_capabilityProbe').doc(`p${process.pid}`);
  await root.collection('_probeGroup').doc('x').set({ v: 1 });
  const groupHits = (await db.collectionGroup('_probeGroup').where('v', '==', 1).get()).size;

  const counter = root.collection('_probeTx').doc('n');
  await counter.set({ n: 0 });
  await Promise.all(
    Array.from({ length: 5 }, () =>
      db.runTransaction(async (tx) => {
        const n = ((await tx.get(counter)).get('n') as number) ?? 0;
        tx.set(counter, { n: n + 1 });
      }),
    ),
  );
  const n = (await counter.get()).get('n') as number;

  await Promise.all([root.collection('_probeGroup').doc('x').delete(), counter.delete(), root.delete()]);
  return {
    backend: official ? 'official' : 'embedded',
    securityRules: official,
    collectionGroupQueries: groupHits > 0,
    isolatedTransactions: n === 5,
  };
}
