/**
 * `GET /api/whatsapp/dashboard/members/:accountId`: an account's members with their emails, for
 * its admins and operators only.
 */
import assert from 'node:assert/strict';
import { clearFirestore, testDb } from '../../../test/support/firestore.ts';
import { assertError, assertMatchesSchema, testApi } from '../support/api.ts';
import { newPeople, type Persona, seedAccount, type Who } from '../support/fixtures.ts';

describe('dashboard: GET /dashboard/members/:accountId', function () {
  this.timeout(60_000);
  const api = testApi();
  const people = {} as Record<Who, Persona>;

  before(async function () {
    this.timeout(180_000);
    Object.assign(people, await newPeople());
    const { viewer, agent, admin } = people;
    await clearFirestore();
    await seedAccount(testDb(), 'dash-members', {
      [viewer.uid]: 'viewer',
      [agent.uid]: 'agent',
      [admin.uid]: 'admin',
      'uid-without-user': 'viewer',
    });
  });

  it('lists every member with role and email to admins and operators', async () => {
    for (const who of ['admin', 'operator'] as const) {
      const res = await api.get('/api/whatsapp/dashboard/members/dash-members', people[who].idToken);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assertMatchesSchema('DashboardMembers', res.body);
      const byUid = Object.fromEntries(res.body.members.map((m: { uid: string }) => [m.uid, m]));
      assert.deepEqual(byUid[people.viewer.uid], {
        uid: people.viewer.uid,
        role: 'viewer',
        email: people.viewer.email,
      });
      assert.deepEqual(byUid[people.admin.uid], { uid: people.admin.uid, role: 'admin', email: people.admin.email });
      assert.deepEqual(byUid['uid-without-user'], { uid: 'uid-without-user', role: 'viewer' });
      assert.equal(res.body.members.length, 4);
    }
  });

  it('refuses viewers, agents and non-members (403), anonymous callers (401), and bad ids (400)', async () => {
    for (const who of ['viewer', 'agent', 'outsider'] as const) {
      assertError(
        await api.get('/api/whatsapp/dashboard/members/dash-members', people[who].idToken),
        403,
        'permission_denied',
      );
    }
    assertError(await api.get('/api/whatsapp/dashboard/members/dash-members'), 401, 'unauthenticated');
    assertError(await api.get('/api/whatsapp/dashboard/members/nope-404', people.operator.idToken), 404, 'not_found');
    assertError(
      await api.get('/api/whatsapp/dashboard/members/%2E%2E', people.operator.idToken),
      400,
      'invalid_argument',
    );
    assertError(
      await api.get('/api/whatsapp/dashboard/members/dash-members?x=1', people.admin.idToken),
      400,
      'invalid_argument',
    );
  });
});
