/**
 * The README is where a new engineer starts, so the parts that describe code are checked against
 * it: the configuration table against CONFIG_DOCS, and the commands against package.json and CI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DOCS } from '@wasync/shared';
import { REPO_ROOT } from '../scripts/lib/firebase-emulators.ts';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('documents every configuration variable exactly as the code defines it', () => {
    const section = readme.split('## Configuration')[1]?.split('\n## ')[0] ?? '';
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => {
        const [name, def, scope, description] = line
          .slice(1, -1)
          .split(' | ')
          .map((cell) => cell.trim());
        return { name: name!.replace(/`/g, '').replace(' †', ''), default: def, scope, description };
      });
    assert.deepEqual(
      rows,
      CONFIG_DOCS.map(({ name, default: def, scope, description }) => ({ name, default: def, scope, description })),
    );
  });

  it('gives the commands that exist and that CI runs', () => {
    const scripts = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    assert.match(readme, /npm ci && npm start/);
    for (const script of ['start', 'test', 'bench', 'test:mocha']) {
      assert.ok(scripts[script], `package.json has "${script}"`);
    }
    const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8');
    assert.match(ci, /^npm ci\b/m);
    assert.match(ci, /^npm test$/m);
  });
});
