/**
 * `npm start`: the whole local stack, no cloud needed.
 *
 *   Firestore   FIRESTORE_EMULATOR_HOST if set; else the official emulator when Java ≥ 21 is on
 *               PATH (started by firebase-tools); else the embedded emulator (own process)
 *   Auth, Functions, Cloud Tasks   firebase-tools emulators (ports from firebase.json)
 *   socket host   socket-host/src/main.ts on PORT 8090 (health endpoints)
 *
 * With WHATSAPP_TRANSPORT=simulated the socket host talks to the simulated WhatsApp instead: when
 * Firestore holds no account yet, a demo account (`accounts/demo`) is created, and the simulated
 * phone scans its QR code by itself, so it reaches `connection.state == 'open'` without a phone.
 *
 * Prints every URL once all parts are up; Ctrl-C (or SIGTERM) stops everything, host first.
 * After a crash (SIGKILL), the next start stops what the previous one left running; a port taken
 * by anything else makes it exit at once, naming the port (lib/local-stack.ts).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CALLABLE_NAMES } from '@wasync/shared/client';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { failOnExit, stopChild } from './lib/child-process.ts';
import { fixedEmulatorPorts, REPO_ROOT, startFirebaseEmulators } from './lib/firebase-emulators.ts';
import { DEMO_PROJECT, startFirestoreBackend } from './lib/firestore-backend.ts';
import { assertPortsFree, forgetChildren, recordChildren, stopLeftovers } from './lib/local-stack.ts';
import { freePort, waitFor } from './lib/ports.ts';

// WASYNC_START_PORTS=free (local-only): free ports instead of firebase.json's, and no bookkeeping
// of leftovers, so a test can run the whole stack beside a developer's `npm start`.
const freePorts = process.env.WASYNC_START_PORTS?.trim() === 'free';
const HOST_PORT = Number(process.env.SOCKET_HOST_PORT ?? (freePorts ? await freePort() : 8090));
const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

const official = !process.env.FIRESTORE_EMULATOR_HOST && javaMajorVersion() >= 21;
if (!freePorts) {
  await stopLeftovers(say);
  try {
    await assertPortsFree({ ...fixedEmulatorPorts(official), 'socket host': HOST_PORT });
  } catch (err) {
    say(`cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
}
say(official ? 'Java ≥ 21 found: firebase-tools will run the official Firestore emulator' : 'starting Firestore…');
// With the official emulator, firebase-tools starts and stops it together with the others.
const firestore = official ? undefined : await startFirestoreBackend();
if (firestore)
  say(
    `Firestore (${firestore.kind === 'external' ? 'from FIRESTORE_EMULATOR_HOST' : 'embedded'}) at ${firestore.host}`,
  );

say('building functions and starting the emulators…');
execFileSync(process.execPath, ['functions/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
const emulators = await startFirebaseEmulators({
  firestoreHost: firestore?.host ?? '',
  ports: freePorts ? 'free' : 'fixed',
  withOfficialFirestore: official,
});

const simulated = process.env.WHATSAPP_TRANSPORT?.trim().toLowerCase() === 'simulated';
const demo = simulated ? await seedDemoAccount(emulators.firestoreHost) : undefined;

say(`starting the socket host${simulated ? ' (simulated WhatsApp)' : ''}…`);
const hostEnv = {
  ...process.env,
  FIRESTORE_EMULATOR_HOST: emulators.firestoreHost,
  FIREBASE_AUTH_EMULATOR_HOST: emulators.authHost,
  CLOUD_TASKS_EMULATOR_HOST: emulators.tasksHost,
  GCLOUD_PROJECT: DEMO_PROJECT,
  METADATA_SERVER_DETECTION: 'none',
  PORT: String(HOST_PORT),
  HOST_ID: process.env.HOST_ID ?? 'local-dev',
};
const host = spawn(process.execPath, ['--import', 'tsx', 'socket-host/src/main.ts'], {
  cwd: REPO_ROOT,
  env: hostEnv,
  stdio: ['ignore', 'pipe', 'inherit'],
});
createInterface({ input: host.stdout! }).on('line', (line) => process.stdout.write(`[host] ${line}\n`));
// If this process is killed outright, the next `npm start` stops these first (lib/local-stack.ts).
if (!freePorts)
  recordChildren([
    { name: 'firebase emulators', pid: emulators.pid, group: true, commandIncludes: 'emulators:start' },
    { name: 'socket host', pid: host.pid!, group: false, commandIncludes: 'socket-host/src/main.ts' },
  ]);
const healthUrl = `http://127.0.0.1:${HOST_PORT}`;
await Promise.race([
  waitFor('socket host /readyz', async () => (await fetch(`${healthUrl}/readyz`)).ok, 30_000),
  failOnExit(host, 'socket host'),
]);

say('ready:');
const urls: [string, string][] = [
  ['Firestore emulator (FIRESTORE_EMULATOR_HOST)', emulators.firestoreHost],
  ['Auth emulator (FIREBASE_AUTH_EMULATOR_HOST)', emulators.authHost],
  ['Cloud Tasks emulator (CLOUD_TASKS_EMULATOR_HOST)', emulators.tasksHost],
  ['Functions emulator', `${emulators.functionsUrl}/${emulators.project}/us-central1/<function>`],
  ['  HTTPS API (Bearer <ID token>)', `${emulators.functionUrl('api')}/whatsapp/…`],
  ['  OpenAPI document', `${emulators.functionUrl('api')}/whatsapp/openapi.json`],
  ...CALLABLE_NAMES.map((name): [string, string] => [`  callable ${name}`, emulators.functionUrl(name)]),
  ['Socket host health', `${healthUrl}/healthz  ${healthUrl}/readyz`],
];
for (const [name, url] of urls) say(`  ${name.padEnd(48)} ${url}`);
say('Ctrl-C stops everything.');
if (demo) void reportDemo(emulators.firestoreHost, demo);

let stopping = false;
async function stopAll(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping…`);
  await stopChild(host);
  await emulators.stop();
  await firestore?.stop();
  if (!freePorts) forgetChildren();
  say('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void stopAll('SIGINT'));
process.on('SIGTERM', () => void stopAll('SIGTERM'));
host.on('exit', (code) => {
  if (!stopping) {
    say(`socket host exited unexpectedly (code ${code}); stopping the stack`);
    void stopAll('host exit');
  }
});

/** Creates `accounts/demo` when there is no account at all; returns the account to watch, if any. */
async function seedDemoAccount(firestoreHost: string): Promise<string | undefined> {
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  const app = initializeApp({ projectId: DEMO_PROJECT }, 'start-demo');
  try {
    const db = getFirestore(app);
    const existing = await db.collection('accounts').limit(1).get();
    if (!existing.empty) {
      say(`simulated WhatsApp: using the existing account ${existing.docs[0]!.id}`);
      return existing.docs[0]!.id;
    }
    await db.doc('accounts/demo').create({
      displayName: 'Demo (simulated WhatsApp)',
      connection: { state: 'idle', updatedAt: new Date() },
    });
    say('simulated WhatsApp: created the demo account accounts/demo; its simulated phone pairs by itself');
    return 'demo';
  } finally {
    await deleteApp(app);
  }
}

/** Says when the demo account is open (or what it shows instead), once. */
async function reportDemo(firestoreHost: string, accountId: string): Promise<void> {
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  const app = initializeApp({ projectId: DEMO_PROJECT }, 'start-demo-watch');
  const startedAt = Date.now();
  const unsubscribe = getFirestore(app)
    .doc(`accounts/${accountId}`)
    .onSnapshot((snap) => {
      const state = snap.get('connection.state') as string | undefined;
      if (state !== 'open') return;
      say(
        `demo account ${accountId} is open after ${Math.round((Date.now() - startedAt) / 1000)} s ` +
          `(me: ${snap.get('me.id')}); see accounts/${accountId} in the Firestore emulator`,
      );
      unsubscribe();
      void deleteApp(app);
    });
}

/** Major version of `java` on PATH (it prints the version to stderr), or 0 when there is none. */
function javaMajorVersion(): number {
  const { stdout = '', stderr = '' } = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return Number(/version "(\d+)/.exec(`${stdout}${stderr}`)?.[1] ?? 0);
}
