/**
 * End to end, as a developer sees it: `WHATSAPP_TRANSPORT=simulated npm start` (its script, on free ports,
 * `WASYNC_START_PORTS=free`, against the test Firestore). The first thing it prints after its
 * progress lines is the dashboard's URL and the seeded operator's email and password; signing in
 * with exactly those (where the page itself signs in) lists the demo account through the
 * dashboard's own endpoint. The demo account pairs by itself; its
 * simulated phone's history lands as named threads with their messages, `historySync` and
 * `lastHistorySyncAt` are set, the HTTPS API (Functions emulator, a real ID token) lists those
 * threads and messages, and a message a simulated contact sends appears (its latency printed).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { mediaSourceId, paths } from '@wasync/shared';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import { simulatedInboxPath } from '../../socket-host/src/transport/simulated/inbox.ts';
import { createTestUser } from '../support/auth-emulator.ts';
import { clearFirestore, firestoreHost, testDb } from '../support/firestore.ts';

const ACCOUNT = 'demo';

/** `npm start`'s printed URL for `label` (the line `[start]   <label>   <url>`). */
function urlFrom(lines: string[], label: string): string | undefined {
  // The URL lines end with a URL or host:port (first-run lines mention the emulators in prose).
  const ends = (l: string) => /^(https?:\/\/\S+|[\w.-]+:\d+)$/.test(l.trim().split(/\s+/).at(-1) ?? '');
  const line = lines.find((l) => l.startsWith('[start]') && l.includes(label) && ends(l));
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
  let authHost: string | undefined;
  let api: string | undefined;

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

  it('syncs the demo history as named threads the API lists, and a live message (its latency printed)', async () => {
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
        // History media only on request here (the background pass would fetch it first).
        MEDIA_PREFETCH_NEWEST: '0',
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
    authHost = urlFrom(lines, 'Auth emulator (FIREBASE_AUTH_EMULATOR_HOST)');
    api = urlFrom(lines, 'HTTPS API')?.replace(/\/…$/, '');
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

    // 3. A simulated contact writes: stored, as a realtime message.
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
      // The figure is printed, not asserted: a timed assertion fails on a busy CI machine, and
      // `npm run bench` measures live latency against a baseline in the same process.
      console.log(`      live message stored ${latency} ms after the contact sent it`);
    } finally {
      unsubscribe();
    }
  });

  it('prints the dashboard URL and the operator’s credentials first; signing in with them there shows the demo account', async () => {
    assert.ok(stack, 'the stack of the first test runs');
    // What comes before the summary: progress lines only, nothing a reader could take for the
    // thing to open (no URL) or for credentials, and none of the children's held-back output.
    const ready = lines.findIndex((l) => /^\[start\] ready\./.test(l));
    assert.ok(ready >= 0, `no summary printed:\n${lines.join('\n')}`);
    for (const line of lines.slice(0, ready)) {
      assert.doesNotMatch(line, /https?:\/\/|email|password|^\[(emulators|host)\]/i, `before the summary: ${line}`);
    }
    const dashboardUrl = /^\[start\] ready\. Open the dashboard: (http:\/\/\S+)$/.exec(lines[ready]!)?.[1];
    assert.ok(dashboardUrl, `the first summary line names the dashboard: ${lines[ready]}`);
    const credential = (name: string) => {
      const at = lines.findIndex((l, i) => i > ready && new RegExp(`^\\[start\\]\\s+${name}\\s`).test(l));
      return { at, value: lines[at]?.trim().split(/\s+/)[2] };
    };
    const email = credential('email');
    const password = credential('password');
    // Right under the dashboard line (after the one saying whom to sign in as), email then password.
    assert.deepEqual([email.at, password.at], [ready + 2, ready + 3], lines.slice(ready, ready + 5).join('\n'));
    assert.ok(email.value && password.value);

    // Following them: the page at that URL, signing in where its inlined configuration says, as the page does.
    const page = await fetch(dashboardUrl);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const configJson = /<script type="application\/json" id="dashboard-config">(.*?)<\/script>/s.exec(
      await page.text(),
    )?.[1];
    const pageConfig = JSON.parse(configJson ?? 'null') as { apiKey: string; authEmulatorUrl: string };
    assert.ok(pageConfig?.authEmulatorUrl && pageConfig.apiKey, `the page's configuration: ${configJson}`);
    const signIn = await fetch(
      `${pageConfig.authEmulatorUrl}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=${pageConfig.apiKey}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: email.value, password: password.value, returnSecureToken: true }),
      },
    );
    assert.equal(signIn.status, 200, `signing in with the printed credentials: ${await signIn.clone().text()}`);
    const { idToken } = (await signIn.json()) as { idToken: string };
    // The page asks `dashboard/accounts` relative to itself (page/api.ts).
    const res = await fetch(new URL('dashboard/accounts', dashboardUrl), {
      headers: { authorization: `Bearer ${idToken}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      operator: boolean;
      accounts: Array<{ accountId: string; connection: { state: string } }>;
    };
    assert.equal(body.operator, true, 'the printed user is an operator');
    const demo = body.accounts.find((a) => a.accountId === ACCOUNT);
    assert.ok(demo, `the demo account is listed: ${JSON.stringify(body.accounts.map((a) => a.accountId))}`);
    assert.equal(demo.connection.state, 'open');
  });

  it('media: a live image stored with the phone’s bytes and streamed to a viewer; history media on request; expired links', async () => {
    assert.ok(stack && authHost && api, 'the stack of the first test runs');
    const db = testDb();
    const viewer = await createTestUser(authHost, `media-viewer-${Date.now()}@example.com`);
    const outsider = await createTestUser(authHost, `media-outsider-${Date.now()}@example.com`);
    await db.doc(paths.member(ACCOUNT, viewer.uid)).set({ role: 'viewer', uid: viewer.uid });
    const get = (path: string, token: string, headers: Record<string, string> = {}) =>
      fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

    /** A simulated contact sends media; resolves with what the phone sent and its message document. */
    const send = async (media: Record<string, unknown>, settled: (state: unknown) => boolean) => {
      const inbox = await db.collection(simulatedInboxPath(ACCOUNT)).add({ media });
      const sent = await until(
        'the phone sent it',
        async () => (await db.doc(`simulated/${ACCOUNT}/outbox/${inbox.id}`).get()).data(),
        20_000,
      );
      const doc = await until(
        'its message document',
        async () => {
          const snap = await db
            .collectionGroup('messages')
            .where('accountId', '==', ACCOUNT)
            .where('id', '==', sent.messageId)
            .get();
          const found = snap.docs[0];
          return found && settled(found.get('media')?.state) ? found : undefined;
        },
        30_000,
      );
      const url = `/media/${ACCOUNT}/${encodeURIComponent(doc.get('threadId'))}/${encodeURIComponent(doc.id)}`;
      const source = db.doc(paths.mediaSource(ACCOUNT, mediaSourceId(false, sent.messageId)));
      return { sent, doc, url, source };
    };
    const sha = (bytes: ArrayBuffer) => createHash('sha256').update(Buffer.from(bytes)).digest('hex');

    // 1. Live: stored eagerly with the phone's bytes; streamed to a viewer (whole and a range), refused to a non-member.
    const photo = await send({ type: 'image', size: 300_000 }, (state) => state === 'stored');
    assert.equal(photo.doc.get('media.sha256'), photo.sent.fileSha256);
    assert.match(photo.doc.get('media.path'), /^accounts\/demo\/media\/.+\/original$/);
    const whole = await get(photo.url, viewer.idToken);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'image/jpeg');
    assert.equal(whole.headers.get('content-length'), '300000');
    assert.equal(sha(await whole.arrayBuffer()), photo.sent.fileSha256, 'the API streams the phone’s bytes');
    const part = await get(photo.url, viewer.idToken, { range: 'bytes=100-199' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 100-199/300000');
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    assert.equal((await get(photo.url, outsider.idToken)).status, 403);

    // 2. History: not fetched on arrival; the first request answers 202, then the file.
    const old = await send({ type: 'image', size: 120_000, history: true }, (state) => state === undefined);
    const first = await get(old.url, viewer.idToken);
    assert.equal(first.status, 202);
    assert.ok(Number(first.headers.get('retry-after')) > 0);
    const fetched = await until(
      'the history image fetched',
      async () => {
        const res = await get(old.url, viewer.idToken);
        return res.status === 200 ? res : undefined;
      },
      30_000,
    );
    assert.equal(sha(await fetched.arrayBuffer()), old.sent.fileSha256);

    // 3. Expired once: one re-upload request, then stored. Expired for good: `expired`, one request only.
    const once = await send({ type: 'audio', size: 50_000, expiry: 'once' }, (state) => state === 'stored');
    assert.equal(once.doc.get('media.sha256'), once.sent.fileSha256);
    assert.equal((await once.source.get()).get('reuploadRequests'), 1);
    const gone = await send({ type: 'document', size: 50_000, expiry: 'forever' }, (state) => state === 'expired');
    assert.equal((await gone.source.get()).get('reuploadRequests'), 1);
    const asked = await get(gone.url, viewer.idToken);
    assert.equal(asked.status, 404);
    assert.equal(
      ((await asked.json()) as { error: { details: { mediaState: string } } }).error.details.mediaState,
      'expired',
    );
    await sleep(1_000);
    assert.equal((await gone.source.get()).get('reuploadRequests'), 1, 'no retry storm');
  });
});
