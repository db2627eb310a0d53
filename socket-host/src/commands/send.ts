/**
 * Executes one `send` command, exactly once as far as WhatsApp's recipient is concerned:
 *
 *   claimed (running) → the account's send pace → message document `pending` through the sync
 *   pipeline's writer, with the `sending` marker on the command in the same fenced transaction
 *   (content kept for retry receipts, stored beside it) → `sendMessage(jid, content, { messageId })`
 *   with the id the functions chose → command `done` and the message `server_ack` (receipts then
 *   move it on through the pipeline)
 *
 * Crashes: a command found `running` under an older epoch without `sending` never reached the
 * socket, and is sent normally. With `sending` and not `done`, the old owner died between handing
 * the stanza over and recording it: whether WhatsApp got it is unknown, so it is sent again with
 * the SAME message id — WhatsApp clients treat a message id they already have as that message
 * (Baileys' own retry path, `sendMessagesAgain`, re-relays with the original id), so the recipient
 * sees it once. The window for that second stanza is the socket call plus one fenced write. The
 * marker and the `pending` message land together or not at all: a command without the marker has
 * no message out, one with it has its message stored.
 *
 * A socket that closes before or during the send (Baileys throws `Connection Closed`, 428) makes
 * the send wait for the next open socket — until its deadline (`SEND_TTL_S`, `expiresAt`): a send
 * still waiting then fails with `expired` like an unclaimed one, and its message stored `pending`
 * becomes `error` (a 428 means the stanza never left); any other error WhatsApp gives fails the command with
 * `send_failed` (WhatsApp's code in `error.whatsappCode`) and marks the message `error`. A logout (a socket
 * closed with 401 and the like) ends the wait: no socket opens again in this pairing, so the send
 * fails with `failed_precondition` (`logged_out: …`) and a message stored `pending` becomes `error`.
 */

import { Boom } from '@hapi/boom';
import type { CommandError, SendPayload } from '@wasync/shared';
import { paths } from '@wasync/shared';
import { generateWAMessage, isJidGroup, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { Firestore, Transaction } from 'firebase-admin/firestore';
import { isLeaseLost } from '../accounts/lease-errors.ts';
import type { Logger } from '../log.ts';
import type { AccountIdentity } from '../pipeline/consumer.ts';
import { sleep } from '../util/sleep.ts';
import type { AccountControl } from './account-control.ts';
import type { CommandStore } from './command-store.ts';
import type { ConnectionWatch } from './connection-watch.ts';
import type { SendPacer } from './pacer.ts';

/** What writes our messages: the account's sync pipeline (`AccountSync.writeMessages`). */
export interface MessageWriter {
  writeMessages(
    messages: readonly WAMessage[],
    source: 'send' | 'realtime',
    receivedAt?: number,
    /** Writes of the caller's landing in the same fenced transaction as the messages. */
    alongside?: (tx: Transaction) => void,
  ): Promise<void>;
}

export interface SendDeps {
  db: Firestore;
  accountId: string;
  store: CommandStore;
  control: AccountControl;
  watch: ConnectionWatch;
  pacer: SendPacer;
  writer: () => MessageWriter | undefined;
  me: () => AccountIdentity | undefined;
  log: Logger;
  /** Called with the socket's `sendMessage` arguments just before the call (benchmarks, tests). */
  onSend?: (commandId: string) => void;
  /** Called once the socket took the message (`sendMessage` resolved): the chat's next send may go. */
  handedOver?: () => void;
  /**
   * When a send still waiting for a socket (or its turn) fails with `expired`, in epoch ms;
   * undefined: never (a resumed send that may already be out is finished whatever the clock says).
   */
  deadline?: number;
}

/** Baileys' status code for a socket that is not open (`Connection Closed`). */
const CONNECTION_CLOSED = 428;
const ERROR = proto.WebMessageInfo.Status.ERROR;

/**
 * Why a send fails once its account was logged out: no socket opens again in this pairing, and a
 * later one is another pairing generation, whose owner would fail it too (`commandRunnable`).
 */
export function loggedOutError(reason: string): CommandError {
  return {
    code: 'failed_precondition',
    message: `logged_out: the account was logged out (${reason}) before this message went out; pair it again, then send again`,
  };
}

/** Why a send that waited past its deadline fails (claimed or not): it must not reach the recipient late. */
export function expiredError(): CommandError {
  return { code: 'expired', message: 'not sent before its deadline (SEND_TTL_S); the account was not connected' };
}

export class SendFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** WhatsApp's own code for a refusal. */
    readonly whatsappCode?: number,
  ) {
    super(message);
  }

  get error(): CommandError {
    return {
      code: this.code,
      message: this.message,
      ...(this.whatsappCode === undefined ? {} : { whatsappCode: this.whatsappCode }),
    };
  }
}

/**
 * Runs a claimed send to its end; resolves without recording anything when the account is let go
 * first (the next owner resumes it).
 */
export async function runSend(commandId: string, payload: SendPayload, deps: SendDeps): Promise<void> {
  const { store, log } = deps;
  try {
    const quoted = payload.quotedId ? await quotedMessage(deps, payload) : undefined;
    let written: WAMessage | undefined;
    /** Past its deadline: the send is failed with `expired` (true), as an unclaimed one is. */
    const expired = async (): Promise<boolean> => {
      if (deps.deadline === undefined || Date.now() < deps.deadline) return false;
      // The command first and at once (the pipeline may be busy); the message an attempt stored
      // `pending` (it never left: the socket refused it, closed) becomes `error` beside it.
      await Promise.all([
        store.fail(commandId, expiredError()).catch((e) => {
          if (!isLeaseLost(e)) log.warn({ err: e, commandId }, 'recording an expired send failed');
        }),
        written
          ? deps
              .writer()
              ?.writeMessages([{ ...written, status: ERROR }], 'send')
              .catch(() => {})
          : undefined,
      ]);
      log.info({ commandId }, 'send expired while waiting for a socket');
      return true;
    };
    for (;;) {
      if (await expired()) return;
      const socket = deps.control.openSocket();
      const me = deps.me();
      const writer = deps.writer();
      if (socket && me && !writer)
        throw new SendFailed('unavailable', 'this host runs no sync pipeline to store sends');
      if (!socket || !me || !writer) {
        // Logged out before let go: recorded now (the fence still holds), the next owner cannot run it.
        const { loggedOut } = deps.watch;
        if (loggedOut !== undefined) {
          // The command first and at once: the account is being let go, and its pipeline may be
          // busy. The message an attempt stored `pending` (the socket refused it: closed) is `error`.
          await Promise.all([
            store.fail(commandId, loggedOutError(loggedOut)).catch((e) => {
              if (!isLeaseLost(e)) log.warn({ err: e, commandId }, 'recording a send failed by a logout failed');
            }),
            written && writer
              ? writer.writeMessages([{ ...written, status: ERROR }], 'send').catch(() => {})
              : undefined,
          ]);
          return;
        }
        if (deps.watch.closed) return;
        // Between sockets the watch may still say open for a moment: never spin.
        await Promise.all([untilOrDeadline(deps.watch.whenOpenOrLoggedOut(), deps.deadline), sleep(100)]);
        if (deps.watch.closed) return;
        continue;
      }
      const message = await outgoing(payload, me, quoted);
      await deps.pacer.turn();
      if (await expired()) return;
      await writer.writeMessages([message], 'send', Date.now(), store.sendingMarker(commandId));
      written = message;
      deps.onSend?.(commandId);
      try {
        await socket.sendMessage(
          payload.to,
          { text: payload.text },
          { messageId: payload.messageId, ...(quoted ? { quoted } : {}) },
        );
      } catch (err) {
        if (statusOf(err) === CONNECTION_CLOSED) {
          log.info({ commandId }, 'socket closed during a send; it goes out after the reconnect');
          continue;
        }
        const code = whatsappCodeOf(err);
        await writer.writeMessages([{ ...message, status: ERROR }], 'send');
        throw new SendFailed(
          'send_failed',
          `WhatsApp refused the message${code ? ` (${code})` : ''}: ${errorText(err)}`,
          code,
        );
      }
      const sentAt = Date.now();
      deps.handedOver?.();
      await Promise.all([
        store.finish(commandId, { messageId: payload.messageId, sentAt }),
        writer.writeMessages([{ ...message, status: proto.WebMessageInfo.Status.SERVER_ACK }], 'send'),
      ]);
      log.info({ commandId }, 'message sent');
      return;
    }
  } catch (err) {
    if (isLeaseLost(err) || deps.watch.closed) return;
    const failure = err instanceof SendFailed ? err : new SendFailed('internal', errorText(err));
    if (!(err instanceof SendFailed)) log.error({ err, commandId }, 'send failed unexpectedly');
    await store.fail(commandId, failure.error).catch((e) => {
      if (!isLeaseLost(e)) log.warn({ err: e, commandId }, 'recording a failed send failed');
    });
  }
}

/** The message as Baileys' `sendMessage` builds it (same function, same id), status PENDING. */
function outgoing(payload: SendPayload, me: AccountIdentity, quoted: WAMessage | undefined): Promise<WAMessage> {
  return generateWAMessage(
    payload.to,
    { text: payload.text },
    {
      userJid: me.id,
      messageId: payload.messageId,
      ...(quoted ? { quoted } : {}),
      upload: () => Promise.reject(new Boom('no media in a text send')),
    },
  );
}

/**
 * The stored message `payload.quotedId` names, in the thread sent to, as the `quoted` option
 * Baileys wants (its key and content): Baileys copies both into the reply's `contextInfo`.
 */
async function quotedMessage(deps: SendDeps, payload: SendPayload): Promise<WAMessage> {
  const threadId = payload.threadId ?? payload.to;
  const found = await deps.db
    .collection(paths.messages(deps.accountId, threadId))
    .where('id', '==', payload.quotedId)
    .limit(1)
    .get();
  const doc = found.docs[0];
  if (!doc) throw new SendFailed('not_found', 'the quoted message is not stored in this thread');
  const fromMe = doc.get('fromMe') === true;
  const sender: unknown = doc.get('sender');
  const text: unknown = doc.get('text');
  return {
    key: {
      remoteJid: payload.to,
      fromMe,
      id: payload.quotedId!,
      ...(isJidGroup(payload.to) && !fromMe && typeof sender === 'string' ? { participant: sender } : {}),
    },
    message: { conversation: typeof text === 'string' ? text : '' },
  };
}

/** `wait`, or `deadline` (epoch ms) if that comes first. */
async function untilOrDeadline(wait: Promise<void>, deadline: number | undefined): Promise<void> {
  if (deadline === undefined) return wait;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
  await Promise.race([wait, late]);
  clearTimeout(timer);
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { output?: { statusCode?: unknown } })?.output?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * WhatsApp's code for a refusal: an `<error code>` answer becomes a Boom whose `data` is the code
 * (generic-utils.js `assertNodeErrorFree`, its status left at 500); otherwise the Boom's status.
 */
function whatsappCodeOf(err: unknown): number | undefined {
  const data = (err as { data?: unknown })?.data;
  return typeof data === 'number' && Number.isInteger(data) ? data : statusOf(err);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
