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

let started: Promise<FirebaseEmulators> | undefined;

/** SEND_BUDGET_PER_MINUTE of the emulated functions. */
export const EMULATED_SEND_BUDGET = 3;

/** The shared emulators; also points this process's firebase-admin at their Auth emulator. */
export function sharedEmulators(): Promise<FirebaseEmulators> {
  started ??= (async () => {
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
  return started;
}

if (typeof after === 'function') {
  after(async function () {
    this.timeout(30_000);
    if (started) await (await started.catch(() => undefined))?.stop();
  });
}
