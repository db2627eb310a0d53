/**
 * One set of firebase-tools emulators (Auth, Functions, Cloud Tasks) for the whole mocha run,
 * started by the first suite that asks (~10 s) and stopped after the last test, pointed at the
 * run's test Firestore. The Functions emulator serves the freshly built functions/lib bundle.
 *
 * The root `after` hook below is registered when a spec file first imports this module (mocha
 * has defined its globals by then and is loading files into the root suite).
 */
import { execFileSync } from 'node:child_process';
import { type FirebaseEmulators, REPO_ROOT, startFirebaseEmulators } from '../../scripts/lib/firebase-emulators.ts';
import { firestoreHost } from './firestore.ts';

/**
 * The run's emulators live on `globalThis`, not in a module variable: mocha loads test files that
 * import ESM-only packages (Baileys) as ES modules and the rest through `require`, so this file can
 * be instantiated twice in one run (as test/support/firestore.ts explains). A second instance must
 * not start a second set, which would also repoint FIREBASE_AUTH_EMULATOR_HOST under the first.
 */
interface RunState {
  started?: Promise<FirebaseEmulators>;
  stopHookRegistered?: boolean;
}
const STATE_KEY = Symbol.for('wasync.test.emulators');
const globals = globalThis as Record<symbol, RunState | undefined>;
globals[STATE_KEY] ??= {};
const run: RunState = globals[STATE_KEY];

/** SEND_BUDGET_PER_MINUTE of the emulated functions. */
export const EMULATED_SEND_BUDGET = 3;

/** The shared emulators; also points this process's firebase-admin at their Auth emulator. */
export function sharedEmulators(): Promise<FirebaseEmulators> {
  run.started ??= (async () => {
    execFileSync(process.execPath, ['functions/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    const emulators = await startFirebaseEmulators({
      firestoreHost: firestoreHost(),
      ports: 'free',
      output: 'ignore',
      // Small, so the emulated race (functions-limits.test.ts) needs few function instances.
      env: { SEND_BUDGET_PER_MINUTE: String(EMULATED_SEND_BUDGET) },
    });
    // firebase-admin (verifyIdToken, getUserByEmail) reads this per call.
    process.env.FIREBASE_AUTH_EMULATOR_HOST = emulators.authHost;
    return emulators;
  })();
  return run.started;
}

if (typeof after === 'function' && !run.stopHookRegistered) {
  run.stopHookRegistered = true;
  after(async function () {
    this.timeout(30_000);
    if (run.started) await (await run.started.catch(() => undefined))?.stop();
  });
}
