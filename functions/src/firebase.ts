/**
 * The one firebase-admin app of the functions codebase, created on first use.
 *
 * Lazy so that deploy-time trigger discovery (which imports index.js without credentials)
 * never touches Firestore.
 */
import { type App, getApps, initializeApp } from 'firebase-admin/app';
import { type Auth, getAuth } from 'firebase-admin/auth';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';

/**
 * Kept on `globalThis`: a process that loads this module twice (the test runner loads it both as an
 * ES module and through require) must still configure the one Firestore instance only once —
 * `settings()` throws on an instance already in use.
 */
const DB = Symbol.for('wasync.functions.firestore');
const shared = globalThis as { [DB]?: Firestore };

function app(): App {
  return getApps().find((a) => a.name === '[DEFAULT]') ?? initializeApp();
}

/** The default app (Storage: the media bucket). */
export function adminApp(): App {
  return app();
}

export function firestore(): Firestore {
  let db = shared[DB];
  if (!db) {
    db = getFirestore(app());
    // Optional contract fields are omitted rather than written as undefined.
    db.settings({ ignoreUndefinedProperties: true });
    shared[DB] = db;
  }
  return db;
}

/** firebase-admin Auth: verifies ID tokens (the Auth emulator's when FIREBASE_AUTH_EMULATOR_HOST is set). */
export function auth(): Auth {
  return getAuth(app());
}

/** gRPC status Firestore fails `create()` with when the document exists (a lost race, a taken id). */
const GRPC_ALREADY_EXISTS = 6;

export function isAlreadyExists(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === GRPC_ALREADY_EXISTS;
}
