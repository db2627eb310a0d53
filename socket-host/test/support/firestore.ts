/**
 * The shared test Firestore helpers (test/support/firestore.ts), reached through `require`.
 *
 * Mocha loads the root hooks with `require`, so the backend they start lives in the CommonJS
 * instance of that module. A test file whose imports include Baileys (top-level await in its module
 * graph) cannot be required and is imported as ESM instead, which would load a second, empty
 * instance of the helpers ("Firestore backend not started"). Requiring them here returns the one
 * the root hooks set up.
 */
import { createRequire } from 'node:module';

type Helpers = typeof import('../../../test/support/firestore.ts');
const helpers = createRequire(import.meta.url)('../../../test/support/firestore.ts') as Helpers;

export const { clearFirestore, currentCapabilities, firestoreHost, requires, testDb } = helpers;
