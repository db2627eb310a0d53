/**
 * Executes `backfill` commands of one account: tops up its most recently active threads with
 * older messages asked from the phone (`fetchMessageHistory`), which answer through the sync
 * pipeline (ON_DEMAND history, stored as `source: 'backfill'`).
 *
 * - threads: `payload.threadIds`, or the `payload.threads` most recently active (`lastMessageAt`),
 *   one-to-one and group chats only, minus those whose phone said nothing older is left;
 * - each topped up towards `payload.count` stored messages, ≤ 50 per request, the first anchored
 *   at the oldest stored message and each next one at the oldest message of the last answer;
 * - at most `concurrency` (BACKFILL_CONCURRENCY, 1–2) threads in flight, one request each: a burst
 *   makes phones drop requests silently;
 * - an answer counts when it arrives from Baileys, not when the pipeline got to it (its queue may
 *   be busy with an import); the backfill is `done` once what it received is stored;
 * - a request unanswered after `requestTimeoutMs` is recorded and counted, asked again at most
 *   `retries` times for that thread, then the thread is left (no retry storm); an answer saying
 *   nothing older is left marks the thread exhausted (skipped from then on);
 * - a second backfill command while one runs joins it (same result);
 * - threads are chosen once the account's history import has caught up: a backfill asked for
 *   right after a pairing or a takeover (its task can come within a second) would otherwise find
 *   the threads not stored yet, or anchor at messages the import is still adding older ones to;
 * - it always ends: `done`; `failed` (recorded on the account too) when the account is logged
 *   out (no socket opens again in this ownership) or a step fails; left `running` only when the
 *   account is let go, for the next owner to resume (asking only for what is still missing, and
 *   carrying on the counts recorded so far).
 */
import type { BackfillPayload, BackfillResult } from '@wasync/shared';
import { jidCategory, paths } from '@wasync/shared';
import { toNumber, type WAMessageKey } from '@whiskeysockets/baileys';
import type { DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
import { Timestamp } from 'firebase-admin/firestore';
import type { Fence } from '../../accounts/fence.ts';
import { isLeaseLost } from '../../accounts/lease-errors.ts';
import type { Logger } from '../../log.ts';
import { sleep } from '../../util/sleep.ts';
import { type CommandSocket, ControlError } from '../account-control.ts';
import type { CommandStore } from '../command-store.ts';
import type { ConnectionWatch } from '../connection-watch.ts';
import type { BackfillRunner } from '../executor.ts';
import { AnswerMatcher, type HistoryAnswer } from './answers.ts';
import { BackfillRecorder, exhaustedThreads } from './progress.ts';

/** WhatsApp answers at most this many messages per on-demand request. */
export const MAX_PER_REQUEST = 50;

export interface BackfillOptions {
  concurrency: number;
  requestTimeoutMs: number;
  retries: number;
}

export interface BackfillDeps {
  db: Firestore;
  accountId: string;
  fence: Fence;
  watch: ConnectionWatch;
  socket: () => CommandSocket | undefined;
  /**
   * Resolves once the pipeline handled every batch that had arrived and imported its history
   * (undefined: nothing to wait for). Answers are matched as they arrive, before that.
   */
  historyImported?: () => Promise<void>;
  options: BackfillOptions;
  log: Logger;
}

interface Thread {
  id: string;
  jid: string;
  jids: string[];
}

interface Anchor {
  key: WAMessageKey;
  /** Seconds (what WhatsApp expects, despite the field's name `oldestMsgTimestampMs`). */
  timestampS: number;
}

export class AccountBackfill implements BackfillRunner {
  readonly #matcher = new AnswerMatcher();
  #active: Promise<BackfillResult> | undefined;

  constructor(private readonly deps: BackfillDeps) {
    deps.watch.onHistory((set) => this.#matcher.offer(set));
  }

  async run(commandId: string, payload: BackfillPayload, store: CommandStore): Promise<void> {
    if (this.#active) {
      this.deps.log.info({ commandId }, 'a backfill runs already; this one joins it');
      await store.finish(commandId, await this.#active);
      return;
    }
    this.#active = this.#backfill(commandId, payload);
    try {
      await store.finish(commandId, await this.#active);
    } finally {
      this.#active = undefined;
    }
  }

  async #backfill(commandId: string, payload: BackfillPayload): Promise<BackfillResult> {
    const { deps } = this;
    await deps.watch.whenOpenOrLoggedOut();
    this.#assertRunnable();
    await deps.historyImported?.();
    this.#assertRunnable();
    const threads = await this.#threads(payload);
    const recorder = new BackfillRecorder(deps.db, deps.accountId, deps.fence);
    await recorder.start(commandId, threads.length);
    deps.log.info({ threads: threads.length, count: payload.count }, 'backfill started');
    try {
      const queue = [...threads];
      const worker = async () => {
        for (let thread = queue.shift(); thread; thread = queue.shift()) {
          await this.#topUp(thread, payload.count, recorder);
        }
      };
      await Promise.all(Array.from({ length: Math.min(deps.options.concurrency, queue.length) }, worker));
      // Answers count when they arrive; `done` once they are stored too.
      await deps.historyImported?.();
      this.#assertRunnable();
      await recorder.finish();
    } catch (err) {
      await this.#recordFailure(recorder, err);
      throw err;
    }
    const { threads: n, requested, received, unanswered } = recorder.counts;
    deps.log.info({ threads: n, requested, received, unanswered }, 'backfill finished');
    return { threads: n, requested, received };
  }

  #ended(): boolean {
    return this.deps.watch.closed || this.deps.watch.loggedOut !== undefined;
  }

  /** Throws when the backfill cannot go on in this ownership: the account let go, or logged out. */
  #assertRunnable(): void {
    const { watch } = this.deps;
    if (watch.closed) throw new ControlError('unavailable', 'the account was let go');
    if (watch.loggedOut !== undefined) {
      throw new ControlError(
        'failed_precondition',
        `logged_out: the account was logged out (${watch.loggedOut}); pair it again, then backfill`,
      );
    }
  }

  /**
   * The account's `backfill` says `failed` when the command fails here, not `running` forever. Not
   * when the account is let go: the command stays `running` and its next owner resumes it.
   */
  async #recordFailure(recorder: BackfillRecorder, err: unknown): Promise<void> {
    if (isLeaseLost(err) || this.deps.watch.closed) return;
    try {
      await recorder.fail();
    } catch (failure) {
      if (!isLeaseLost(failure)) this.deps.log.warn({ err: failure }, 'recording the failed backfill failed');
    }
  }

  /** Asks for older messages of `thread` until it holds `count` or the phone has no more. */
  async #topUp(thread: Thread, count: number, recorder: BackfillRecorder): Promise<void> {
    const { deps } = this;
    const messages = deps.db.collection(paths.messages(deps.accountId, thread.id));
    let need = count - (await messages.count().get()).data().count;
    let anchor = anchorOf(thread, (await messages.orderBy('timestamp', 'asc').limit(1).get()).docs[0]);
    let retries = deps.options.retries;
    while (need > 0 && anchor && !this.#ended()) {
      const socket = deps.socket();
      if (!socket) {
        // Between sockets the watch may still say open for a moment: never spin.
        await Promise.all([deps.watch.whenOpenOrLoggedOut(), sleep(100)]);
        continue;
      }
      const asked = Math.min(MAX_PER_REQUEST, need);
      const answer = await this.#ask(socket, thread, asked, anchor);
      recorder.counts.requested += asked;
      if (this.#ended()) return; // no answer comes in this ownership: not the phone's silence
      if (answer === undefined) {
        recorder.counts.unanswered += 1;
        await Promise.all([recorder.unanswered(thread.id), recorder.progress()]);
        deps.log.warn({ threadId: thread.id, retriesLeft: retries }, 'history request unanswered');
        if (retries-- <= 0) return;
        continue;
      }
      recorder.counts.received += answer.messages.length;
      await recorder.progress();
      if (answer.nothingOlder) {
        await recorder.exhausted(thread.id);
        return;
      }
      need -= answer.messages.length;
      anchor = oldestOf(answer) ?? anchor;
    }
  }

  /** One request; its answer, or undefined when none came within the timeout. */
  async #ask(socket: CommandSocket, thread: Thread, count: number, anchor: Anchor): Promise<HistoryAnswer | undefined> {
    const waiting = this.#matcher.expect(thread.jids);
    let timer: NodeJS.Timeout | undefined;
    try {
      waiting.identify(await socket.fetchMessageHistory(count, anchor.key, anchor.timestampS));
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), this.deps.options.requestTimeoutMs);
      });
      // A logout or the account let go ends the wait at once (the backfill ends, see #assertRunnable).
      const ended = this.deps.watch.whenEnded().then(() => undefined);
      return await Promise.race([waiting.answer, timeout, ended]);
    } finally {
      clearTimeout(timer);
      waiting.cancel();
    }
  }

  async #threads(payload: BackfillPayload): Promise<Thread[]> {
    const { db, accountId } = this.deps;
    const snaps = payload.threadIds
      ? (await db.getAll(...payload.threadIds.map((id) => db.doc(paths.thread(accountId, id))))).filter((s) => s.exists)
      : (await db.collection(paths.threads(accountId)).orderBy('lastMessageAt', 'desc').limit(payload.threads).get())
          .docs;
    const threads = snaps.flatMap((snap): Thread[] => {
      const jid: unknown = snap.get('jid');
      if (typeof jid !== 'string') return [];
      const category = jidCategory(jid);
      if (category !== 'dm' && category !== 'group') return [];
      const aliases: unknown = snap.get('aliases');
      const jids = [jid, ...(Array.isArray(aliases) ? aliases.filter((a) => typeof a === 'string') : [])];
      return [{ id: snap.id, jid, jids }];
    });
    const exhausted = await exhaustedThreads(
      db,
      accountId,
      threads.map((t) => t.id),
    );
    return threads.filter((t) => !exhausted.has(t.id));
  }
}

/** The oldest stored message of a thread as an anchor (its key as WhatsApp knows it). */
function anchorOf(thread: Thread, oldest: DocumentSnapshot | undefined): Anchor | undefined {
  if (!oldest) return undefined;
  const id: unknown = oldest.get('id');
  const timestamp: unknown = oldest.get('timestamp');
  if (typeof id !== 'string' || !(timestamp instanceof Timestamp)) return undefined;
  const fromMe = oldest.get('fromMe') === true;
  const sender: unknown = oldest.get('sender');
  return {
    key: {
      remoteJid: thread.jid,
      fromMe,
      id,
      ...(jidCategory(thread.jid) === 'group' && !fromMe && typeof sender === 'string' ? { participant: sender } : {}),
    },
    timestampS: Math.floor(timestamp.toMillis() / 1000),
  };
}

/** The oldest message of an answer, as the next request's anchor. */
function oldestOf(answer: HistoryAnswer): Anchor | undefined {
  let oldest: Anchor | undefined;
  for (const m of answer.messages) {
    const t = m.messageTimestamp == null ? Number.NaN : toNumber(m.messageTimestamp);
    if (!Number.isFinite(t) || !m.key?.id) continue;
    if (!oldest || t < oldest.timestampS) oldest = { key: m.key, timestampS: t };
  }
  return oldest;
}
