/**
 * The README and docs/ stand on their own: every link resolves to a file of the repository (one
 * `git ls-files` lists, tracked or about to be), every `#anchor` to a heading of its target, and no
 * link leaves the repository — a person who clones it has nothing else (support/markdown-links.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../scripts/lib/firebase-emulators.ts';
import { anchorsOf, headingSlug, linkProblems, type Repo } from './support/markdown-links.ts';

/** The repository as a clone would have it: tracked files plus new ones not ignored. */
function gitRepo(): { files: string[]; repo: Repo } {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  const paths = new Set<string>(['.']);
  for (const file of listed) {
    const parts = file.split('/');
    for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join('/'));
  }
  return {
    files: listed,
    repo: { exists: (path) => paths.has(path), read: (path) => readFileSync(join(REPO_ROOT, path), 'utf8') },
  };
}

describe('README and docs/ links', () => {
  const { files, repo } = gitRepo();
  const documents = files.filter((f) => f === 'README.md' || (f.startsWith('docs/') && f.endsWith('.md')));

  it('has a README and docs to check', () => {
    assert.ok(documents.includes('README.md'));
    assert.ok(documents.includes('docs/design.md') && documents.includes('docs/runbook.md'), documents.join(', '));
  });

  it('resolve every link and anchor inside the repository, and none leaves it', () => {
    const problems = documents.flatMap((file) => linkProblems(file, repo.read(file), repo));
    assert.deepEqual(problems, []);
  });

  describe('the checker', () => {
    const fake: Repo = {
      exists: (path) => ['README.md', 'docs', 'docs/a.md', 'shared/src/x.ts'].includes(path),
      read: (path) => (path === 'docs/a.md' ? '# A title\n\n## Tests: which Firestore?\n\n## Again\n\n## Again\n' : ''),
    };
    const problems = (markdown: string, file = 'docs/b.md') => linkProblems(file, markdown, fake);

    it('accepts files, directories and anchors that exist', () => {
      const ok = [
        '[a](a.md)',
        '[a](./a.md#a-title)',
        '[q](a.md#tests-which-firestore)',
        '[second](a.md#again-1)',
        '[code](../shared/src/x.ts)',
        '[dir](../docs/)',
        '[readme](../README.md)',
        '[ref]: a.md#again',
      ];
      assert.deepEqual(problems(ok.join('\n\n')), []);
    });

    it('finds missing files, missing anchors, escapes and absolute paths', () => {
      assert.equal(problems('[x](missing.md)').length, 1);
      assert.equal(problems('[x](a.md#no-such-heading)').length, 1);
      assert.equal(problems('[x](a.md#again-2)').length, 1);
      assert.equal(problems('[x](../../outside.md)').length, 1);
      assert.equal(problems('[x](/docs/a.md)').length, 1);
      assert.equal(problems('[x](#nowhere)', 'docs/a.md').length, 1);
      assert.equal(problems('[x](../shared/src/x.ts#L3)').length, 1);
      assert.equal(problems('[x]: missing.md').length, 1);
    });

    it('finds every kind of link that leaves the repository', () => {
      for (const markdown of [
        '[npm](https://www.npmjs.com/package/x)',
        '![img](http://example.com/a.png)',
        '<https://example.com>',
        'see https://example.com/page for more',
        'see www.example.com',
        '[mail](mailto:someone@example.com)',
        '[ref]: https://example.com',
        '[proto](//example.com/a)',
      ]) {
        assert.equal(problems(markdown).length, 1, markdown);
      }
    });

    it('leaves code alone: fenced blocks and inline code are examples', () => {
      const markdown = [
        'Run `curl https://example.com/x` or `[x](missing.md)`.',
        '```sh',
        'curl https://example.com/y # [x](missing.md)',
        '```',
        '~~~',
        '<https://example.com>',
        '~~~',
      ].join('\n');
      assert.deepEqual(problems(markdown), []);
    });

    it('makes heading ids the way GitHub does', () => {
      assert.equal(headingSlug('Tests: which Firestore?'), 'tests-which-firestore');
      assert.equal(headingSlug('1. What the system does'), '1-what-the-system-does');
      assert.equal(headingSlug('npm start — first run'), 'npm-start--first-run');
      assert.equal(headingSlug('I1 Idempotent'), 'i1-idempotent');
      assert.deepEqual(
        [...anchorsOf('# `npm start`\n## Re-pair or resume\n```\n# not a heading\n```\n## Re-pair or resume')],
        ['npm-start', 're-pair-or-resume', 're-pair-or-resume-1'],
      );
    });
  });
});
