/**
 * The benchmark history: the test suite's generated history (`generateHistory`: DMs keyed by phone
 * number or by LID, groups with LID participants, text, media metadata, quotes, revoked stubs, our
 * messages with receipts, embedded reactions), plus edits — one message in 40 is a MESSAGE_EDIT
 * protocol message of the message before it — cut as WhatsApp cuts a full history: whole
 * conversations per notification, each notification at most `perChunk` messages (a long
 * conversation continues in the next one).
 */
import { proto } from '@whiskeysockets/baileys';
import { type GeneratedThread, generateHistory } from '../../socket-host/test/support/history-gen.ts';

export const END_S = 1_735_689_600;
const GROUP_SHARE = 4; // one thread in four is a group

export interface BenchHistory {
  threads: GeneratedThread[];
  chunks: proto.IHistorySync[];
  /** History entries (messages, edits included). */
  entries: number;
}

/** `messages` history entries over `threads` threads (`seed` makes them a different history). */
export function benchHistory(
  messages: number,
  seed: string,
  { threads: count = 200, perChunk = 2_500 } = {},
): BenchHistory {
  const groups = Math.floor(count / GROUP_SHARE);
  const threads = generateHistory({
    seed,
    dms: count - groups,
    groups,
    messagesPerThread: Math.ceil(messages / count),
    endS: END_S,
  });
  for (const thread of threads) addEdits(thread.conversation);
  const chunks = byConversation(threads, perChunk);
  return { threads, chunks, entries: threads.reduce((n, t) => n + (t.conversation.messages?.length ?? 0), 0) };
}

/** Every 40th message (from the 20th) becomes an edit of the older message after it, by its sender. */
function addEdits(conversation: proto.IConversation): void {
  const messages = conversation.messages ?? [];
  for (let n = 20; n + 1 < messages.length; n += 40) {
    const edit = messages[n]!.message!;
    const target = messages[n + 1]!.message!;
    if (!target.message) continue; // a revoked stub has nothing to edit
    edit.key = { ...edit.key, fromMe: target.key!.fromMe, participant: target.key!.participant };
    delete edit.messageStubType;
    delete edit.reactions;
    delete edit.userReceipt;
    delete edit.status;
    edit.message = {
      protocolMessage: {
        key: target.key,
        type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
        editedMessage: { conversation: `edited ${n + 1}` },
        timestampMs: Number(edit.messageTimestamp) * 1000,
      },
    };
  }
}

/** Whole conversations per chunk, at most `perChunk` messages each; progress grows to 100. */
function byConversation(threads: GeneratedThread[], perChunk: number): proto.IHistorySync[] {
  const chunks: proto.IConversation[][] = [[]];
  let room = perChunk;
  for (const { conversation } of threads) {
    let rest = conversation.messages ?? [];
    while (rest.length > 0) {
      if (room === 0) {
        chunks.push([]);
        room = perChunk;
      }
      const take = rest.slice(0, room);
      chunks.at(-1)!.push({ ...conversation, messages: take });
      room -= take.length;
      rest = rest.slice(take.length);
    }
  }
  return chunks.map((conversations, i) => ({
    syncType: proto.HistorySync.HistorySyncType.FULL,
    chunkOrder: i,
    progress: Math.round(((i + 1) / chunks.length) * 100),
    conversations,
  }));
}
