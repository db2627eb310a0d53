/**
 * A poll vote as a voter's phone sends it: `PollVoteMessage` (option SHA-256 hashes) sealed with
 * AES-GCM under the key WhatsApp derives from the poll's secret and the JIDs — the exact inverse
 * of Baileys' `decryptPollVote` (process-message.js), built from Baileys' own crypto helpers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { aesEncryptGCM, hmacSign, proto } from '@whiskeysockets/baileys';

export function encryptPollVote(
  options: readonly string[],
  ctx: { pollCreatorJid: string; pollMsgId: string; pollEncKey: Uint8Array; voterJid: string },
): proto.Message.IPollEncValue {
  const sign = Buffer.concat([
    Buffer.from(ctx.pollMsgId),
    Buffer.from(ctx.pollCreatorJid),
    Buffer.from(ctx.voterJid),
    Buffer.from('Poll Vote'),
    new Uint8Array([1]),
  ]);
  const key0 = hmacSign(ctx.pollEncKey, new Uint8Array(32), 'sha256');
  const key = hmacSign(sign, key0, 'sha256');
  const selectedOptions = options.map((name) => createHash('sha256').update(name).digest());
  const plaintext = proto.Message.PollVoteMessage.encode({ selectedOptions }).finish();
  const encIv = randomBytes(12);
  const encPayload = aesEncryptGCM(plaintext, key, encIv, Buffer.from(`${ctx.pollMsgId}\u0000${ctx.voterJid}`));
  return { encPayload, encIv };
}
