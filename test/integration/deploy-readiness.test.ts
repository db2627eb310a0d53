/**
 * `firebase deploy --only functions` uploads functions/ alone, and Cloud Build installs only the
 * dependencies in functions/package.json. This test rebuilds that situation: it selects the files
 * with firebase-tools' own file walker and firebase.json's ignore list, copies them to an empty
 * directory outside the repo, installs production dependencies from that package.json alone, and
 * imports the bundle there in a fresh Node process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';

/** The deployed surface. Adding a function means adding it here, on purpose. */
const EXPECTED_FUNCTIONS = [
  'api',
  'backfill',
  'addMember',
  'createAccount',
  'getMediaUrl',
  'listAccounts',
  'listMessages',
  'listThreads',
  'logoutAccount',
  'removeMember',
  'requestBackfill',
  'sendMessage',
  'startPairing',
];

const require = createRequire(import.meta.url);
const { readdirRecursive } = require('firebase-tools/lib/fsAsync.js') as {
  readdirRecursive(o: { path: string; ignoreStrings: string[] }): Promise<{ name: string }[]>;
};

describe('functions deploy readiness', function () {
  this.timeout(240_000);
  let uploadDir: string;
  let uploaded: string[];

  before(async () => {
    execFileSync(process.execPath, ['functions/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    const firebaseJson = JSON.parse(readFileSync(join(REPO_ROOT, 'firebase.json'), 'utf8'));
    const { source, ignore } = firebaseJson.functions[0] as { source: string; ignore: string[] };
    const sourceDir = join(REPO_ROOT, source);
    // The same extra ignores prepareFunctionsUpload adds.
    const files = await readdirRecursive({
      path: sourceDir,
      ignoreStrings: [...ignore, 'firebase-debug.log', 'firebase-debug.*.log', '.runtimeconfig.json'],
    });
    uploaded = files.map((f) => relative(sourceDir, f.name)).sort();
    uploadDir = mkdtempSync(join(tmpdir(), 'wasync-deploy-'));
    for (const file of uploaded) {
      mkdirSync(dirname(join(uploadDir, file)), { recursive: true });
      cpSync(join(sourceDir, file), join(uploadDir, file));
    }
  });
  after(() => uploadDir && rmSync(uploadDir, { recursive: true, force: true }));

  it('uploads the bundle and package.json, not sources or tests', () => {
    assert.ok(uploaded.includes('package.json'), uploaded.join(', '));
    assert.ok(uploaded.includes('lib/index.js'), uploaded.join(', '));
    // The dashboard page the api function serves, built beside the bundle.
    for (const asset of ['index.html', 'app.js', 'dashboard.css']) {
      assert.ok(uploaded.includes(`lib/dashboard/${asset}`), `lib/dashboard/${asset}`);
    }
    assert.deepEqual(
      uploaded.filter((f) => /^(src|test)\//.test(f) || f.endsWith('.ts')),
      [],
      'no TypeScript sources or tests uploaded',
    );
    assert.deepEqual(
      uploaded.filter((f) => /(^|\/)\.(secret|env)\.local$/.test(f)),
      [],
      'the emulator-only secrets and env files stay local',
    );
  });

  it('declares only registry dependencies and disables the Cloud Build build step', () => {
    const pkg = JSON.parse(readFileSync(join(uploadDir, 'package.json'), 'utf8'));
    for (const [name, spec] of Object.entries<string>(pkg.dependencies)) {
      assert.doesNotMatch(spec, /^(file|workspace|link|git|github):|\.tgz$/, `${name}@${spec}`);
      assert.doesNotMatch(name, /^@wasync\//, 'workspace packages must be bundled, not depended on');
    }
    // Cloud Build would otherwise run `build`, which needs src/ and esbuild, neither uploaded.
    assert.equal(pkg.scripts['gcp-build'], '');
    const bundle = readFileSync(join(uploadDir, 'lib/index.js'), 'utf8');
    assert.doesNotMatch(bundle, /from ["']@wasync\//, 'the shared package is inlined');
    // Functions need only Baileys' JID helpers; its socket and protobuf code must stay out.
    assert.doesNotMatch(bundle, /makeWASocket|WAProto/, 'Baileys runtime kept out of the functions bundle');
  });

  it('installs from its own package.json and exports exactly the expected functions', () => {
    execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: uploadDir,
      stdio: 'inherit',
    });
    const script = `
      const m = await import('./lib/index.js');
      const out = Object.entries(m).map(([name, fn]) => [name, Object.keys(fn.__endpoint ?? {})]);
      console.log(JSON.stringify(out));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: uploadDir,
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    const exported = JSON.parse(output.trim().split('\n').at(-1)!) as [string, string[]][];
    assert.deepEqual(exported.map(([name]) => name).sort(), [...EXPECTED_FUNCTIONS].sort());
    for (const [name, endpointKeys] of exported) {
      assert.ok(endpointKeys.includes('platform'), `${name} is a Cloud Function (has __endpoint)`);
    }
  });
});
