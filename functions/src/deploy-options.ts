/**
 * How the functions deploy, from their config: where, how big, how many. These are read at deploy
 * time, when firebase-tools loads index.js to discover the functions with the project's
 * `functions/.env` and `functions/.env.<projectId>` values (the same values the deployed functions
 * then get as their environment), so FUNCTIONS_REGION and the rest go there.
 */
import type { FunctionsConfig } from '@wasync/shared';
import type { GlobalOptions } from 'firebase-functions/v2';
import type { CallableOptions } from 'firebase-functions/v2/https';

/**
 * Options every function shares (setup.ts sets them before any is defined): the region, a
 * concurrent instance that serves up to 80 requests (one CPU: the work is I/O-bound Firestore and
 * Auth calls), a minute per request, and an instance cap.
 */
export function globalOptions(config: FunctionsConfig): GlobalOptions {
  return {
    region: config.functionsRegion,
    memory: '512MiB',
    cpu: 1,
    concurrency: 80,
    timeoutSeconds: 60,
    maxInstances: config.functionsMaxInstances,
  };
}

/** What differs for callables: App Check, when turned on (apps call callables; servers the API). */
export function callableOptions(config: FunctionsConfig): CallableOptions {
  return { enforceAppCheck: config.enforceAppCheck };
}
