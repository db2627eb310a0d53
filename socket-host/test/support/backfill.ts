/** What the backfill tests read back: the thread of a simulated chat and how many messages it holds. */
import { setTimeout as sleep } from 'node:timers/promises';
import { paths, threadDocId } from '@wasync/shared';
import { testDb } from '../../../test/support/firestore.ts';
import { pnJid, type SimChat } from '../../src/transport/simulated/phone.ts';

/** The thread a simulated chat is stored in: a DM by its person's phone number (even when the phone keys it by LID). */
export function threadOf(chat: SimChat): string {
  return threadDocId(chat.kind === 'dm' ? pnJid(chat.members[0]!.pn) : chat.jid);
}

/** Messages stored in a thread (an aggregate count, not a scan). */
export async function storedMessages(accountId: string, threadId: string): Promise<number> {
  return (await testDb().collection(paths.messages(accountId, threadId)).count().get()).data().count;
}

/** Polls until every chat's thread holds `perChat` messages (the pairing history imported), or `timeoutMs`. */
export async function waitForPairingHistory(
  accountId: string,
  chats: readonly SimChat[],
  perChat: number,
  timeoutMs = 30_000,
): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(100)) {
    const counts = await Promise.all(chats.map((chat) => storedMessages(accountId, threadOf(chat))));
    if (counts.every((n) => n === perChat)) return;
  }
}
