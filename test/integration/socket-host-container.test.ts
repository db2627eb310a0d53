/**
 * The socket host's container, without Docker (no daemon here or in CI): the Dockerfile's runtime
 * stage is read, checked against Cloud Run's needs, and replayed in an empty directory — the same
 * files copied, the same `npm ci` run — and the bundle then starts from there. That proves the
 * production dependencies in socket-host/package.json are all the bundle needs.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { dockerCommand as command, dockerEnv, dockerStages as stages } from '../../scripts/lib/dockerfile.ts';
import { REPO_ROOT } from '../../scripts/lib/firebase-emulators.ts';
import { firestoreHost } from '../support/firestore.ts';

/** Whether `.dockerignore` keeps `path` out of the build context (its `*`, `**` and directory rules). */
function ignoredByDockerignore(path: string, patterns: string[]): boolean {
  const toRegex = (pattern: string) => {
    const body = pattern
      .split('**/')
      .map((piece) =>
        piece
          .split('*')
          .map((lit) => lit.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*'),
      )
      .join('(?:.*/)?');
    return new RegExp(`^${body}$`);
  };
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  return patterns.some((p) => prefixes.some((prefix) => toRegex(p).test(prefix)));
}

describe('socket-host container (Dockerfile, replayed without Docker)', function () {
  this.timeout(180_000);
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const runtime = stages(dockerfile).at(-1)!;
  let dir: string;

  before(() => {
    execFileSync(process.execPath, ['socket-host/build.mjs'], { cwd: REPO_ROOT });
    dir = mkdtempSync(join(tmpdir(), 'wasync-container-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('runs on node:22-slim as a non-root user, installing production dependencies from the lockfile', () => {
    assert.equal(runtime.from, 'node:22-slim');
    const user = runtime.lines.filter((l) => l.startsWith('USER ')).at(-1);
    assert.ok(user && !/\b(root|0)\b/.test(user), `runs as ${user}`);
    const install = runtime.lines.find((l) => l.startsWith('RUN ') && l.includes('npm ci'));
    assert.match(install ?? '', /npm ci --omit=dev/);
    assert.ok(
      runtime.lines.some((l) => l.startsWith('COPY') && l.includes('package-lock.json')),
      'lockfile copied',
    );
    assert.deepEqual(command(runtime), ['node', 'socket-host/dist/main.js']);
    assert.match(dockerEnv(runtime).NODE_OPTIONS ?? '', /^--max-old-space-size=\d+$/, 'a heap limit of its own');
  });

  it('copies nothing that .dockerignore leaves out of the build context', () => {
    const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = stages(dockerfile).flatMap((stage) =>
      stage.lines
        .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
        .flatMap((l) => l.split(/\s+/).slice(1, -1)),
    );
    assert.ok(sources.includes('scripts/lib/bundle.mjs'));
    assert.deepEqual(
      sources.filter((src) => ignoredByDockerignore(src, patterns)),
      [],
    );
    assert.ok(ignoredByDockerignore('socket-host/node_modules/x', patterns), 'matcher sanity: node_modules ignored');
  });

  it('starts from the replayed runtime stage: every import resolves, the host comes up and stops on SIGTERM', async () => {
    for (const line of runtime.lines) {
      if (line.startsWith('COPY --from=')) {
        const [src, dest] = line.split(/\s+/).slice(2);
        const from = join(REPO_ROOT, src!.replace(/^\/app\//, ''));
        cpSync(from, join(dir, dest!), { recursive: true });
      } else if (line.startsWith('COPY ')) {
        const parts = line.split(/\s+/).slice(1);
        const dest = parts.pop()!;
        for (const src of parts) {
          assert.ok(existsSync(join(REPO_ROOT, src)), `${src} exists`);
          const target = dest.endsWith('/')
            ? join(dir, dest, src.split('/').pop()!)
            : join(dir, dest === './' ? src : dest);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(join(REPO_ROOT, src), target, { recursive: true });
        }
      } else if (line.startsWith('RUN ')) {
        const install = line.slice(4).split('&&')[0]!.trim().split(/\s+/);
        assert.equal(install[0], 'npm');
        // Same command; the local npm cache stands in for the registry where it can.
        execFileSync('npm', [...install.slice(1), '--prefer-offline', '--loglevel=error'], {
          cwd: dir,
          stdio: 'inherit',
        });
      }
    }
    for (const devOnly of ['firebase-tools', 'mocha', 'esbuild', '@biomejs/biome', 'typescript']) {
      assert.equal(existsSync(join(dir, 'node_modules', devOnly)), false, `${devOnly} not installed`);
    }

    const [node, ...args] = command(runtime);
    assert.equal(node, 'node');
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        ...dockerEnv(runtime),
        PORT: '0',
        HOST_ID: 'container-1',
        FIRESTORE_EMULATOR_HOST: firestoreHost(),
        GCLOUD_PROJECT: 'demo-wasync',
        METADATA_SERVER_DETECTION: 'none',
        WHATSAPP_TRANSPORT: 'simulated',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const messages: string[] = [];
    const ready = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = (JSON.parse(line) as { message: string }).message;
        messages.push(message);
        if (message === 'socket host ready') resolve();
      });
    });
    await Promise.race([
      ready,
      once(child, 'exit').then(([code]) => {
        throw new Error(`exited with ${code}: ${messages.join(' | ')}`);
      }),
    ]);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.ok(messages.includes('shutdown complete'));
  });
});
