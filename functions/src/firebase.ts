/**
 * The one firebase-admin app of the functions codebase, created on first use.
 *
 * Lazy so that deploy-time trigger discovery (which imports index.js without credentials)
 * never touches Firestore.
 */
import { getApps, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';

let db: Firestore | undefined;

export function firestore(): Firestore {
  if (!db) {
    const app = getApps().find((a) => a.name === '[DEFAULT]') ?? initializeApp();
    db = getFirestore(app);
    // Optional contract fields are omitted rather than written as undefined.
    db.settings({ ignoreUndefinedProperties: true });
  }
  return db;
}
