/**
 * `npm start`: the whole local stack, no cloud needed.
 *
 *   Firestore   FIRESTORE_EMULATOR_HOST if set; else the official emulator when Java ≥ 21 is on
 *               PATH (started by firebase-tools); else the embedded emulator (own process). Both
 *               listen on firebase.json's Firestore port (8080).
 *   Auth, Functions, Cloud Tasks   firebase-tools emulators (ports from firebase.json)
 *   Cloud Storage   FIREBASE_STORAGE_EMULATOR_HOST if set; else firebase-tools' Storage emulator
 *               without its rules runtime (own process, firebase.json's storage port; media)
 *   socket host   socket-host/src/main.ts on SOCKET_HOST_PORT (8090; its health endpoints)
 *
 * First run (lib/first-run.ts): an operator is seeded in the Auth emulator, and what to open and
 * who to sign in as are printed before anything else, with shell lines that list the accounts as
 * that operator. The children's start-up output is held back until then (lib/startup-output.ts).
 *
 * With WHATSAPP_TRANSPORT=simulated the socket host talks to the simulated WhatsApp instead: when
 * Firestore holds no account yet, a demo account (`accounts/demo`) is created, and the simulated
 * phone scans its QR code by itself, so it reaches `connection.state == 'open'` without a phone.
 *
 * Ctrl-C (or SIGTERM) stops everything, host first. After a crash (SIGKILL), the next start stops
 * what the previous one left running; a port taken by anything else makes it exit at once, naming
 * the port (lib/local-stack.ts).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CALLABLE_NAMES } from '@wasync/shared/client';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore } from 'firebase-admin/firestore';
import { failOnExit, stopChild } from './lib/child-process.ts';
import {
  configuredEmulatorPort,
  type FirebaseEmulators,
  fixedEmulatorPorts,
  REPO_ROOT,
  startFirebaseEmulators,
} from './lib/firebase-emulators.ts';
import { DEMO_PROJECT, type FirestoreBackend, startFirestoreBackend } from './lib/firestore-backend.ts';
import {
  dashboardIsServed,
  ensureDemoAccount,
  firstRunLines,
  type OperatorCredentials,
  operatorCredentials,
  seedOperator,
} from './lib/first-run.ts';
import {
  assertPortsFree,
  forgetChildren,
  type RecordedChild,
  recordChildren,
  stopLeftovers,
  stopRecorded,
} from './lib/local-stack.ts';
import { freePort, waitFor } from './lib/ports.ts';
import { StartupOutput } from './lib/startup-output.ts';
import { type StorageBackend, startStorageBackend, storageEmulatorHostFrom } from './lib/storage-backend.ts';

// WASYNC_START_PORTS=free (local-only): free ports instead of firebase.json's, and no bookkeeping
// of leftovers, so a test can run the whole stack beside a developer's `npm start`.
const freePorts = process.env.WASYNC_START_PORTS?.trim() === 'free';
const HOST_PORT = Number(process.env.SOCKET_HOST_PORT ?? (freePorts ? await freePort() : 8090));
const say = (line: string) => process.stdout.write(`[start] ${line}\n`);
const output = new StartupOutput(`${REPO_ROOT}.emulators/startup.log`);

let firestore: FirestoreBackend | undefined;
let storage: StorageBackend | undefined;
let emulators: FirebaseEmulators | undefined;
let host: ChildProcess | undefined;
let stopping = false;
process.on('SIGINT', () => void stopAll('SIGINT'));
process.on('SIGTERM', () => void stopAll('SIGTERM'));

let operator: OperatorCredentials;
try {
  operator = operatorCredentials();
} catch (err) {
  say(`cannot start: ${(err as Error).message}`);
  process.exit(1);
}

const official = !process.env.FIRESTORE_EMULATOR_HOST && javaMajorVersion() >= 21;
const ports: Record<string, number> = {
  ...fixedEmulatorPorts(!process.env.FIRESTORE_EMULATOR_HOST),
  // Cloud Storage (media): embedded on firebase.json's port unless FIREBASE_STORAGE_EMULATOR_HOST names one.
  ...(storageEmulatorHostFrom(process.env) ? {} : { 'storage emulator': configuredEmulatorPort('storage') }),
};
if (!freePorts) {
  await stopLeftovers(say);
  try {
    await assertPortsFree({ ...ports, 'socket host (SOCKET_HOST_PORT)': HOST_PORT });
  } catch (err) {
    say(`cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
}
// If this process is killed outright, the next `npm start` stops what it started (lib/local-stack.ts);
// a start that is still running (its npm parent was killed, say) is asked to stop first.
const children: RecordedChild[] = [
  { name: 'npm start', pid: process.pid, group: false, commandIncludes: 'scripts/start.ts' },
];
const track = (child: RecordedChild) => {
  children.push(child);
  if (!freePorts) recordChildren(children);
};
if (!freePorts) recordChildren(children);

try {
  await startStack();
} catch (err) {
  process.stderr.write(output.held());
  say(`cannot start: ${(err as Error).message}`);
  await stopAll('failed start', 1);
}

async function startStack(): Promise<void> {
  firestore = await startFirestore();
  storage = await startStorage();
  emulators = await startEmulators(firestore, storage);
  // firebase-admin in this process (seeding) reaches the emulators through these, read per call.
  process.env.FIRESTORE_EMULATOR_HOST = emulators.firestoreHost;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = emulators.authHost;
  const functionsBase = `${emulators.functionsUrl}/${emulators.project}/us-central1`;
  const apiBase = `${functionsBase}/api/whatsapp`;
  // Asked now, so the function's log lines about it stay with the start-up output.
  const dashboardUrl = (await dashboardIsServed(`${apiBase}/dashboard`)) ? `${apiBase}/dashboard` : undefined;
  await seedFirstOperator(emulators.authHost);
  const simulated = process.env.WHATSAPP_TRANSPORT?.trim().toLowerCase() === 'simulated';
  const demo = simulated ? await seedDemoAccount() : undefined;
  host = await startHost(emulators, simulated);

  const firstRun = firstRunLines({ operator, authHost: emulators.authHost, apiBase, functionsBase, dashboardUrl });
  for (const line of firstRun.say) say(line);
  for (const line of firstRun.paste) process.stdout.write(`${line}\n`);
  printAddresses(emulators, functionsBase, apiBase);
  output.release();
  say(`Ctrl-C stops everything. Start-up output of the emulators and the host: ${output.file.slice(REPO_ROOT.length)}`);
  if (demo) void reportDemo(demo);
}

/** The embedded Firestore, FIRESTORE_EMULATOR_HOST's, or none (firebase-tools runs the official one). */
async function startFirestore(): Promise<FirestoreBackend | undefined> {
  say(official ? 'Java ≥ 21 found: firebase-tools will run the official Firestore emulator' : 'starting Firestore…');
  if (official) return undefined;
  const backend = await startFirestoreBackend(process.env, {
    port: freePorts ? await freePort() : ports['firestore emulator'],
  });
  if (backend.pid) {
    track({ name: 'embedded Firestore', pid: backend.pid, group: false, commandIncludes: 'firestore-embedded.ts' });
  }
  say(`Firestore (${backend.kind === 'external' ? 'from FIRESTORE_EMULATOR_HOST' : 'embedded'}) at ${backend.host}`);
  return backend;
}

/**
 * Cloud Storage (media): firebase-tools' Storage emulator without its rules runtime, in its own
 * process (it exits with this one); admin requests only (scripts/storage-embedded.ts).
 */
async function startStorage(): Promise<StorageBackend> {
  say('starting Cloud Storage…');
  const backend = await startStorageBackend(process.env, {
    port: freePorts ? await freePort() : configuredEmulatorPort('storage'),
  });
  say(
    `Cloud Storage (${backend.kind === 'external' ? 'from FIREBASE_STORAGE_EMULATOR_HOST' : 'embedded, no rules'}) at ${backend.host}`,
  );
  return backend;
}

async function startEmulators(
  backend: FirestoreBackend | undefined,
  media: StorageBackend,
): Promise<FirebaseEmulators> {
  say('building functions and starting the emulators…');
  execFileSync(process.execPath, ['functions/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  return startFirebaseEmulators({
    firestoreHost: backend?.host ?? '',
    storageHost: media.host,
    ports: freePorts ? 'free' : 'fixed',
    withOfficialFirestore: official,
    output: (line) => output.line('emulators', line),
    onSpawn: (pid) => track({ name: 'firebase emulators', pid, group: true, commandIncludes: 'emulators:start' }),
  });
}

/** The socket host on SOCKET_HOST_PORT, once it is ready; the stack stops if it exits later. */
async function startHost(stack: FirebaseEmulators, simulated: boolean): Promise<ChildProcess> {
  say(`starting the socket host${simulated ? ' (simulated WhatsApp)' : ''}…`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'socket-host/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      FIRESTORE_EMULATOR_HOST: stack.firestoreHost,
      FIREBASE_AUTH_EMULATOR_HOST: stack.authHost,
      CLOUD_TASKS_EMULATOR_HOST: stack.tasksHost,
      FIREBASE_STORAGE_EMULATOR_HOST: storage!.host,
      GCLOUD_PROJECT: DEMO_PROJECT,
      METADATA_SERVER_DETECTION: 'none',
      PORT: String(HOST_PORT),
      HOST_ID: process.env.HOST_ID ?? 'local-dev',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => output.line('host', line));
  track({ name: 'socket host', pid: child.pid!, group: false, commandIncludes: 'socket-host/src/main.ts' });
  await Promise.race([
    waitFor('socket host /readyz', async () => (await fetch(`http://127.0.0.1:${HOST_PORT}/readyz`)).ok, 30_000),
    failOnExit(child, 'socket host'),
  ]);
  child.on('exit', (code) => {
    if (!stopping) {
      say(`socket host exited unexpectedly (code ${code}); stopping the stack`);
      void stopAll('host exit', 1);
    }
  });
  return child;
}

function printAddresses(stack: FirebaseEmulators, functionsBase: string, apiBase: string): void {
  const [firestoreHostname, firestorePort] = stack.firestoreHost.split(':');
  const health = `http://127.0.0.1:${HOST_PORT}`;
  const urls: [string, string][] = [
    [
      'Firestore emulator (FIRESTORE_EMULATOR_HOST)',
      `${stack.firestoreHost}   connectFirestoreEmulator(db, '${firestoreHostname}', ${firestorePort})`,
    ],
    ['Auth emulator (FIREBASE_AUTH_EMULATOR_HOST)', stack.authHost],
    ['Cloud Tasks emulator (CLOUD_TASKS_EMULATOR_HOST)', stack.tasksHost],
    ['Storage (FIREBASE_STORAGE_EMULATOR_HOST)', storage!.host],
    ['Functions emulator', `${functionsBase}/<function>`],
    ['  HTTPS API (Bearer <ID token>)', `${apiBase}/…`],
    ['  OpenAPI document', `${apiBase}/openapi.json`],
    ...CALLABLE_NAMES.map((name): [string, string] => [`  callable ${name}`, `${functionsBase}/${name}`]),
    ['Socket host health', `${health}/healthz  ${health}/readyz`],
  ];
  say('every address:');
  for (const [name, url] of urls) say(`  ${name.padEnd(48)} ${url}`);
}

async function stopAll(why: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${why}: stopping…`);
  if (host) await stopChild(host);
  await emulators?.stop();
  await storage?.stop();
  await firestore?.stop();
  await stopRecorded(children); // anything started without a handle yet (a stop during start-up)
  if (!freePorts) forgetChildren();
  say('stopped.');
  process.exit(exitCode);
}

/** Seeds the operator that `firstRunLines` tells the user to sign in as (lib/first-run.ts). */
async function seedFirstOperator(authHost: string): Promise<void> {
  const app = initializeApp({ projectId: DEMO_PROJECT }, 'start-operator');
  try {
    const { created } = await seedOperator(getAuth(app), operator);
    if (!created)
      say(`operator ${operator.email} existed in the Auth emulator (${authHost}): password and claim reset`);
  } finally {
    await deleteApp(app);
  }
}

/** Creates `accounts/demo` when there is no account at all; returns the account to watch, if any. */
async function seedDemoAccount(): Promise<string> {
  const app = initializeApp({ projectId: DEMO_PROJECT }, 'start-demo');
  try {
    const demo = await ensureDemoAccount(getFirestore(app));
    say(
      demo.created
        ? `simulated WhatsApp: created the demo account accounts/${demo.accountId}; its simulated phone pairs by itself`
        : `simulated WhatsApp: using the existing account ${demo.accountId}`,
    );
    return demo.accountId;
  } finally {
    await deleteApp(app);
  }
}

/** Says when the demo account is open (or what it shows instead), once. */
async function reportDemo(accountId: string): Promise<void> {
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
