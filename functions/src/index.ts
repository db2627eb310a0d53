/**
 * Cloud Functions entry point: wiring only. Each export is one deployed function.
 */
export { api } from './api/function.js';
export {
  addMember,
  createAccount,
  listAccounts,
  listMessages,
  listThreads,
  logoutAccount,
  removeMember,
  requestBackfill,
  sendMessage,
  startPairing,
} from './callables/index.js';
