/**
 * What `firebase deploy` would create: the functions' deploy manifest, produced the way firebase-
 * tools produces it (the firebase-functions binary loads the built bundle with
 * FUNCTIONS_CONTROL_API=true and only the project's functions/.env values in its environment).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CALLABLE_NAMES } from '@wasync/shared/client';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';

interface Endpoint {
  region: string[];
  availableMemoryMb: number;
  cpu: number;
  concurrency: number;
  timeoutSeconds: number;
  maxInstances: number | null;
  secretEnvironmentVariables?: { key: string }[];
  httpsTrigger?: object;
  callableTrigger?: object;
  taskQueueTrigger?: { retryConfig?: Record<string, unknown>; rateLimits?: Record<string, unknown> };
}

/** Runs discovery with `dotenv` as the project's functions/.env; the manifest, or the failure. */
function discover(dotenv: Record<string, string>): {
  manifest?: { endpoints: Record<string, Endpoint> };
  stderr: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'wasync-manifest-'));
  try {
    const out = join(dir, 'functions.json');
    const run = spawnSync(join(REPO_ROOT, 'node_modules/.bin/firebase-functions'), ['.'], {
      cwd: join(REPO_ROOT, 'functions'),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        GCLOUD_PROJECT: 'demo-wasync',
        FUNCTIONS_CONTROL_API: 'true',
        FUNCTIONS_MANIFEST_OUTPUT_PATH: out,
        ...dotenv,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (run.status !== 0) return { stderr: run.stderr };
    return { manifest: JSON.parse(readFileSync(out, 'utf8')), stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('functions deploy manifest', function () {
  this.timeout(120_000);
  before(() => {
    execFileSync(process.execPath, ['functions/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  });

  it('deploys every function to FUNCTIONS_REGION, sized and capped, with secrets only where used', () => {
    const { manifest, stderr } = discover({ FUNCTIONS_REGION: 'europe-west1', FUNCTIONS_MAX_INSTANCES: '7' });
    assert.ok(manifest, stderr);
    const names = Object.keys(manifest.endpoints).sort();
    assert.deepEqual(names, ['api', 'backfill', ...CALLABLE_NAMES].sort());
    for (const [name, endpoint] of Object.entries(manifest.endpoints)) {
      assert.deepEqual(
        [
          endpoint.region,
          endpoint.availableMemoryMb,
          endpoint.cpu,
          endpoint.concurrency,
          endpoint.timeoutSeconds,
          endpoint.maxInstances,
        ],
        [['europe-west1'], 512, 1, 80, 60, 7],
        name,
      );
      const secrets = (endpoint.secretEnvironmentVariables ?? []).map((s) => s.key);
      assert.deepEqual(secrets, ['api', 'sendMessage'].includes(name) ? ['SEND_ID_SECRET'] : [], name);
    }
    assert.ok(manifest.endpoints.api?.httpsTrigger);
    assert.ok(manifest.endpoints.listThreads?.callableTrigger);
    // The reconnect backfill's task queue: its retry and rate-limit configuration deploy with it.
    const queue = manifest.endpoints.backfill?.taskQueueTrigger;
    const { maxAttempts, minBackoffSeconds, maxBackoffSeconds, maxDoublings } = queue?.retryConfig ?? {};
    assert.deepEqual(
      { maxAttempts, minBackoffSeconds, maxBackoffSeconds, maxDoublings },
      { maxAttempts: 5, minBackoffSeconds: 10, maxBackoffSeconds: 300, maxDoublings: 4 },
    );
    const { maxConcurrentDispatches, maxDispatchesPerSecond } = queue?.rateLimits ?? {};
    assert.deepEqual(
      { maxConcurrentDispatches, maxDispatchesPerSecond },
      { maxConcurrentDispatches: 6, maxDispatchesPerSecond: 2 },
    );
  });

  it('uses us-central1 and 10 instances when nothing is set', () => {
    const { manifest, stderr } = discover({});
    assert.ok(manifest, stderr);
    for (const endpoint of Object.values(manifest.endpoints)) {
      assert.deepEqual([endpoint.region, endpoint.maxInstances], [['us-central1'], 10]);
    }
  });

  it('fails the deploy on a bad setting, naming it', () => {
    const { manifest, stderr } = discover({ FUNCTIONS_REGION: 'Europe West', FUNCTIONS_MAX_INSTANCES: '0' });
    assert.equal(manifest, undefined);
    assert.match(stderr, /FUNCTIONS_REGION/);
    assert.match(stderr, /FUNCTIONS_MAX_INSTANCES/);
  });
});
