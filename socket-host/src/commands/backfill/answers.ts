/**
 * Matches WhatsApp's answers to on-demand history requests with the requests. An answer is an
 * ON_DEMAND `messaging-history.set`; it names its request by `peerDataRequestSessionId` (WhatsApp
 * echoes the id `fetchMessageHistory` returned), but Baileys' event buffer keeps only the last id
 * of sets it merged, and phones answer a request for a LID chat keyed by its phone number (and
 * the reverse). So an answer goes to the request with its id, else to the oldest waiting request
 * whose chat — any of the thread's JIDs, LID or phone number, or an alias the answer itself maps
 * to one of them (`lidPnMappings`, a chat's `lidJid`/`pnJid`) — the answer carries.
 *
 * "Nothing older" marks a thread exhausted for good, so it is said only when WhatsApp says it (the
 * chat's end-of-history flag) or the answer really holds no message of the chat: an answer named
 * by its id whose messages are keyed by a JID the thread does not know yet (a missing alias) is
 * this chat's answer — its messages are those no other waiting request claims.
 *
 * A late answer — one whose id names a request that timed out — is never taken for the request
 * asked again in its place: that one is anchored where the late one was, but the request after it
 * is anchored at the oldest message of its answer, and taking the late answer for it would move
 * the thread's anchor backwards and count the same messages twice.
 */
import { jidNormalizedUser, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { HistorySet } from '../../pipeline/history/raw-codec.ts';

export interface HistoryAnswer {
  /** The answer's messages of the requested chat. */
  messages: WAMessage[];
  /** Nothing older is left on the phone for this chat (its flag, or an answer without messages). */
  nothingOlder: boolean;
}

interface Waiting {
  requestId: string | undefined;
  jids: ReadonlySet<string>;
  resolve: (answer: HistoryAnswer) => void;
}

const ON_DEMAND = proto.HistorySync.HistorySyncType.ON_DEMAND;
const NO_MORE = proto.Conversation.EndOfHistoryTransferType.COMPLETE_AND_NO_MORE_MESSAGE_REMAIN_ON_PRIMARY;

/** Ids of requests that ended (answered or timed out) remembered to recognise a late answer. */
const PAST_IDS = 256;

export class AnswerMatcher {
  readonly #waiting: Waiting[] = [];
  /** Request id → the chat's JIDs, for requests no longer waiting (oldest first, at most PAST_IDS). */
  readonly #past = new Map<string, ReadonlySet<string>>();

  /**
   * Starts waiting for an answer about the chat known by `jids`, before the request is sent (an
   * answer must not slip past); `identify` gives it the request id `fetchMessageHistory` returned.
   */
  expect(jids: readonly string[]): {
    answer: Promise<HistoryAnswer>;
    identify: (requestId: string) => void;
    cancel: () => void;
  } {
    let waiting!: Waiting;
    const answer = new Promise<HistoryAnswer>((resolve) => {
      waiting = { requestId: undefined, jids: new Set(jids.map((j) => jidNormalizedUser(j))), resolve };
    });
    this.#waiting.push(waiting);
    return {
      answer,
      identify: (requestId) => {
        waiting.requestId = requestId;
      },
      cancel: () => this.#end(waiting),
    };
  }

  /** Offers a history set; ON_DEMAND ones resolve the requests they answer. */
  offer(set: HistorySet): void {
    if (set.syncType !== ON_DEMAND || this.#waiting.length === 0) return;
    const id = set.peerDataRequestSessionId;
    const byId = id ? this.#waiting.find((w) => w.requestId === id) : undefined;
    // A late answer: the chat it names is not matched by its JIDs (its messages are stored all the same).
    const late = !byId && id ? this.#past.get(id) : undefined;
    const matchable = late ? this.#waiting.filter((w) => !intersects(w.jids, late)) : this.#waiting;
    const candidates = byId ? [byId, ...matchable.filter((w) => w !== byId)] : [...matchable];
    const known = candidates.map((waiting) => withAliases(waiting.jids, set));
    candidates.forEach((waiting, i) => {
      const jids = known[i]!;
      let messages = (set.messages ?? []).filter((m) => jids.has(chatOf(m)));
      const chat = (set.chats ?? []).find((c) => jids.has(jidNormalizedUser(c.id ?? '')));
      if (waiting === byId && messages.length === 0) {
        // Named by its id: messages of chats no other waiting request knows are this chat's, under
        // a JID the thread does not know yet.
        const others = known.filter((_, j) => j !== i);
        messages = (set.messages ?? []).filter((m) => !others.some((o) => o.has(chatOf(m))));
      }
      if (waiting !== byId && messages.length === 0 && !chat) return;
      this.#remove(waiting);
      // Nothing older: WhatsApp's end-of-history flag, when Baileys kept it — its event buffer drops
      // a chat it has seen before on this socket from later history sets (`historyCache`), flag
      // and all, so from the second answer of a chat on it only an empty answer says so.
      waiting.resolve({ messages, nothingOlder: chat?.endOfHistoryTransferType === NO_MORE || messages.length === 0 });
    });
  }

  #remove(waiting: Waiting): void {
    const i = this.#waiting.indexOf(waiting);
    if (i >= 0) this.#waiting.splice(i, 1);
  }

  /** No longer waiting (answered, timed out or abandoned): its id is remembered as past. */
  #end(waiting: Waiting): void {
    this.#remove(waiting);
    if (waiting.requestId === undefined) return;
    this.#past.set(waiting.requestId, waiting.jids);
    if (this.#past.size > PAST_IDS) this.#past.delete(this.#past.keys().next().value!);
  }
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}

function chatOf(message: WAMessage): string {
  return jidNormalizedUser(message.key?.remoteJid ?? '');
}

/** `jids` and the aliases `set` maps any of them to: its LID/PN pairs and its chats' `lidJid`/`pnJid`. */
function withAliases(jids: ReadonlySet<string>, set: HistorySet): ReadonlySet<string> {
  type Pair = [string | null | undefined, string | null | undefined];
  const pairs: Pair[] = [
    ...(set.lidPnMappings ?? []).map((p): Pair => [p.lid, p.pn]),
    ...(set.chats ?? []).flatMap((c): Pair[] => [
      [c.id, c.lidJid],
      [c.id, c.pnJid],
    ]),
  ];
  const all = new Set(jids);
  for (const [a, b] of pairs) {
    if (!a || !b) continue;
    const [x, y] = [jidNormalizedUser(a), jidNormalizedUser(b)];
    if (all.has(x)) all.add(y);
    else if (all.has(y)) all.add(x);
  }
  return all;
}
