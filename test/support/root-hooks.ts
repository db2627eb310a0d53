/**
 * Mocha root hooks: one Firestore backend for the whole run (see scripts/lib/firestore-backend.ts),
 * exported to every test through FIRESTORE_EMULATOR_HOST, and its capabilities probed once.
 */
import { DEMO_PROJECT, startFirestoreBackend } from '../../scripts/lib/firestore-backend.ts';
import { setBackend, stopBackend } from './firestore.ts';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    const backend = await startFirestoreBackend();
    process.env.FIRESTORE_EMULATOR_HOST = backend.host;
    process.env.GCLOUD_PROJECT ??= DEMO_PROJECT;
    // No GCE metadata server here: stop google-auth from probing for one.
    process.env.METADATA_SERVER_DETECTION ??= 'none';
    const capabilities = await setBackend(backend);
    console.log(
      `  Firestore: ${capabilities.backend} emulator at ${backend.host} ` +
        `(rules: ${capabilities.securityRules}, collection groups: ${capabilities.collectionGroupQueries}, ` +
        `isolated transactions: ${capabilities.isolatedTransactions})`,
    );
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopBackend();
  },
};
