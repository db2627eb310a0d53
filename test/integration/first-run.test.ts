/**
 * `npm start`'s first run (scripts/lib/first-run.ts) against the real Auth and Functions
 * emulators: the seeded operator signs in with the printed credentials and its ID token carries
 * `operator: true`; seeding again changes nothing; the printed shell lines, run by bash as a user
 * would paste them, list the accounts and create one through the deployed functions bundle.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type App, deleteApp, initializeApp } from 'firebase-admin/app';
import { type Auth, getAuth } from 'firebase-admin/auth';
import type { FirebaseEmulators } from '../../scripts/lib/firebase-emulators.ts';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import {
  DEFAULT_OPERATOR,
  DEMO_ACCOUNT,
  dashboardIsServed,
  ensureDemoAccount,
  firstRunLines,
  type OperatorCredentials,
  operatorCredentials,
  operatorShellSnippet,
  seedOperator,
} from '../../scripts/lib/first-run.ts';
import { StartupOutput } from '../../scripts/lib/startup-output.ts';
import { sharedEmulators } from '../support/emulators.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const run = promisify(execFile);

describe('npm start first run', function () {
  this.timeout(60_000);
  let emulators: FirebaseEmulators;
  let app: App;
  let auth: Auth;
  let n = 0;
  // Quotes and a `$` check that the printed shell lines quote what they embed.
  const uniqueOperator = (): OperatorCredentials => ({
    email: `operator-${Date.now().toString(36)}-${n++}@example.com`,
    password: `it's "op" $HOME ${n}`,
  });

  before(async function () {
    this.timeout(180_000);
    emulators = await sharedEmulators();
    app = initializeApp({ projectId: DEMO_PROJECT }, 'first-run-test');
    auth = getAuth(app);
  });
  after(async () => {
    await deleteApp(app);
  });

  async function signIn(credentials: OperatorCredentials): Promise<{ idToken: string }> {
    const res = await fetch(
      `http://${emulators.authHost}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...credentials, returnSecureToken: true }),
      },
    );
    assert.equal(res.status, 200, `sign-in answered ${res.status}: ${await res.clone().text()}`);
    return (await res.json()) as { idToken: string };
  }

  it('seeds an operator whose credentials sign in with operator: true; seeding again changes nothing', async () => {
    const operator = uniqueOperator();
    const first = await seedOperator(auth, operator);
    const again = await seedOperator(auth, operator);
    assert.deepEqual(first, { uid: first.uid, created: true });
    assert.deepEqual(again, { uid: first.uid, created: false });

    const user = await auth.getUserByEmail(operator.email);
    assert.equal(user.uid, first.uid);
    assert.equal(user.emailVerified, true);
    assert.deepEqual(user.customClaims, { operator: true });

    const token = await auth.verifyIdToken((await signIn(operator)).idToken);
    assert.equal(token.uid, first.uid);
    assert.equal(token.operator, true);
    assert.equal(token.email_verified, true);
  });

  it('makes an existing user the operator: new password, verified, other claims kept', async () => {
    const operator = uniqueOperator();
    const existing = await auth.createUser({ email: operator.email, password: 'an-older-password' });
    await auth.setCustomUserClaims(existing.uid, { team: 'support' });

    assert.deepEqual(await seedOperator(auth, operator), { uid: existing.uid, created: false });
    const token = await auth.verifyIdToken((await signIn(operator)).idToken);
    assert.equal(token.uid, existing.uid);
    assert.equal(token.operator, true);
    assert.equal(token.team, 'support');
    assert.equal(token.email_verified, true);
  });

  it('the printed shell lines sign in, list the accounts and create one, as pasted into bash', async () => {
    await clearFirestore();
    await testDb()
      .doc('accounts/first-run-a')
      .set({ displayName: 'A', connection: { state: 'idle' } });
    const operator = uniqueOperator();
    const { uid } = await seedOperator(auth, operator);
    const functionsBase = `${emulators.functionsUrl}/${emulators.project}/us-central1`;
    const snippet = operatorShellSnippet({
      operator,
      authHost: emulators.authHost,
      apiBase: `${emulators.functionUrl('api')}/whatsapp`,
      functionsBase,
    });

    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', snippet.join('\n')]);
    const [listed, created] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      listed.accounts.map((a: { accountId: string; role: string }) => [a.accountId, a.role]),
      [['first-run-a', 'operator']],
    );
    assert.equal(created.result.accountId, 'shop-1');
    const shop = await testDb().doc('accounts/shop-1').get();
    assert.equal(shop.get('displayName'), 'Shop 1');
    assert.equal((await testDb().doc(`accounts/shop-1/members/${uid}`).get()).get('role'), 'admin');
  });

  it('the api function serves the dashboard, so the first line npm start prints is where to open it', async () => {
    const dashboardUrl = `${emulators.functionUrl('api')}/whatsapp/dashboard`;
    assert.equal(await dashboardIsServed(dashboardUrl), true);
    const { say } = firstRunLines({
      operator: DEFAULT_OPERATOR,
      authHost: emulators.authHost,
      apiBase: `${emulators.functionUrl('api')}/whatsapp`,
      functionsBase: `${emulators.functionsUrl}/${emulators.project}/us-central1`,
      dashboardUrl,
    });
    assert.equal(say[0], `ready. Open the dashboard: ${dashboardUrl}`);
  });

  it('creates the demo account only in an empty Firestore, else names the first account', async () => {
    await clearFirestore();
    assert.deepEqual(await ensureDemoAccount(testDb()), { accountId: DEMO_ACCOUNT.accountId, created: true });
    const demo = await testDb().doc(`accounts/${DEMO_ACCOUNT.accountId}`).get();
    assert.equal(demo.get('displayName'), DEMO_ACCOUNT.displayName);
    assert.equal(demo.get('connection.state'), 'idle');
    assert.deepEqual(await ensureDemoAccount(testDb()), { accountId: DEMO_ACCOUNT.accountId, created: false });
    await clearFirestore();
    await testDb()
      .doc('accounts/already-here')
      .set({ displayName: 'A', connection: { state: 'idle' } });
    assert.deepEqual(await ensureDemoAccount(testDb()), { accountId: 'already-here', created: false });
  });

  it('refuses to seed unless firebase-admin talks to the Auth emulator', async () => {
    const authHost = process.env.FIREBASE_AUTH_EMULATOR_HOST;
    delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
    try {
      await assert.rejects(seedOperator(auth, uniqueOperator()), /only runs against the Auth emulator/);
    } finally {
      process.env.FIREBASE_AUTH_EMULATOR_HOST = authHost;
    }
  });
});

describe('npm start first run: what it prints', () => {
  it('takes the operator from WASYNC_OPERATOR_EMAIL / _PASSWORD, with defaults, and names every bad one', () => {
    assert.deepEqual(operatorCredentials({}), DEFAULT_OPERATOR);
    assert.deepEqual(
      operatorCredentials({ WASYNC_OPERATOR_EMAIL: ' ops@shop.test ', WASYNC_OPERATOR_PASSWORD: 'secret-1' }),
      { email: 'ops@shop.test', password: 'secret-1' },
    );
    assert.throws(
      () => operatorCredentials({ WASYNC_OPERATOR_EMAIL: 'ops', WASYNC_OPERATOR_PASSWORD: '12345' }),
      /WASYNC_OPERATOR_EMAIL: not an email address; WASYNC_OPERATOR_PASSWORD: at least 6 characters/,
    );
  });

  it('prints the dashboard first when it is served, else the operator credentials', () => {
    const places = {
      operator: DEFAULT_OPERATOR,
      authHost: '127.0.0.1:9099',
      apiBase: 'http://127.0.0.1:5001/p/us-central1/api/whatsapp',
      functionsBase: 'http://127.0.0.1:5001/p/us-central1',
    };
    const without = firstRunLines(places).say;
    assert.match(without[0]!, /^ready\. sign in as the seeded operator/);
    assert.match(without[1]!, /email +operator@example\.com/);
    assert.match(without[2]!, /password +operator-password/);
    const dashboardUrl = `${places.apiBase}/dashboard`;
    const withPage = firstRunLines({ ...places, dashboardUrl }).say;
    assert.equal(withPage[0], `ready. Open the dashboard: ${dashboardUrl}`);
    assert.deepEqual(withPage.slice(2), without.slice(1));
  });

  it("holds the children's start-up lines until the summary is out, then saves them and prints the rest", () => {
    const dir = mkdtempSync(join(tmpdir(), 'startup-output-'));
    try {
      const printed: string[] = [];
      const output = new StartupOutput(join(dir, 'sub', 'startup.log'), (text) => printed.push(text));
      output.line('emulators', 'banner');
      output.line('host', '{"message":"starting"}');
      assert.deepEqual(printed, []);
      assert.equal(output.held(), '[emulators] banner\n[host] {"message":"starting"}\n');
      output.release();
      output.line('host', 'later');
      assert.deepEqual(printed, ['[host] later\n']);
      assert.equal(
        readFileSync(join(dir, 'sub', 'startup.log'), 'utf8'),
        '[emulators] banner\n[host] {"message":"starting"}\n',
      );
      assert.equal(output.held(), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('dashboardIsServed', () => {
    let server: Server;
    let base: string;
    before(async () => {
      server = createServer((req, res) => {
        if (req.url === '/html')
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html>');
        else if (req.url === '/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else if (req.url === '/redirect') res.writeHead(302, { location: '/html' }).end();
        else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{}}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('is true only for a page (200, HTML)', async () => {
      assert.equal(await dashboardIsServed(`${base}/html`), true);
      assert.equal(await dashboardIsServed(`${base}/json`), false);
      assert.equal(await dashboardIsServed(`${base}/redirect`), false);
      assert.equal(await dashboardIsServed(`${base}/missing`), false);
      assert.equal(await dashboardIsServed('http://127.0.0.1:1/nothing-listens'), false);
    });
  });
});
