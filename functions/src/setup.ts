/**
 * Runs before any function is defined (index.ts imports it first):
 *
 * 1. A real deployment that carries emulator settings refuses to start (shared/src/deployment.ts
 *    says why and how a real deployment is recognised). Throwing at load keeps the revision from
 *    ever serving: Cloud Run leaves traffic on the previous one, and the log says which variables
 *    to remove.
 * 2. The options every function deploys with (deploy-options.ts) — region, size, instance cap —
 *    become the global options, which each function definition reads when it is made.
 */
import { deploymentProblem } from '@wasync/shared';
import { logger } from 'firebase-functions';
import { setGlobalOptions } from 'firebase-functions/v2';
import { config } from './config.js';
import { globalOptions } from './deploy-options.js';

const problem = deploymentProblem(process.env);
if (problem !== undefined) {
  logger.write({ severity: 'CRITICAL', message: problem });
  throw new Error(problem);
}

setGlobalOptions(globalOptions(config()));
