/**
 * The baseline: what a first attempt at "store every message" does — each history message
 * normalised and `set()` on its own, then its thread updated (`set` with merge), one awaited
 * call after the other; no reads, no batching, no preconditions, no join (updates such as edits
 * are not applied at all, so it does less than the pipeline).
 */
import { processHistoryMessage, proto } from '@whiskeysockets/baileys';
import type { Firestore } from 'firebase-admin/firestore';
import { threadDocId } from '../../shared/src/ids.ts';
import { normalizeMessage } from '../../shared/src/normalize/index.ts';
import { paths } from '../../shared/src/schema.ts';
import { ME } from '../../socket-host/test/support/sync.ts';

/** Writes every message of `chunks` for `accountId`; returns how many messages it wrote. */
export async function naiveImport(
  db: Firestore,
  accountId: string,
  chunks: readonly proto.IHistorySync[],
  receivedAt: number,
) {
  const self = { pn: ME.id, lid: ME.lid };
  let written = 0;
  for (const chunk of chunks) {
    const { messages } = processHistoryMessage(proto.HistorySync.fromObject(chunk));
    for (const message of messages) {
      const result = normalizeMessage(message, { source: 'import', receivedAt, self });
      if (result.kind !== 'message') continue;
      const threadId = threadDocId(result.ref.chatJid);
      const docId = `${result.ref.sender ?? 'me'}~${result.ref.id}`;
      await db.doc(paths.message(accountId, threadId, docId)).set({ ...result.doc, accountId, threadId });
      await db
        .doc(paths.thread(accountId, threadId))
        .set(
          { accountId, jid: result.ref.chatJid, lastMessageAt: result.doc.timestamp, updatedAt: new Date() },
          { merge: true },
        );
      written += 1;
    }
  }
  return written;
}
