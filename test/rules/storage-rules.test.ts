/**
 * storage.rules, evaluated by firebase-tools' Storage emulator with its rules runtime (Java; run
 * the suite under `firebase emulators:exec --only storage`). The embedded emulator leaves the
 * rules runtime out, so there these tests are pending with that reason. Media goes to apps through
 * the API only: no client, signed in or not, member or not, reads or writes any object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertFails,
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
} from '@firebase/rules-unit-testing';
import { getBytes, ref, uploadBytes } from 'firebase/storage';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { sharedStorage, TEST_BUCKET } from '../support/storage.ts';

const OBJECT = 'accounts/acct-a/media/t1/peer~M1/original';

describe('storage.rules', function () {
  this.timeout(30_000);
  let env: RulesTestEnvironment | undefined;

  beforeEach(async function () {
    const backend = await sharedStorage();
    if (backend.kind !== 'external') {
      if (this.currentTest) {
        this.currentTest.title += ' (pending: needs the Storage emulator with its rules runtime, which needs Java)';
      }
      this.skip();
    }
    const [host, port] = backend.host.split(':');
    env ??= await initializeTestEnvironment({
      projectId: DEMO_PROJECT,
      storage: { rules: readFileSync(join(REPO_ROOT, 'storage.rules'), 'utf8'), host, port: Number(port) },
    });
    await env.withSecurityRulesDisabled(async (ctx) => {
      await uploadBytes(ref(ctx.storage(`gs://${TEST_BUCKET}`), OBJECT), new Uint8Array([1, 2, 3]));
    });
  });

  after(async () => {
    await env?.cleanup();
  });

  const contexts: [string, (e: RulesTestEnvironment) => RulesTestContext][] = [
    ['a signed-out client', (e) => e.unauthenticatedContext()],
    ['a signed-in client', (e) => e.authenticatedContext('member-of-acct-a')],
    ['an operator', (e) => e.authenticatedContext('ops', { operator: true })],
  ];
  for (const [who, context] of contexts) {
    it(`deny ${who} reading or writing media`, async () => {
      const storage = context(env!).storage(`gs://${TEST_BUCKET}`);
      await assertFails(getBytes(ref(storage, OBJECT)));
      await assertFails(uploadBytes(ref(storage, OBJECT), new Uint8Array([9])));
      await assertFails(uploadBytes(ref(storage, 'accounts/acct-a/media/t1/new/original'), new Uint8Array([9])));
    });
  }
});
