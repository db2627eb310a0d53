/**
 * Runs before any function is defined (index.ts imports it first): a real deployment that carries
 * emulator settings refuses to start (shared/src/deployment.ts says why and how a real deployment
 * is recognised). Throwing at load keeps the revision from ever serving: Cloud Run leaves traffic
 * on the previous one, and the log says which variables to remove.
 */
import { deploymentProblem } from '@wasync/shared';
import { logger } from 'firebase-functions';

const problem = deploymentProblem(process.env);
if (problem !== undefined) {
  logger.write({ severity: 'CRITICAL', message: problem });
  throw new Error(problem);
}
