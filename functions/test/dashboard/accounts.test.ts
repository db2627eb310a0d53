/**
 * `GET /api/whatsapp/dashboard/accounts`, in-process with real ID tokens: who sees which accounts,
 * that the QR and pairing code reach admins and operators only (and only while pairing), and that
 * an item carries exactly the documented fields — host, counts, sync and backfill progress — and
 * nothing else a writer put on the account document. Every answer matches the OpenAPI schema.
 */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, requires, testDb } from '../../../test/support/firestore.ts';
import type { DashboardAccount } from '../../src/dashboard/contract.ts';
import { assertError, assertMatchesSchema, testApi } from '../support/api.ts';
import { newPeople, type Persona, seedAccount, seedThread, type Who } from '../support/fixtures.ts';

const URL = '/api/whatsapp/dashboard/accounts';
const QR = '2@dashboard-ref,noise,identity,adv';
const T = 1_800_000_000_000;
const ts = (ms: number) => Timestamp.fromMillis(ms);

describe('dashboard: GET /dashboard/accounts', function () {
  this.timeout(60_000);
  const api = testApi();
  const people = {} as Record<Who, Persona>;

  before(async function () {
    this.timeout(180_000);
    Object.assign(people, await newPeople());
    const { viewer, agent, admin } = people;
    await clearFirestore();
    const db = testDb();
    await seedAccount(db, 'dash-pairing', { [viewer.uid]: 'viewer', [agent.uid]: 'agent', [admin.uid]: 'admin' });
    await seedAccount(db, 'dash-open', { [viewer.uid]: 'viewer', [admin.uid]: 'admin' });
    await seedAccount(db, 'dash-other', {});
    await db.doc(paths.account('dash-pairing')).update({
      connection: { state: 'qr', updatedAt: ts(T) },
      internalBookkeeping: { secret: 'never shown' },
    });
    await db.doc(paths.pairing('dash-pairing')).set({ qr: QR, qrExpiresAt: ts(T + 60_000), updatedAt: ts(T) });
    // A stale pairing document left behind in a state that is not pairing is not shown, even to admins.
    await db.doc(paths.pairing('dash-open')).set({ qr: 'stale', pairingCode: 'OLDCODE1', updatedAt: ts(T) });
    await db.doc(paths.account('dash-open')).update({
      phone: '+4915100000009',
      me: { id: '4915100000009:3@s.whatsapp.net', lid: '123456789:3@lid', name: 'Shop', extra: 'dropped' },
      connection: { state: 'open', lastError: 'earlier', updatedAt: ts(T) },
      lastConnectedAt: ts(T - 5_000),
      lastHistorySyncAt: ts(T - 1_000),
      historySync: {
        syncType: 'FULL',
        progress: 100,
        chunks: 12,
        messages: 3400,
        isLatest: true,
        updatedAt: ts(T - 1_000),
        x: 1,
      },
      lastBackfillAt: ts(T - 500),
      backfill: {
        state: 'done',
        threads: 3,
        requested: 300,
        received: 120,
        startedAt: ts(T - 9_000),
        finishedAt: ts(T - 500),
      },
    });
    await db.doc(paths.lease('dash-open')).set({
      accountId: 'dash-open',
      holder: 'local-abc123',
      epoch: 4,
      seq: 9,
      acquiredAt: ts(T - 6_000),
      renewedAt: ts(T - 1_000),
      expiresAt: ts(T + 29_000),
    });
    await db.doc(paths.lease('dash-other')).set({
      holder: null,
      epoch: 2,
      seq: 5,
      acquiredAt: ts(T - 60_000),
      renewedAt: ts(T - 20_000),
      expiresAt: ts(T - 20_000),
    });
    await seedThread(db, { accountId: 'dash-open', jid: '4915100000010@s.whatsapp.net', count: 25 });
    await seedThread(db, { accountId: 'dash-open', jid: '4915100000011@s.whatsapp.net', count: 4 });
  });

  async function accountsFor(who: Who): Promise<DashboardAccount[]> {
    const res = await api.get(URL, people[who].idToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSchema('DashboardAccountsPage', res.body);
    assert.equal(res.body.operator, who === 'operator');
    assert.ok(Math.abs(res.body.serverTime - Date.now()) < 60_000);
    return res.body.accounts;
  }

  it('needs a token', async () => {
    assertError(await api.get(URL), 401, 'unauthenticated');
  });

  it('a non-member sees no accounts; operators see all, members theirs', async function () {
    requires(this, 'collectionGroupQueries');
    assert.deepEqual(await accountsFor('outsider'), []);
    const ids = async (who: Who) => (await accountsFor(who)).map((a) => [a.accountId, a.role]);
    assert.deepEqual(await ids('operator'), [
      ['dash-open', 'operator'],
      ['dash-other', 'operator'],
      ['dash-pairing', 'operator'],
    ]);
    assert.deepEqual(await ids('viewer'), [
      ['dash-open', 'viewer'],
      ['dash-pairing', 'viewer'],
    ]);
    assert.deepEqual(await ids('agent'), [['dash-pairing', 'agent']]);
  });

  it('the QR and the host go to admins and operators only; the QR never in connection, never for a state that is not pairing', async function () {
    requires(this, 'collectionGroupQueries');
    for (const who of ['viewer', 'agent', 'admin', 'operator'] as const) {
      const accounts = await accountsFor(who);
      const pairing = accounts.find((a) => a.accountId === 'dash-pairing')!;
      assert.deepEqual(pairing.connection, { state: 'qr', updatedAt: T }, who);
      if (who === 'admin' || who === 'operator') {
        assert.deepEqual(pairing.pairing, { qr: QR, qrExpiresAt: T + 60_000, updatedAt: T }, who);
      } else {
        assert.equal('pairing' in pairing, false, who);
        assert.doesNotMatch(JSON.stringify(accounts), new RegExp(QR), who);
      }
      const open = accounts.find((a) => a.accountId === 'dash-open');
      if (open) assert.equal('pairing' in open, false, `${who}: stale pairing of an open account`);
      // The lease (which host holds it) is operations' business: admins and operators.
      assert.equal('host' in pairing, who === 'admin' || who === 'operator', `${who}: host`);
      if (open) assert.equal('host' in open, who === 'admin' || who === 'operator', `${who}: host`);
    }
  });

  it('carries host, counts, sync and backfill progress, and only the documented fields', async () => {
    const open = (await accountsFor('operator')).find((a) => a.accountId === 'dash-open')!;
    const { countedAt, ...counts } = open.counts;
    assert.ok(Math.abs(countedAt - Date.now()) < 60_000);
    assert.deepEqual(
      { ...open, counts },
      {
        accountId: 'dash-open',
        displayName: 'Account dash-open',
        role: 'operator',
        phone: '+4915100000009',
        me: { id: '4915100000009:3@s.whatsapp.net', lid: '123456789:3@lid', name: 'Shop' },
        connection: { state: 'open', lastError: 'earlier', updatedAt: T },
        host: { holder: 'local-abc123', epoch: 4, since: T - 6_000, expiresAt: T + 29_000 },
        lastConnectedAt: T - 5_000,
        lastHistorySyncAt: T - 1_000,
        historySync: {
          syncType: 'FULL',
          progress: 100,
          chunks: 12,
          messages: 3400,
          isLatest: true,
          updatedAt: T - 1_000,
        },
        lastBackfillAt: T - 500,
        backfill: {
          state: 'done',
          threads: 3,
          requested: 300,
          received: 120,
          startedAt: T - 9_000,
          finishedAt: T - 500,
        },
        counts: { threads: 2, messages: 29 },
      },
    );
    const all = await accountsFor('operator');
    const other = all.find((a) => a.accountId === 'dash-other')!;
    assert.deepEqual(other.host, { holder: null, epoch: 2, since: T - 20_000, expiresAt: T - 20_000 });
    const pairing = all.find((a) => a.accountId === 'dash-pairing')!;
    assert.equal(pairing.host, null);
    assert.deepEqual(Object.keys(pairing).sort(), [
      'accountId',
      'connection',
      'counts',
      'displayName',
      'host',
      'pairing',
      'role',
    ]);
  });

  it('pages like GET /accounts (limit, cursor) and refuses bad ones', async () => {
    const first = await api.get(`${URL}?limit=2`, people.operator.idToken);
    assert.equal(first.status, 200);
    assert.equal(first.body.accounts.length, 2);
    const second = await api.get(
      `${URL}?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      people.operator.idToken,
    );
    assert.deepEqual(
      second.body.accounts.map((a: DashboardAccount) => a.accountId),
      ['dash-pairing'],
    );
    assert.equal(second.body.nextCursor, undefined);
    assertError(await api.get(`${URL}?limit=0`, people.operator.idToken), 400, 'invalid_argument');
    assertError(await api.get(`${URL}?limt=2`, people.operator.idToken), 400, 'invalid_argument');
    assertError(await api.get(`${URL}?cursor=nope`, people.operator.idToken), 400, 'invalid_cursor');
  });
});
