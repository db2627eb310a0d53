/** Driving a simulated WhatsApp in tests: record a socket's event batches, wait for one, pair and open an account. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Boom } from '@hapi/boom';
import { type BaileysEventMap, DisconnectReason } from '@whiskeysockets/baileys';
import { acceptAllHistory } from '../../src/connection/history-policy.ts';
import { createLogger } from '../../src/log.ts';
import type { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import type { WhatsAppSocket } from '../../src/transport/types.ts';
import { memoryAuthState } from './memory-auth.ts';

export const log = createLogger('silent');
export const FAST = { connectMs: 10, receiptMs: 20, onDemandMs: 20, historyChunkMs: 1 };
export type Batch = Partial<BaileysEventMap>;

export function record(socket: WhatsAppSocket): { batches: Batch[]; closed: Promise<Boom | undefined> } {
  const batches: Batch[] = [];
  let resolve!: (e: Boom | undefined) => void;
  const closed = new Promise<Boom | undefined>((r) => {
    resolve = r;
  });
  socket.ev.process((events) => {
    batches.push(events);
    const update = events['connection.update'];
    if (update?.connection === 'close') resolve(update.lastDisconnect?.error as Boom | undefined);
  });
  return { batches, closed };
}

export async function until<T>(what: string, probe: () => T | undefined, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const all = <K extends keyof BaileysEventMap>(batches: Batch[], event: K) =>
  batches.flatMap((b) => (b[event] === undefined ? [] : [b[event] as BaileysEventMap[K]]));

/** Pairs a fresh account and returns its auth state plus the socket that logged in afterwards. */
export async function pairedAndOpen(sim: SimulatedWhatsApp, accountId: string, shouldSync = acceptAllHistory) {
  const auth = memoryAuthState();
  const options = {
    accountId,
    auth,
    logger: log,
    syncFullHistory: true,
    shouldSyncHistoryMessage: shouldSync,
    getMessage: async () => undefined,
  };
  const first = record(sim.connect(options));
  const restart = await first.closed;
  assert.equal(restart?.output.statusCode, DisconnectReason.restartRequired);
  const socket = sim.connect(options);
  const second = record(socket);
  await until('history delivered', () =>
    all(second.batches, 'connection.update').some((u) => u.receivedPendingNotifications),
  );
  return { auth, socket, first, second, options };
}
