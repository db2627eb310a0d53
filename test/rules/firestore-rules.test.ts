/**
 * firestore.rules, evaluated by the official emulator (the embedded one has no rules engine, so
 * these are pending there). For now the rules deny every client access: all writes go through
 * Functions or the socket host, and member reads arrive with the API issue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertFails, initializeTestEnvironment, type RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { doc, getDoc, setDoc } from 'firebase/firestore';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';
import { firestoreHost, requires } from '../support/firestore.ts';

describe('firestore.rules', () => {
  let env: RulesTestEnvironment | undefined;

  async function rulesEnv(): Promise<RulesTestEnvironment> {
    if (!env) {
      const [host, port] = firestoreHost().split(':');
      env = await initializeTestEnvironment({
        projectId: DEMO_PROJECT,
        firestore: { rules: readFileSync(join(REPO_ROOT, 'firestore.rules'), 'utf8'), host, port: Number(port) },
      });
    }
    return env;
  }
  after(async () => env?.cleanup());

  it('deny signed-out clients any read or write', async function () {
    requires(this, 'securityRules');
    const db = (await rulesEnv()).unauthenticatedContext().firestore();
    await assertFails(getDoc(doc(db, 'accounts/a1')));
    await assertFails(setDoc(doc(db, 'accounts/a1'), { displayName: 'x' }));
  });

  it('deny signed-in clients direct writes and server-only collections', async function () {
    requires(this, 'securityRules');
    const db = (await rulesEnv()).authenticatedContext('u1').firestore();
    await assertFails(setDoc(doc(db, 'accounts/a1/threads/t1/messages/m1'), { text: 'forged' }));
    await assertFails(getDoc(doc(db, 'leases/a1')));
    await assertFails(getDoc(doc(db, 'authState/a1')));
    await assertFails(getDoc(doc(db, 'hosts/h1')));
  });
});
