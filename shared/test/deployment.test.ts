/**
 * How a real deployment is told from a local run, and which emulator settings make it refuse to
 * start. The environments below are the ones each platform really sets (Cloud Run's container
 * contract; firebase-tools' functionsEmulator.ts getSystemEnvs/getEmulatorEnvs).
 */
import assert from 'node:assert/strict';
import { deploymentProblem, EMULATOR_VARIABLES, emulatorVariablesIn, isRealDeployment } from '@wasync/shared';

const CLOUD_RUN = { K_SERVICE: 'api', K_REVISION: 'api-00003-xaz', K_CONFIGURATION: 'api', PORT: '8080' };
const FUNCTIONS_EMULATOR = {
  K_SERVICE: 'api',
  K_REVISION: '1',
  PORT: '80',
  FUNCTION_TARGET: 'api',
  FUNCTIONS_EMULATOR: 'true',
  FIREBASE_DEBUG_MODE: 'true',
  FIREBASE_DEBUG_FEATURES: '{"skipTokenVerification":true,"enableCors":true}',
  FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099',
  FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080',
};

describe('deployment guard', () => {
  it('recognises Cloud Run, and nothing local, as a real deployment', () => {
    assert.equal(isRealDeployment(CLOUD_RUN), true);
    assert.equal(isRealDeployment({ K_REVISION: 'api-00003-xaz' }), true, 'the revision name alone');
    assert.equal(isRealDeployment({ K_CONFIGURATION: 'api' }), true);
    assert.equal(isRealDeployment(FUNCTIONS_EMULATOR), false);
    assert.equal(isRealDeployment({}), false, 'tests, npm start, trigger discovery');
    assert.equal(isRealDeployment({ K_REVISION: ' ', K_CONFIGURATION: '' }), false);
  });

  it('lets the emulator and a clean deployment start', () => {
    assert.equal(deploymentProblem(FUNCTIONS_EMULATOR), undefined);
    assert.equal(deploymentProblem(CLOUD_RUN), undefined);
    assert.equal(deploymentProblem({ ...CLOUD_RUN, GCLOUD_PROJECT: 'p', FIREBASE_CONFIG: '{}' }), undefined);
  });

  it('refuses a real deployment with any emulator variable, naming it but not its value', () => {
    for (const name of EMULATOR_VARIABLES) {
      const problem = deploymentProblem({ ...CLOUD_RUN, [name]: 'localhost:1234' });
      assert.ok(problem?.includes(name), name);
      assert.ok(!problem?.includes('localhost:1234'));
    }
    assert.deepEqual(emulatorVariablesIn({ ...CLOUD_RUN, ...FUNCTIONS_EMULATOR, K_CONFIGURATION: 'api' }), [
      'FUNCTIONS_EMULATOR',
      'FIREBASE_DEBUG_MODE',
      'FIREBASE_DEBUG_FEATURES',
      'FIRESTORE_EMULATOR_HOST',
      'FIREBASE_AUTH_EMULATOR_HOST',
    ]);
    assert.equal(deploymentProblem({ ...CLOUD_RUN, FUNCTIONS_EMULATOR: '' }), undefined, 'empty counts as unset');
  });
});
