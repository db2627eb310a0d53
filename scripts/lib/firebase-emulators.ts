/**
 * Starts firebase-tools' Auth, Functions and Cloud Tasks emulators (all run offline; the Firestore
 * emulator is provided separately, see firestore-backend.ts) pointed at a given Firestore.
 *
 * `ports: 'fixed'` uses the ports in firebase.json (for `npm start`); `'free'` writes a temporary
 * config with free ports, so tests can run beside a developer's `npm start`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEMO_PROJECT } from './firestore-backend.ts';
import { failOnExit } from './child-process.ts';
import { freePort, waitFor } from './ports.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIREBASE_BIN = `${REPO_ROOT}node_modules/.bin/firebase`;

export interface FirebaseEmulators {
  project: string;
  authHost: string;
  functionsUrl: string;
  tasksHost: string;
  firestoreHost: string;
  /** URL of a function, e.g. `functionUrl('createAccount')`. */
  functionUrl(name: string): string;
  /** Process id of firebase-tools, which leads its own process group. */
  pid: number;
  /** What firebase-tools and the functions printed so far (with `output: 'capture'`; else empty). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  firestoreHost: string;
  ports: 'fixed' | 'free';
  project?: string;
  /**
   * Also run firebase-tools' official Firestore emulator (needs Java 21 and its jar); then
   * `firestoreHost` is ignored and `FirebaseEmulators.firestoreHost` says where it listens.
   */
  withOfficialFirestore?: boolean;
  /** host:port of a Storage emulator the functions should use (FIREBASE_STORAGE_EMULATOR_HOST). */
  storageHost?: string;
  /**
   * Where firebase-tools' own output goes: this process's (default), nowhere, kept in memory for
   * `FirebaseEmulators.output()` ('capture'), or line by line to a function (`npm start` holds it
   * back until its own summary is printed).
   */
  output?: 'inherit' | 'ignore' | 'capture' | ((line: string) => void);
  /** Called with firebase-tools' process id as soon as it runs (`npm start` records it at once). */
  onSpawn?: (pid: number) => void;
  /** Extra environment for firebase-tools and the function processes it starts. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

type EmulatorName = 'auth' | 'functions' | 'tasks' | 'eventarc' | 'hub' | 'logging' | 'firestore';
const EMULATORS: EmulatorName[] = ['auth', 'functions', 'tasks', 'eventarc', 'hub', 'logging', 'firestore'];

export async function startFirebaseEmulators(opts: StartEmulatorsOptions): Promise<FirebaseEmulators> {
  const project = opts.project ?? DEMO_PROJECT;
  const baseConfig = JSON.parse(readFileSync(`${REPO_ROOT}firebase.json`, 'utf8'));
  const ports = await choosePorts(baseConfig.emulators, opts.ports);
  let configPath = `${REPO_ROOT}firebase.json`;
  if (opts.ports === 'free') {
    // firebase-tools resolves `functions.source` relative to the config file: keep it at the root.
    configPath = `${REPO_ROOT}.firebase-test-${process.pid}.json`;
    const emulators = { ...baseConfig.emulators };
    for (const name of EMULATORS) emulators[name] = { host: '127.0.0.1', port: ports[name] };
    writeFileSync(configPath, JSON.stringify({ ...baseConfig, emulators }, null, 2));
  }

  // WASYNC_EMULATOR_LOGS=1 shows firebase-tools' output even where the caller silences it.
  const output = process.env.WASYNC_EMULATOR_LOGS === '1' ? 'inherit' : (opts.output ?? 'inherit');
  const stdio = typeof output === 'function' || output === 'capture' ? 'pipe' : output;
  const only = opts.withOfficialFirestore ? 'auth,functions,tasks,firestore' : 'auth,functions,tasks';
  const firestoreHost = opts.withOfficialFirestore ? `127.0.0.1:${ports.firestore}` : opts.firestoreHost;
  const child = spawn(
    FIREBASE_BIN,
    ['emulators:start', '--only', only, '--project', project, '--config', configPath],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...opts.env,
        FIRESTORE_EMULATOR_HOST: firestoreHost,
        // The Functions emulator hands its own environment on to the functions.
        ...(opts.storageHost ? { FIREBASE_STORAGE_EMULATOR_HOST: opts.storageHost } : {}),
      },
      stdio: ['ignore', stdio, stdio],
      detached: true,
    },
  );
  if (typeof output === 'function') {
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', output);
  }
  opts.onSpawn?.(child.pid!);
  let captured = '';
  if (output === 'capture') {
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        captured += chunk.toString('utf8');
      });
    }
  }
  const stop = () => stopProcessGroup(child, opts.ports === 'free' ? configPath : undefined);

  const hub = `http://127.0.0.1:${ports.hub}`;
  const functionsUrl = `http://127.0.0.1:${ports.functions}`;
  try {
    await Promise.race([
      waitFor(
        'firebase emulators (auth, functions, tasks) with functions loaded; WASYNC_EMULATOR_LOGS=1 shows their output',
        () => emulatorsReady(hub, functionsUrl, only.split(',')),
        opts.timeoutMs ?? 120_000,
      ),
      failOnExit(child, 'firebase emulators'),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    project,
    authHost: `127.0.0.1:${ports.auth}`,
    functionsUrl,
    tasksHost: `127.0.0.1:${ports.tasks}`,
    firestoreHost,
    functionUrl: (name) => `${functionsUrl}/${project}/us-central1/${name}`,
    pid: child.pid!,
    output: () => captured,
    stop,
  };
}

/**
 * The fixed ports (firebase.json) `npm start` binds: firebase-tools' emulators, and Firestore's
 * unless Firestore comes from elsewhere (`FIRESTORE_EMULATOR_HOST`). Firestore keeps its port
 * whether the official or the embedded emulator serves it, so a client app's
 * `connectFirestoreEmulator(db, '127.0.0.1', 8080)` works with either.
 */
export function fixedEmulatorPorts(withFirestore: boolean): Record<string, number> {
  const names = EMULATORS.filter((name) => withFirestore || name !== 'firestore');
  return Object.fromEntries(names.map((name) => [`${name} emulator`, configuredEmulatorPort(name)]));
}

/** The port firebase.json gives emulator `name` (`emulators.<name>.port`). */
export function configuredEmulatorPort(name: string): number {
  const configured = JSON.parse(readFileSync(`${REPO_ROOT}firebase.json`, 'utf8')).emulators as Record<
    string,
    { port: number } | undefined
  >;
  const port = configured[name]?.port;
  if (port === undefined) throw new Error(`firebase.json has no emulators.${name}.port`);
  return port;
}

async function choosePorts(
  configured: Record<string, { port: number }>,
  mode: 'fixed' | 'free',
): Promise<Record<EmulatorName, number>> {
  const out = {} as Record<EmulatorName, number>;
  for (const name of EMULATORS) out[name] = mode === 'fixed' ? configured[name]!.port : await freePort();
  return out;
}

/**
 * Ready means: the hub lists every requested emulator, and the Functions emulator has loaded the
 * triggers from functions/lib (it lists a backend before its code is loaded).
 */
async function emulatorsReady(hub: string, functionsUrl: string, names: string[]): Promise<boolean> {
  const res = await fetch(`${hub}/emulators`);
  if (!res.ok) return false;
  const running = (await res.json()) as Record<string, unknown>;
  if (!names.every((name) => name in running)) return false;
  const loaded = await fetch(`${functionsUrl}/backends`);
  if (!loaded.ok) return false;
  const { backends } = (await loaded.json()) as { backends: { functionTriggers?: unknown[] }[] };
  return backends.length > 0 && backends.every((b) => (b.functionTriggers?.length ?? 0) > 0);
}

async function stopProcessGroup(child: ChildProcess, tempConfig?: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    // firebase-tools shuts its emulators down cleanly on SIGINT; the whole group avoids orphans.
    process.kill(-child.pid!, 'SIGINT');
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  if (tempConfig) rmSync(tempConfig, { force: true });
}
