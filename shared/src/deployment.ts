/**
 * Telling a real deployment from a local emulator, and refusing emulator settings in a real one.
 *
 * Why: the emulator variables switch security off. With `FIREBASE_AUTH_EMULATOR_HOST` set,
 * firebase-admin accepts unsigned ID tokens; with `FUNCTIONS_EMULATOR`/`FIREBASE_DEBUG_FEATURES`
 * the callables skip token verification; with `FIRESTORE_EMULATOR_HOST` data goes to whatever
 * listens there. A `functions/.env` copied from a laptop would deploy them. So a real deployment
 * that finds any of them set refuses to start.
 *
 * How a real deployment is recognised: Cloud Run starts it (Cloud Functions 2nd gen are Cloud
 * Run services) and sets `K_CONFIGURATION` for every service, and `K_REVISION` to a revision name
 * such as `api-00003-xaz`. The Functions emulator sets `K_SERVICE` and `K_REVISION=1` but never
 * `K_CONFIGURATION`; firebase-tools refuses both names in `.env` files, so neither can be set by
 * accident. Everything else (tests, `npm start`, deploy-time trigger discovery) is local.
 *
 * Pure: takes the environment, reads nothing itself.
 */
import type { Env } from './config.ts';

/** Cloud Run's revision names: `<service>-<5 digits>-<3 characters>`. */
const CLOUD_RUN_REVISION = /^[a-z0-9-]+-\d{5}-[a-z0-9]{3}$/;

/**
 * Every variable firebase-tools' emulators set (src/emulator/env.ts, functionsEmulator.ts) or that
 * points an SDK at an emulator.
 */
export const EMULATOR_VARIABLES = [
  'FUNCTIONS_EMULATOR',
  'FIREBASE_DEBUG_MODE',
  'FIREBASE_DEBUG_FEATURES',
  'FIREBASE_EMULATOR_HUB',
  'FIRESTORE_EMULATOR_HOST',
  'FIREBASE_FIRESTORE_EMULATOR_ADDRESS',
  'FIREBASE_AUTH_EMULATOR_HOST',
  'FIREBASE_DATABASE_EMULATOR_HOST',
  'FIREBASE_STORAGE_EMULATOR_HOST',
  'STORAGE_EMULATOR_HOST',
  'PUBSUB_EMULATOR_HOST',
  'CLOUD_EVENTARC_EMULATOR_HOST',
  'CLOUD_TASKS_EMULATOR_HOST',
  'FIREBASE_DATA_CONNECT_EMULATOR_HOST',
  'DATA_CONNECT_EMULATOR_HOST',
] as const;

/** Whether this process is a real Cloud Run (Cloud Functions 2nd gen) instance. */
export function isRealDeployment(env: Env): boolean {
  const revision = env.K_REVISION?.trim();
  return Boolean(env.K_CONFIGURATION?.trim()) || (revision !== undefined && CLOUD_RUN_REVISION.test(revision));
}

/** The emulator variables set (non-empty) in `env`. */
export function emulatorVariablesIn(env: Env): string[] {
  return EMULATOR_VARIABLES.filter((name) => Boolean(env[name]?.trim()));
}

/**
 * Why a process must not start: a real deployment with emulator variables set (their names,
 * never their values). Undefined when all is well.
 */
export function deploymentProblem(env: Env): string | undefined {
  if (!isRealDeployment(env)) return undefined;
  const set = emulatorVariablesIn(env);
  if (set.length === 0) return undefined;
  return `refusing to start: emulator variables are set in a real deployment (${set.join(', ')}); they switch token verification off or point at emulators. Remove them from functions/.env* and the service's environment.`;
}
