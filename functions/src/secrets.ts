/**
 * Server secrets, from Secret Manager through firebase-functions' `defineSecret`: a function
 * sees a secret only if it lists it in its `secrets` option (index wiring: `api`, `sendMessage`).
 *
 * Local runs (the Functions emulator reads `functions/.secret.local`; in-process tests have no
 * secret at all) use a fixed value that is published in this repository. A real deployment
 * (shared/src/deployment.ts) without the secret, or with that published value, fails every
 * request that needs it instead of falling back.
 */
import { AppError, type Env, isRealDeployment } from '@wasync/shared';
import { defineSecret } from 'firebase-functions/params';
import { config } from './config.js';

/** Keys the WhatsApp ids of sends (commands/ids.ts) and the ids in request logs (api/log.ts). */
export const sendIdSecret = defineSecret('SEND_ID_SECRET');

/** The value in functions/.secret.local: public, for local runs only. */
export const LOCAL_SEND_ID_SECRET = 'local-only-send-id-secret-never-used-in-a-deployment';

/**
 * The HMAC key for send ids and log ids. `configured` is SEND_ID_SECRET as the functions' config
 * parsed it (at least 32 characters when set): the runtime puts secrets in the environment, which
 * is all `sendIdSecret.value()` reads.
 */
export function sendIdKey(configured: string | undefined = config().sendIdSecret, env: Env = process.env): string {
  if (!isRealDeployment(env)) return configured ?? LOCAL_SEND_ID_SECRET;
  if (configured === undefined || configured === LOCAL_SEND_ID_SECRET) {
    throw new AppError(
      'config_invalid',
      `${sendIdSecret.name} must be set to a random secret in a deployment (openssl rand -base64 32 | firebase functions:secrets:set ${sendIdSecret.name})`,
    );
  }
  return configured;
}
