/**
 * socket.js `uploadPreKeysToServerIfRequired`, the companion's half of the key directory: ask the
 * server how many one-time pre-keys it holds; none → upload INITIAL_PREKEY_COUNT (812), at most
 * MIN_PREKEY_COUNT (or the newest one missing from the store) → upload MIN_PREKEY_COUNT. Keys and
 * the creds counter in one key transaction (`getNextPreKeysNode`, `creds.update` inside it), as
 * Baileys does; a failure is logged and the login goes on.
 */
import {
  type AuthenticationCreds,
  type BaileysEventEmitter,
  getNextPreKeysNode,
  INITIAL_PREKEY_COUNT,
  MIN_PREKEY_COUNT,
  type SignalKeyStoreWithTransaction,
} from '@whiskeysockets/baileys';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';
import type { PreKeyDirectory } from './prekey-directory.ts';

export interface PreKeyUploadContext {
  readonly creds: AuthenticationCreds;
  readonly keys: SignalKeyStoreWithTransaction;
  readonly ev: BaileysEventEmitter;
  readonly logger: ILogger;
  /** False once the connection closed: an upload in flight is not handed to the server then. */
  isOpen(): boolean;
}

export async function uploadPreKeysIfRequired(ctx: PreKeyUploadContext, server: PreKeyDirectory): Promise<void> {
  const { creds, keys, ev, logger } = ctx;
  const device = creds.me!.id;
  try {
    server.adopt(device, creds);
    const onServer = server.count(device);
    const count = onServer === 0 ? INITIAL_PREKEY_COUNT : MIN_PREKEY_COUNT;
    const current = creds.nextPreKeyId - 1;
    const missingCurrent = current > 0 && !(await keys.get('pre-key', [String(current)]))[String(current)];
    if (onServer > count && !missingCurrent) return;
    const node = await keys.transaction(async () => {
      const { update, node } = await getNextPreKeysNode({ creds, keys }, count);
      ev.emit('creds.update', update);
      return node;
    }, creds.me?.id || 'upload-pre-keys');
    if (ctx.isOpen()) server.upload(device, node);
  } catch (err) {
    logger.error({ err }, 'simulated login: pre-key upload failed');
  }
}
