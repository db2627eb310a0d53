/**
 * The send budget across function instances: concurrent requests to the emulated `api` function
 * each get a runtime process of their own (firebase-tools starts a new worker whenever none is
 * idle), so they race as separate instances would. Together they must not exceed the budget.
 */
import assert from 'node:assert/strict';
import { paths } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import type { FirebaseEmulators } from '../../scripts/lib/firebase-emulators.ts';
import { createTestUser, type TestUser } from '../support/auth-emulator.ts';
import { EMULATED_SEND_BUDGET, sharedEmulators } from '../support/emulators.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNT = 'limits-emulated';
const JID = '4915100000088@s.whatsapp.net';

describe('functions: the send budget across emulated instances', function () {
  this.timeout(180_000);
  let emulators: FirebaseEmulators;
  let agent: TestUser;
  let n = 0;

  before(async function () {
    this.timeout(180_000);
    emulators = await sharedEmulators();
    agent = await createTestUser(emulators.authHost, `limits-${Date.now().toString(36)}@example.com`);
  });
  beforeEach(async () => {
    await clearFirestore();
    await testDb()
      .doc(paths.account(ACCOUNT))
      .set({ displayName: 'Limits', connection: { state: 'open', updatedAt: Timestamp.now() } });
    await testDb().doc(paths.member(ACCOUNT, agent.uid)).set({ role: 'agent', uid: agent.uid });
  });

  const clearCommands = async () => {
    const batch = testDb().batch();
    for (const doc of (await testDb().collection(paths.commands(ACCOUNT)).get()).docs) batch.delete(doc.ref);
    await batch.commit();
  };

  /** `count` sends at once, each with its own clientMessageId. */
  async function race(count: number): Promise<{ status: number; retryAfter: string | null; code?: string }[]> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const res = await fetch(`${emulators.functionUrl('api')}/whatsapp/send`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.idToken}` },
          body: JSON.stringify({ accountId: ACCOUNT, to: JID, text: 'race', clientMessageId: `race-${n++}` }),
        });
        const body = (await res.json()) as { error?: { code: string } };
        return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error?.code };
      }),
    );
  }

  /** Sends the budget allows between `started` and now, from `tokens` at the start. */
  const allowed = (tokens: number, started: number) =>
    Math.floor(tokens + ((Date.now() - started) * EMULATED_SEND_BUDGET) / 60_000);

  it('two instances racing for the last token: exactly one passes, every round', async () => {
    // Two runtime processes, started together and then idle: each racer below gets one of them.
    // (More cold starts at once overrun the emulator's 30 s load timeout on a small machine.)
    await Promise.all([0, 1].map(() => fetch(`${emulators.functionUrl('api')}/whatsapp/openapi.json`)));
    const rounds = 10;
    const accepted: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await clearCommands();
      const started = Date.now();
      await testDb()
        .doc(paths.limit(ACCOUNT, 'send'))
        .set({ tokens: 1, at: Timestamp.fromMillis(started) });
      const answers = await race(2);
      const passed = answers.filter((a) => a.status === 202).length;
      accepted.push(passed);
      assert.ok(passed >= 1 && passed <= allowed(1, started), `round ${round}: ${JSON.stringify(answers)}`);
      for (const a of answers.filter((x) => x.status !== 202)) {
        assert.deepEqual([a.status, a.code], [429, 'resource_exhausted']);
        assert.match(String(a.retryAfter), /^[1-9][0-9]*$/);
      }
      assert.equal((await testDb().collection(paths.commands(ACCOUNT)).get()).size, passed);
    }
    console.log(
      `      ${rounds} rounds of 2 concurrent instances for 1 token: accepted per round ${accepted.join(' ')}`,
    );
  });

  it('a full budget against more racers: the budget passes, the rest get 429', async () => {
    const started = Date.now();
    // Two warm instances, each taking requests one after another: 2 × 3 sends for 3 tokens.
    const answers = (
      await Promise.all([
        race(1).then(async (a) => [...a, ...(await race(1)), ...(await race(1))]),
        race(1).then(async (a) => [...a, ...(await race(1)), ...(await race(1))]),
      ])
    ).flat();
    const passed = answers.filter((a) => a.status === 202).length;
    console.log(
      `      budget ${EMULATED_SEND_BUDGET}/min, ${answers.length} sends from 2 instances: ${passed} accepted`,
    );
    assert.ok(passed >= EMULATED_SEND_BUDGET && passed <= allowed(EMULATED_SEND_BUDGET, started), `${passed}`);
    assert.equal((await testDb().collection(paths.commands(ACCOUNT)).get()).size, passed);
  });
});
