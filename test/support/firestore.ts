/**
 * What tests use to reach Firestore: an admin `Firestore` for the demo project, a way to clear it,
 * and `requires()` to mark a test pending when the running backend lacks a capability.
 */
import { deleteApp, getApps, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';
import {
  DEMO_PROJECT,
  type FirestoreBackend,
  type FirestoreCapabilities,
  probeCapabilities,
} from '../../scripts/lib/firestore-backend.ts';

/**
 * The run's backend lives on `globalThis`, not in module variables: mocha loads test files that
 * import ESM-only packages (Baileys) as ES modules and the rest through `require`, so this file can
 * be instantiated twice in one run. Both instances must see the backend the root hooks started.
 */
interface RunState {
  backend?: FirestoreBackend;
  capabilities?: FirestoreCapabilities;
}
const STATE_KEY = Symbol.for('wasync.test.firestore');
const globals = globalThis as Record<symbol, RunState | undefined>;
globals[STATE_KEY] ??= {};
const run: RunState = globals[STATE_KEY];

export async function setBackend(b: FirestoreBackend): Promise<FirestoreCapabilities> {
  run.backend = b;
  run.capabilities = await probeCapabilities(b.host, testDb());
  return run.capabilities;
}

export async function stopBackend(): Promise<void> {
  await Promise.all(getApps().map((app) => deleteApp(app)));
  await run.backend?.stop();
}

/** The admin-SDK Firestore of the test project (talks to FIRESTORE_EMULATOR_HOST). */
export function testDb(): Firestore {
  const app = getApps().find((a) => a.name === 'test') ?? initializeApp({ projectId: DEMO_PROJECT }, 'test');
  return getFirestore(app);
}

export function firestoreHost(): string {
  if (!run.backend) throw new Error('Firestore backend not started: run tests through mocha (root hooks)');
  return run.backend.host;
}

/** The embedded emulator's admin URL (`GET /memory`, `GET /listeners`); undefined on the official one. */
export function embeddedAdminUrl(): string | undefined {
  return run.backend?.admin;
}

/** Deletes every document in the test project. */
export async function clearFirestore(): Promise<void> {
  if (!run.backend) throw new Error('Firestore backend not started');
  await run.backend.clear(DEMO_PROJECT);
}

const NEEDS: Record<Exclude<keyof FirestoreCapabilities, 'backend'>, string> = {
  securityRules: 'security rules',
  collectionGroupQueries: 'collection-group queries',
  isolatedTransactions: 'isolated transactions',
};

/**
 * Call first in a test body: when the backend lacks `capability`, the test is marked pending with
 * the reason in its title, so the gap is visible in every run's output.
 */
export function requires(ctx: Mocha.Context, capability: keyof typeof NEEDS): void {
  const { capabilities } = run;
  if (!capabilities) throw new Error('capabilities not probed yet');
  if (capabilities[capability]) return;
  if (ctx.test) ctx.test.title += ` (pending: needs the official Firestore emulator for ${NEEDS[capability]})`;
  ctx.skip();
}

export function currentCapabilities(): FirestoreCapabilities {
  if (!run.capabilities) throw new Error('capabilities not probed yet');
  return run.capabilities;
}
