/**
 * Send latency on the host: a `send` command document written (as the functions write it) → the
 * simulated socket's `sendMessage` called, p50/p99 over BENCH_SENDS (200) sends one after another,
 * on the test Firestore, with the per-account pace off (SEND_INTERVAL_MS=0, SEND_JITTER_MS=0: the
 * pace is a chosen wait, not a cost). What it covers: the listener seeing the command, the fenced
 * claim, the `pending` message write through the pipeline's writer, the fenced `sending` marker.
 * Baseline, in the same run: a document written → a query listener on its collection seeing it
 * (the floor any listener-driven executor has).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { commandLifetime, paths } from '@wasync/shared';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore, Timestamp } from 'firebase-admin/firestore';
import { startFirestoreBackend } from '../scripts/lib/firestore-backend.ts';
import { loadHostConfig, startHost } from '../socket-host/src/host.ts';
import { createLogger } from '../socket-host/src/log.ts';
import { SimulatedWhatsApp } from '../socket-host/src/transport/simulated/simulator.ts';
import type { Emit } from './types.ts';

const SENDS = Number(process.env.BENCH_SENDS ?? 200);
const ACCOUNT = 'bench-send';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export default async function bench(emit: Emit): Promise<void> {
  const backend = await startFirestoreBackend();
  const previous = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = backend.host;
  const app = initializeApp({ projectId: 'demo-wasync' }, 'bench-command-send');
  const db = getFirestore(app);
  const sim = new SimulatedWhatsApp({
    seed: ACCOUNT,
    autoPairAfterMs: 50,
    timings: { connectMs: 20, historyChunkMs: 1 },
  });
  const called = new Map<string, number>();
  const inner = sim.transport();
  const host = await startHost(
    loadHostConfig({
      PORT: '0',
      HOST_ID: 'bench-host',
      FIRESTORE_EMULATOR_HOST: backend.host,
      GCLOUD_PROJECT: 'demo-wasync',
      LEASE_TTL_MS: '10000',
      WHATSAPP_TRANSPORT: 'simulated',
      SEND_INTERVAL_MS: '0',
      SEND_JITTER_MS: '0',
    }),
    createLogger('silent'),
    {
      simulator: sim,
      transport: {
        kind: 'simulated',
        connect(options) {
          const socket = inner.connect(options);
          const send = socket.sendMessage;
          socket.sendMessage = (jid, content, opts) => {
            called.set(opts?.messageId ?? '', performance.now());
            return send(jid, content, opts);
          };
          return socket;
        },
      },
    },
  );
  try {
    await db
      .doc(paths.account(ACCOUNT))
      .set({ displayName: ACCOUNT, connection: { state: 'idle', updatedAt: new Date() } });
    for (;;) {
      const account = (await db.doc(paths.account(ACCOUNT)).get()).data();
      if (account?.connection?.state === 'open' && account.me) break;
      await sleep(50);
    }
    const to = sim.phone(ACCOUNT).chats.find((c) => c.kind === 'dm')!.jid;

    const latencies: number[] = [];
    for (let i = 0; i < SENDS; i++) {
      const messageId = `3EB0${(0x100000 + i).toString(16).toUpperCase().padStart(18, '0')}`;
      const now = Date.now();
      const lifetime = commandLifetime('send', now, 0);
      const start = performance.now();
      await db.doc(paths.command(ACCOUNT, `send-${messageId}`)).create({
        type: 'send',
        state: 'pending',
        payload: { to, text: `bench ${i}`, clientMessageId: `bench-${i}`, messageId },
        createdAt: Timestamp.fromMillis(now),
        createdBy: 'bench',
        updatedAt: Timestamp.fromMillis(now),
        expiresAt: Timestamp.fromMillis(lifetime.expiresAt),
        purgeAt: Timestamp.fromMillis(lifetime.purgeAt),
        pairingGeneration: 0,
      });
      while (!called.has(messageId)) await sleep(1);
      latencies.push(called.get(messageId)! - start);
    }

    // Baseline: write → a query listener sees it.
    const seen = new Map<string, number>();
    const stop = db.collection('benchListen').onSnapshot((snap) => {
      for (const change of snap.docChanges()) if (!seen.has(change.doc.id)) seen.set(change.doc.id, performance.now());
    });
    await sleep(200);
    const floor: number[] = [];
    for (let i = 0; i < SENDS; i++) {
      const start = performance.now();
      await db.doc(`benchListen/d${i}`).create({ i, at: new Date() });
      while (!seen.has(`d${i}`)) await sleep(1);
      floor.push(seen.get(`d${i}`)! - start);
    }
    stop();

    latencies.sort((a, b) => a - b);
    floor.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const base50 = percentile(floor, 50);
    emit({
      metric: 'command_send_latency_p50',
      value: Math.round(p50 * 10) / 10,
      unit: 'ms',
      sends: SENDS,
      backend: backend.kind,
    });
    emit({
      metric: 'command_send_latency_p99',
      value: Math.round(p99 * 10) / 10,
      unit: 'ms',
      sends: SENDS,
      backend: backend.kind,
    });
    emit({ metric: 'listener_floor_latency_p50', value: Math.round(base50 * 10) / 10, unit: 'ms', writes: SENDS });
    emit({
      metric: 'listener_floor_latency_p99',
      value: Math.round(percentile(floor, 99) * 10) / 10,
      unit: 'ms',
      writes: SENDS,
    });
    emit({
      metric: 'command_send_p50_vs_listener_floor',
      value: Math.round((p50 / base50) * 100) / 100,
      unit: 'ratio',
    });
  } finally {
    await host.shutdown.run('bench end');
    await deleteApp(app);
    await backend.stop();
    if (previous === undefined) delete process.env.FIRESTORE_EMULATOR_HOST;
    else process.env.FIRESTORE_EMULATOR_HOST = previous;
  }
}
