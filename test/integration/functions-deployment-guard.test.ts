/**
 * The emulator guard, in the Functions runtime itself: firebase-tools' Functions emulator starts
 * the deployed bundle with every emulator variable it sets (FUNCTIONS_EMULATOR,
 * FIREBASE_AUTH_EMULATOR_HOST, FIREBASE_DEBUG_FEATURES, …). Given Cloud Run's K_CONFIGURATION as
 * well — what a real deployment has — the functions must refuse to start and serve nothing.
 * (Without it, as in every other emulated test, they serve.) Trigger discovery does not see the
 * variable (firebase-tools gives it only the project's .env values), just as in a real deploy.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT, startFirebaseEmulators } from '../../scripts/lib/firebase-emulators.ts';
import { waitFor } from '../../scripts/lib/ports.ts';
import { firestoreHost } from '../support/firestore.ts';

describe('functions: refuse to start with emulator variables in a real deployment', function () {
  this.timeout(240_000);

  it('the runtime refuses to load and no function answers', async () => {
    execFileSync(process.execPath, ['functions/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    const emulators = await startFirebaseEmulators({
      firestoreHost: firestoreHost(),
      ports: 'free',
      output: 'capture',
      env: { K_CONFIGURATION: 'api' },
    });
    try {
      // The emulator starts the runtime on the first request; a runtime that dies at load leaves
      // the request unanswered, so each gets 15 s and must not come back with a success.
      const answers = ['listAccounts', 'api'].map((name) =>
        fetch(`${emulators.functionUrl(name)}${name === 'api' ? '/whatsapp/openapi.json' : ''}`, {
          method: name === 'api' ? 'GET' : 'POST',
          headers: { 'content-type': 'application/json' },
          ...(name === 'api' ? {} : { body: JSON.stringify({ data: {} }) }),
          signal: AbortSignal.timeout(15_000),
        }).then(
          (res) => ({ name, status: res.status }),
          () => ({ name, status: 0 }),
        ),
      );
      await waitFor(
        'the refusal in the functions’ log',
        async () => /refusing to start/.test(emulators.output()),
        30_000,
      );
      for (const { name, status } of await Promise.all(answers)) {
        assert.ok(status === 0 || status >= 500, `${name} answered ${status}`);
      }
      const refusal =
        emulators
          .output()
          .split('\n')
          .find((line) => /refusing to start/.test(line)) ?? '';
      for (const name of ['FUNCTIONS_EMULATOR', 'FIREBASE_AUTH_EMULATOR_HOST', 'FIREBASE_DEBUG_FEATURES']) {
        assert.match(refusal, new RegExp(name), `names ${name}`);
      }
      assert.doesNotMatch(refusal, /127\.0\.0\.1/, 'names the variables, not their values');
    } finally {
      await emulators.stop();
    }
  });
});
