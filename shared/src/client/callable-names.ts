/**
 * Names of every callable, apart from the zod schemas of contract.ts (which re-exports them), so
 * that code which only calls the callables — the dashboard page, through
 * `@wasync/shared/client/callables` — bundles no zod.
 */
import type { CallableName } from './contract.ts';

/** Names of every callable, in a stable order (the deployed surface). */
export const CALLABLE_NAMES = [
  'listAccounts',
  'listThreads',
  'listMessages',
  'sendMessage',
  'requestBackfill',
  'createAccount',
  'startPairing',
  'logoutAccount',
  'addMember',
  'removeMember',
  'getMediaUrl',
] as const satisfies readonly CallableName[];
