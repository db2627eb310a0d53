/**
 * End to end, as a developer sees it: `WHATSAPP_TRANSPORT=simulated npm start` (its script, on free ports,
 * `WASYNC_START_PORTS=free`, against the test Firestore). The demo account pairs by itself; its
 * simulated phone's history lands as named threads with their messages, `historySync` and
 * `lastHistorySyncAt` are set, the HTTPS API (Functions emulator, a real ID token) lists those
 * threads and messages, and a message a simulated contact sends appears within a second.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import { simulatedInboxPath } from '../../socket-host/src/transport/simulated/inbox.ts';
import { createTestUser } from '../support/auth-emulator.ts';
import { clearFirestore, firestoreHost, testDb } from '../support/firestore.ts';

const ACCOUNT = 'demo';

/** `npm start`'s printed URL for `label` (the line `[start]   <label>   <url>`). */
function urlFrom(lines: string[], label: string): string | undefined {
  const line = lines.find((l) => l.startsWith('[start]') && l.includes(label));
  return line?.trim().split(/\s+/).at(-1);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

describe('npm start with the simulated WhatsApp (end to end)', function () {
  this.timeout(300_000);
  let stack: ChildProcess | undefined;
  const lines: string[] = [];

  after(async function () {
    this.timeout(60_000);
    if (!stack || stack.exitCode !== null) return;
    // One SIGTERM: the stack stops the host and the emulators and says `stopped.`.
    const exited = once(stack, 'exit');
    stack.kill('SIGTERM');
    await Promise.race([exited, sleep(45_000)]);
    if (stack.exitCode === null && stack.signalCode === null) process.kill(-stack.pid!, 'SIGKILL');
    assert.ok(
      lines.some((l) => l.includes('[start] stopped.')),
      `npm start did not stop cleanly:\n${lines.slice(-5).join('\n')}`,
    );
  });

  it('syncs the demo history as named threads the API lists, and a live message within a second', async () => {
    await clearFirestore();
    // What `npm start` runs, started directly: npm does not hand a SIGTERM down to its script, and
    // the stack must get exactly one to stop cleanly (tsx relays one, and kills on a second).
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    assert.equal(pkg.scripts.start, 'tsx scripts/start.ts');
    stack = spawn(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['scripts/start.ts'], {
      cwd: REPO_ROOT,
      detached: true,
      env: {
        ...process.env,
        WHATSAPP_TRANSPORT: 'simulated',
        WASYNC_START_PORTS: 'free',
        FIRESTORE_EMULATOR_HOST: firestoreHost(),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: stack.stdout! }).on('line', (line) => {
      lines.push(line);
      if (process.env.WASYNC_TEST_LOG) console.log(line);
    });
    await until(
      'npm start ready',
      async () => (lines.some((l) => l.includes('[start] Ctrl-C stops everything')) ? true : undefined),
      180_000,
    );
    const authHost = urlFrom(lines, 'Auth emulator (FIREBASE_AUTH_EMULATOR_HOST)');
    const api = urlFrom(lines, 'HTTPS API')?.replace(/\/…$/, '');
    assert.ok(authHost && api, `URLs printed: ${lines.filter((l) => l.startsWith('[start]')).join('\n')}`);

    // 1. The history: named threads with messages, progress on the account.
    const db = testDb();
    const account = await until(
      'the demo history imported',
      async () => {
        const doc = (await db.doc(paths.account(ACCOUNT)).get()).data();
        const pending = await db.collection(`rawHistory/${ACCOUNT}/chunks`).where('state', '==', 'pending').get();
        return doc?.connection?.state === 'open' && doc.historySync && pending.empty ? doc : undefined;
      },
      90_000,
    );
    assert.ok(account.lastHistorySyncAt.toMillis() > Date.now() - 120_000);
    assert.ok(account.historySync.chunks >= 1 && account.historySync.messages > 0, JSON.stringify(account.historySync));
    const threads = await until(
      'every thread named',
      async () => {
        const snap = await db.collection(paths.threads(ACCOUNT)).get();
        return snap.size > 0 && snap.docs.every((d) => typeof d.get('name') === 'string') ? snap : undefined;
      },
      30_000,
    );
    const messages = await db.collectionGroup('messages').where('accountId', '==', ACCOUNT).get();
    assert.equal(messages.size, account.historySync.messages, 'every history message stored once');

    // 2. The existing API lists them (a real ID token from the Auth emulator, a viewer of the account).
    const viewer = await createTestUser(authHost!, `viewer-${Date.now()}@example.com`);
    await db.doc(paths.member(ACCOUNT, viewer.uid)).set({ role: 'viewer', uid: viewer.uid });
    const get = async (path: string) => {
      const res = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${viewer.idToken}` } });
      assert.equal(res.status, 200, `${path}: ${res.status}`);
      return (await res.json()) as Record<string, Array<Record<string, unknown>>>;
    };
    const listed = await get(`/threads/${ACCOUNT}?limit=200`);
    assert.deepEqual(listed.threads!.map((t) => t.name).sort(), threads.docs.map((d) => d.get('name')).sort());
    const first = threads.docs[0]!;
    const page = await get(`/messages/${ACCOUNT}/${encodeURIComponent(first.id)}?limit=200`);
    const stored = await db.collection(paths.messages(ACCOUNT, first.id)).get();
    assert.equal(page.messages!.length, stored.size);

    // 3. A simulated contact writes: stored within a second.
    const known = new Set(messages.docs.map((d) => d.ref.path));
    let arrivedAt: number | undefined;
    const unsubscribe = db
      .collectionGroup('messages')
      .where('accountId', '==', ACCOUNT)
      .onSnapshot((snap) => {
        if (snap.docs.some((d) => !known.has(d.ref.path) && d.get('source') === 'realtime')) arrivedAt ??= Date.now();
      });
    try {
      await sleep(500); // the listener's first snapshot
      const sentAt = Date.now();
      await db.collection(simulatedInboxPath(ACCOUNT)).add({ at: sentAt });
      await until('the live message', async () => arrivedAt, 10_000);
      const latency = arrivedAt! - sentAt;
      console.log(`      live message stored ${latency} ms after the contact sent it`);
      assert.ok(latency < 1_000, `live message took ${latency} ms`);
    } finally {
      unsubscribe();
    }
  });
});
