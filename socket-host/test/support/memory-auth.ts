/** An in-memory Baileys auth state (tests that do not need Firestore). */
export { memoryAuthState } from '../../src/transport/simulated/memory-keys.ts';
