/**
 * Cloud Functions entry point: wiring only. Each export is one deployed function.
 */
// First: checks the environment before anything else is loaded (setup.ts).
import './setup.js';

export { api } from './api/function.js';
export {
  addMember,
  createAccount,
  getMediaUrl,
  listAccounts,
  listMessages,
  listThreads,
  logoutAccount,
  removeMember,
  requestBackfill,
  sendMessage,
  startPairing,
} from './callables/index.js';
export { backfill } from './tasks/backfill.js';
