/**
 * The socket host's firebase-admin app. One app per host instance (named by host id) so that
 * closing a host — `delete()` on shutdown — releases exactly its own connections.
 */
import { type App, deleteApp, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';

export interface FirestoreHandle {
  /** The app (its Storage client: the media bucket; its task queues: backfill scheduling). */
  app: App;
  db: Firestore;
  close(): Promise<void>;
}

export function openFirestore(hostId: string, projectId: string | undefined): FirestoreHandle {
  const app: App = initializeApp(projectId ? { projectId } : {}, `socket-host-${hostId}`);
  const db = getFirestore(app);
  // Optional contract fields are omitted rather than written as undefined.
  db.settings({ ignoreUndefinedProperties: true });
  return { app, db, close: () => deleteApp(app) };
}
