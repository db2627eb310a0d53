/** Helpers for tests of the command executor: a recording WhatsApp boundary and command documents. */
import { Boom } from '@hapi/boom';
import { type CommandType, commandLifetime, paths } from '@wasync/shared';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { type DocumentData, Timestamp } from 'firebase-admin/firestore';
import { testDb } from '../../../test/support/firestore.ts';
import type { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import type { WhatsAppTransport } from '../../src/transport/types.ts';

export interface SentCall {
  accountId: string;
  jid: string;
  text: string | undefined;
  messageId: string | undefined;
  at: number;
}

/**
 * The simulated transport with every `sendMessage` call recorded (what reached the simulated
 * WhatsApp, in order), before the simulated socket handles it.
 */
export function recordingTransport(sim: SimulatedWhatsApp): { transport: WhatsAppTransport; sends: SentCall[] } {
  const sends: SentCall[] = [];
  const inner = sim.transport();
  return {
    sends,
    transport: {
      kind: 'simulated',
      connect(options) {
        const socket = inner.connect(options);
        const send = socket.sendMessage;
        socket.sendMessage = async (jid, content, opts) => {
          sends.push({
            accountId: options.accountId,
            jid,
            text: 'text' in content ? content.text : undefined,
            messageId: opts?.messageId,
            at: Date.now(),
          });
          return send(jid, content, opts);
        };
        return socket;
      },
    },
  };
}

/**
 * `inner` with every `sendMessage` of the text `text` hanging until its socket closes, then failing
 * as Baileys' does on a closed socket (428): a send caught by a closing socket. `stuck.reached`
 * says a send hangs.
 */
export function stuckSendTransport(
  inner: WhatsAppTransport,
  text: string,
): { transport: WhatsAppTransport; stuck: { reached: boolean } } {
  const stuck = { reached: false };
  let release: (() => void) | undefined;
  const transport: WhatsAppTransport = {
    kind: inner.kind,
    connect(options) {
      const socket = inner.connect(options);
      socket.ev.on('connection.update', (update) => {
        if (update.connection === 'close') release?.();
      });
      const send = socket.sendMessage;
      socket.sendMessage = async (jid, content, opts) => {
        if ('text' in content && content.text === text) {
          await new Promise<void>((resolve) => {
            release = resolve;
            stuck.reached = true;
          });
          throw new Boom('Connection Closed', { statusCode: DisconnectReason.connectionClosed });
        }
        return send(jid, content, opts);
      };
      return socket;
    },
  };
  return { transport, stuck };
}

/** Writes a command document as the functions do (`write.ts`), with `createdAt` `ageMs` in the past. */
export async function writeCommandDoc(
  accountId: string,
  commandId: string,
  type: CommandType,
  payload: unknown,
  options: { ageMs?: number; generation?: number } = {},
): Promise<void> {
  const now = Date.now() - (options.ageMs ?? 0);
  const lifetime = commandLifetime(type, now, options.generation ?? 0);
  await testDb()
    .doc(paths.command(accountId, commandId))
    .create({
      type,
      state: 'pending',
      payload,
      createdAt: Timestamp.fromMillis(now),
      createdBy: 'test',
      updatedAt: Timestamp.fromMillis(now),
      expiresAt: Timestamp.fromMillis(lifetime.expiresAt),
      purgeAt: Timestamp.fromMillis(lifetime.purgeAt),
      pairingGeneration: lifetime.pairingGeneration,
    });
}

export async function commandDoc(accountId: string, commandId: string): Promise<DocumentData | undefined> {
  return (await testDb().doc(paths.command(accountId, commandId)).get()).data();
}

/** Polls until the command reaches `state` (`done` or `failed`); returns its document. */
export async function waitForCommand(
  accountId: string,
  commandId: string,
  state: 'done' | 'failed' | 'running',
  timeoutMs = 20_000,
): Promise<DocumentData> {
  const deadline = Date.now() + timeoutMs;
  let last: DocumentData | undefined;
  while (Date.now() < deadline) {
    last = await commandDoc(accountId, commandId);
    if (last?.state === state) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`command ${commandId} never became ${state}; last ${JSON.stringify(last)}`);
}
