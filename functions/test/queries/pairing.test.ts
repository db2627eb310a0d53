/**
 * The pairing QR and code reach admins and operators only: they live in the admin-only document
 * `accounts/{id}/private/pairing` (never on the account document every member reads),
 * `readPairings` reads them (the one place that knows where they are stored), and the account
 * listings — the API's and the callable's, which run the same query — add them as `pairing` for
 * admins and operators and never for viewers or agents.
 */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, requires, testDb } from '../../../test/support/firestore.ts';
import type { Caller } from '../../src/access/authorize.ts';
import { listAccounts } from '../../src/queries/accounts.ts';
import { mayReadPairing, readPairings } from '../../src/queries/pairing.ts';
import { type TestApi, testApi } from '../support/api.ts';
import { newPeople, type Persona, seedAccount, type Who } from '../support/fixtures.ts';

const QR = '2@pairing-ref,noise-key,identity-key,adv-secret';
const EXPIRES = 1_800_000_060_000;
const UPDATED = 1_800_000_000_000;

/** What the socket host writes while an account pairs: the state on the account, the secrets aside. */
async function showPairing(accountId: string, fields: Record<string, unknown>): Promise<void> {
  await testDb()
    .doc(paths.account(accountId))
    .update({ connection: { state: 'qr', updatedAt: Timestamp.fromMillis(UPDATED) } });
  await testDb()
    .doc(paths.pairing(accountId))
    .set({ updatedAt: Timestamp.fromMillis(UPDATED), ...fields });
}

describe('queries: pairing secrets', function () {
  this.timeout(60_000);
  const api: TestApi = testApi();
  const people = {} as Record<Who, Persona>;

  before(async function () {
    this.timeout(180_000);
    Object.assign(people, await newPeople());
  });

  beforeEach(async () => {
    await clearFirestore();
    const { viewer, agent, admin } = people;
    await seedAccount(testDb(), 'pair-qr', { [viewer.uid]: 'viewer', [agent.uid]: 'agent', [admin.uid]: 'admin' });
    await seedAccount(testDb(), 'pair-code', {});
    await seedAccount(testDb(), 'pair-none', {});
    await showPairing('pair-qr', { qr: QR, qrExpiresAt: Timestamp.fromMillis(EXPIRES) });
    await showPairing('pair-code', { pairingCode: 'ABCD1234' });
  });

  it('readPairings reads the QR with its expiry and the pairing code, for the accounts that have them', async () => {
    const pairings = await readPairings(testDb(), ['pair-qr', 'pair-code', 'pair-none', 'pair-missing']);
    assert.deepEqual(Object.fromEntries(pairings), {
      'pair-qr': { qr: QR, qrExpiresAt: EXPIRES, updatedAt: UPDATED },
      'pair-code': { pairingCode: 'ABCD1234', updatedAt: UPDATED },
    });
    assert.deepEqual(await readPairings(testDb(), []), new Map());
  });

  it('only admins and operators may read them', () => {
    assert.deepEqual((['viewer', 'agent', 'admin', 'operator'] as const).filter(mayReadPairing), ['admin', 'operator']);
  });

  it('GET /accounts gives them to admins and operators, never to viewers or agents', async function () {
    requires(this, 'collectionGroupQueries');
    const accountOf = async (who: keyof typeof people) => {
      const res = await api.get('/api/whatsapp/accounts', people[who].idToken);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.accounts.find((a: { accountId: string }) => a.accountId === 'pair-qr');
    };
    for (const who of ['viewer', 'agent'] as const) {
      const account = await accountOf(who);
      assert.deepEqual(account.connection, { state: 'qr', updatedAt: UPDATED }, who);
      assert.equal(account.pairing, undefined, who);
      assert.doesNotMatch(JSON.stringify(account), /pairing-ref|ABCD1234/, who);
    }
    for (const who of ['admin', 'operator'] as const) {
      const account = await accountOf(who);
      assert.deepEqual(account.pairing, { qr: QR, qrExpiresAt: EXPIRES, updatedAt: UPDATED }, who);
    }
  });

  it('the listing the listAccounts callable runs drops them for viewers and agents too', async function () {
    requires(this, 'collectionGroupQueries');
    for (const who of ['viewer', 'agent', 'admin'] as const) {
      const caller: Caller = { uid: people[who].uid, operator: false };
      const { accounts } = await listAccounts(testDb(), caller, { limit: 10 });
      assert.equal(accounts.length, 1, who);
      assert.equal(accounts[0]!.pairing?.qr, who === 'admin' ? QR : undefined, who);
      assert.equal('pairing' in accounts[0]!, who === 'admin', who);
    }
  });
});
