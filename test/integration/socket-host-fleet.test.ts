/**
 * Three socket-host processes (the Cloud Run container's dist/main.js), one Firestore, 30 simulated
 * accounts:
 *
 * - every account ends up open and owned by exactly one host;
 * - `kill -9` of one host: its accounts run on the others within LEASE_TTL_MS + 5 s (measured per
 *   account and printed);
 * - across the whole run no account ever had two live sockets: checked from the simulated
 *   WhatsApp's socket ledger (lifetimes written by each process; the killed process's sockets end
 *   at the kill) and from the lease history (one holder per epoch, epochs only grow);
 * - SIGTERM: each surviving host exits 0 well within Cloud Run's 10 s and releases its leases.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import type { Timestamp } from 'firebase-admin/firestore';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import { overlappingSockets, readLedger } from '../../socket-host/src/transport/simulated/ledger.ts';
import { spawnHost } from '../../socket-host/test/support/process.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNTS = 30;
// The lease's margin is a fifth of it (2 s here): the time a host's event loop may stall before its
// socket outlives its lease. 6 s (a 1.2 s margin) was once too little for a CPU-starved CI machine
// running three hosts and the emulator on two cores; production's default is 30 s (a 6 s margin).
const TTL_MS = 10_000;
const HOSTS = ['fleet-a', 'fleet-b', 'fleet-c'];
/** Live simulated traffic per account (messages, reactions, edits, group changes, …): one event every 10 s. */
const TRAFFIC_PER_MINUTE = 6;

interface Host {
  id: string;
  child: ChildProcess;
  logs: Record<string, unknown>[];
}

function startHost(id: string): Host {
  const { child, logs } = spawnHost({
    HOST_ID: id,
    PORT: '0',
    LEASE_TTL_MS: String(TTL_MS),
    WHATSAPP_TRANSPORT: 'simulated',
    WHATSAPP_SIMULATED_TRAFFIC_PER_MINUTE: String(TRAFFIC_PER_MINUTE),
    LOG_LEVEL: 'info',
  });
  return { id, child, logs };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function snapshot() {
  const db = testDb();
  const [accounts, leases] = await Promise.all([db.collection('accounts').get(), db.collection('leases').get()]);
  return {
    state: new Map(accounts.docs.map((d) => [d.id, d.get('connection') as { state: string; updatedAt: Timestamp }])),
    lease: new Map(
      leases.docs.map((d) => [
        d.id,
        {
          holder: d.get('holder') as string | null,
          epoch: d.get('epoch') as number,
          expiresAt: (d.get('expiresAt') as Timestamp).toMillis(),
        },
      ]),
    ),
  };
}

describe('socket-host fleet: 3 processes, 30 simulated accounts, kill -9 and SIGTERM', function () {
  this.timeout(180_000);
  const ids = Array.from({ length: ACCOUNTS }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
  let hosts: Host[] = [];

  before(async () => {
    execFileSync(process.execPath, ['socket-host/build.mjs'], { cwd: REPO_ROOT });
    await clearFirestore();
    const batch = testDb().batch();
    for (const id of ids) {
      batch.set(testDb().doc(paths.account(id)), {
        displayName: id,
        connection: { state: 'idle', updatedAt: new Date() },
      });
    }
    await batch.commit();
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    // What the hosts said that was not routine: the first thing to read when this test fails.
    for (const h of hosts) {
      for (const l of h.logs.filter((l) => l.severity !== 'INFO' && l.severity !== 'DEBUG').slice(0, 40)) {
        console.log(
          `      [${h.id}] ${l.severity} ${l.accountId ?? ''} ${l.message} ${JSON.stringify(l.err ?? l.reason ?? '')}`.slice(
            0,
            400,
          ),
        );
      }
    }
  });

  after(async () => {
    for (const h of hosts) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
  });

  it('owns every account once, survives kill -9 within TTL + 5 s, never two sockets, and shuts down cleanly', async () => {
    const startedAt = Date.now();
    hosts = HOSTS.map(startHost);

    // 1. Every account open, each lease held by one live host.
    const settled = await until(
      'all 30 accounts open',
      async () => {
        const s = await snapshot();
        const allOpen = ids.every(
          (id) => s.state.get(id)?.state === 'open' && HOSTS.includes(s.lease.get(id)?.holder ?? ''),
        );
        return allOpen ? s : undefined;
      },
      90_000,
    );
    const openAfterMs = Date.now() - startedAt;
    const perHost = HOSTS.map((h) => ids.filter((id) => settled.lease.get(id)?.holder === h));
    console.log(
      `      all ${ACCOUNTS} open after ${openAfterMs} ms; accounts per host: ${perHost.map((p) => p.length).join(' / ')}`,
    );
    assert.equal(perHost.flat().length, ACCOUNTS, 'each account owned by exactly one host');

    // 2. kill -9 the host holding the most accounts (it has the most to hand over).
    const victimIndex = perHost.reduce((best, p, i) => (p.length > perHost[best]!.length ? i : best), 0);
    const victim = hosts[victimIndex]!;
    const orphans = perHost[victimIndex]!;
    const epochsBefore = new Map(orphans.map((id) => [id, settled.lease.get(id)!.epoch]));
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');

    const takenOverAt = new Map<string, number>();
    await until(
      'orphaned accounts open on the survivors',
      async () => {
        const s = await snapshot();
        for (const id of orphans) {
          if (takenOverAt.has(id)) continue;
          const lease = s.lease.get(id);
          const conn = s.state.get(id);
          const moved = lease?.holder && lease.holder !== victim.id && lease.epoch > epochsBefore.get(id)!;
          if (moved && conn?.state === 'open' && conn.updatedAt.toMillis() > killedAt) takenOverAt.set(id, Date.now());
        }
        return takenOverAt.size === orphans.length ? true : undefined;
      },
      TTL_MS + 20_000,
    );
    const times = orphans.map((id) => takenOverAt.get(id)! - killedAt).sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(
      `      kill -9 of ${victim.id} (${orphans.length} accounts): open elsewhere after ` +
        `min ${times[0]} / median ${median} / max ${times.at(-1)} ms (TTL ${TTL_MS} ms, limit ${TTL_MS + 5000} ms)`,
    );
    assert.ok(times.at(-1)! <= TTL_MS + 5_000, `slowest takeover ${times.at(-1)} ms`);

    // 3. Never two live sockets: socket lifetimes from every process never overlap per account.
    const survivors = hosts.filter((h) => h !== victim);
    const ledger = await readLedger(testDb());
    const victimPid = victim.child.pid!;
    const overlaps = overlappingSockets(ledger, (r) => (r.pid === victimPid ? killedAt : Number.POSITIVE_INFINITY));
    for (const [a, b] of overlaps) {
      console.log(JSON.stringify({ a, b }));
      for (const h of hosts)
        for (const l of h.logs.filter((l) => l.accountId === a.accountId))
          console.log(h.id, l.time, l.message, l.reason ?? '', l.epoch ?? '');
    }
    assert.deepEqual(
      overlaps.map(([a, b]) => `${a.accountId}: ${a.hostId} ${a.socketId} / ${b.hostId} ${b.socketId}`),
      [],
      'two live sockets for one account',
    );
    assert.ok(ledger.length >= ACCOUNTS * 2 + orphans.length, `${ledger.length} sockets on record`);

    // …and the lease history: epochs only grow, and each epoch had one holder.
    for (const id of ids) {
      const versions = await testDb()
        .collection(`${paths.lease(id)}/versions`)
        .orderBy('seq')
        .get();
      const holderOf = new Map<number, string | null>();
      let lastEpoch = 0;
      for (const v of versions.docs) {
        const { epoch, holder } = v.data() as { epoch: number; holder: string | null };
        assert.ok(epoch >= lastEpoch, `${id}: epoch went back`);
        lastEpoch = epoch;
        if (holder !== null) {
          assert.ok(!holderOf.has(epoch) || holderOf.get(epoch) === holder, `${id}: epoch ${epoch} had two holders`);
          holderOf.set(epoch, holder);
        }
      }
    }

    // 4. SIGTERM the survivors: exit 0 in < 8 s, leases released, state idle, counters reported.
    const exits = await Promise.all(
      survivors.map(async (h) => {
        const sentAt = Date.now();
        h.child.kill('SIGTERM');
        const [code] = await once(h.child, 'exit');
        return { host: h, code, ms: Date.now() - sentAt };
      }),
    );
    console.log(`      SIGTERM → exit: ${exits.map((e) => `${e.host.id} ${e.ms} ms`).join(', ')}`);
    for (const { host, code, ms } of exits) {
      assert.equal(code, 0, host.id);
      assert.ok(ms < 8_000, `${host.id} took ${ms} ms`);
      const counters = host.logs.find((l) => l.message === 'simulated WhatsApp counters')?.counters as
        | Record<string, { maxLive: number }>
        | undefined;
      assert.ok(counters, `${host.id} reported its socket counters`);
      for (const [id, c] of Object.entries(counters))
        assert.ok(c.maxLive <= 1, `${host.id}: ${id} had ${c.maxLive} sockets`);
    }
    const traffic = survivors.map(
      (h) => h.logs.find((l) => l.message === 'simulated WhatsApp counters')?.traffic as { live: number; kept: number },
    );
    console.log(
      `      simulated traffic (live / kept offline): ${traffic.map((t) => `${t.live} / ${t.kept}`).join(', ')}`,
    );
    assert.ok(
      traffic.every((t) => t.live > 0),
      'live traffic flowed on every surviving host',
    );
    const end = await snapshot();
    for (const id of ids) {
      assert.equal(end.lease.get(id)?.holder, null, `${id} lease released`);
      assert.equal(end.state.get(id)?.state, 'idle', `${id} state idle`);
    }
    const closedLedger = await readLedger(testDb());
    assert.deepEqual(
      closedLedger.filter((r) => r.closedAt === null && r.pid !== victimPid).map((r) => r.socketId),
      [],
      'every socket of the survivors closed',
    );
  });
});
