/**
 * The host's write budget: the rate ramps like Firestore's 500/50/5 rule, live commits go first,
 * and accounts take turns instead of one account's import going first.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../../../../scripts/lib/firebase-emulators.ts';
import { WriteBudget } from '../../../src/pipeline/writer/write-budget.ts';

describe('write budget', () => {
  it('keeps a process alive while a commit waits for its writes (the CLI has nothing else running)', function () {
    this.timeout(60_000);
    // An import with a tight budget waits on the budget's timer alone: an unref'd timer let Node
    // exit mid-import with code 13 (a top-level await that never settled).
    const script = `
      import { WriteBudget } from './socket-host/src/pipeline/writer/write-budget.ts';
      const budget = new WriteBudget({ startPerSecond: 10, maxPerSecond: 10 });
      await budget.acquire('a', 10, 'history');
      await budget.acquire('a', 5, 'history');
      console.log('served');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'served');
  });

  it('starts at the start rate and raises it by half every five minutes of traffic, up to the maximum', async () => {
    let now = 1_000_000;
    const budget = new WriteBudget({ startPerSecond: 500, maxPerSecond: 1_200, now: () => now });
    assert.equal(budget.ratePerSecond, 500);
    await budget.acquire('a', 1, 'history'); // traffic starts
    now += 5 * 60_000 - 1;
    assert.equal(budget.ratePerSecond, 500);
    now += 1;
    assert.equal(budget.ratePerSecond, 750);
    now += 5 * 60_000;
    assert.equal(budget.ratePerSecond, 1_125);
    now += 5 * 60_000;
    assert.equal(budget.ratePerSecond, 1_200);
  });

  it('serves live commits first, then accounts in turn, each within the rate', async () => {
    const budget = new WriteBudget({ startPerSecond: 1_000, maxPerSecond: 1_000 });
    const granted: string[] = [];
    const started = Date.now();
    const ask = (account: string, name: string, lane: 'live' | 'history') =>
      budget.acquire(account, 250, lane).then(() => granted.push(name));
    const all = [
      ...['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'].map((n) => ask('a', n, 'history')),
      ...['b1', 'b2'].map((n) => ask('b', n, 'history')),
      ask('c', 'live', 'live'),
    ];
    await Promise.all(all);
    // A full bucket (one second's worth) lets the first four through at once.
    assert.deepEqual(granted, ['a1', 'a2', 'a3', 'a4', 'live', 'a5', 'b1', 'a6', 'b2', 'a7', 'a8']);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1_600 && elapsed < 4_000, `7 × 250 writes at 1000/s took ${elapsed} ms`);
  });

  it('lets a live commit through at once when the bucket holds enough for it, while a history commit waits to fill it', async () => {
    // A history commit larger than what is left waits for the bucket to refill; a small live
    // commit arriving meanwhile fits in what is left and must not wait behind that refill.
    const budget = new WriteBudget({ startPerSecond: 100, maxPerSecond: 100 });
    await budget.acquire('a', 60, 'history');
    let history = false;
    let live = false;
    const waiting = budget.acquire('a', 100, 'history').then(() => {
      history = true;
    });
    const fast = budget.acquire('b', 5, 'live').then(() => {
      live = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(live, true, 'the live commit was served from the 40 writes left');
    assert.equal(history, false);
    await Promise.all([waiting, fast]);
  });

  it('serves a small live commit as soon as its tokens are there, not when a large history commit waiting before it is', async () => {
    // The dispatcher slept until the history commit's tokens were there, and a live commit that
    // came meanwhile slept with it (up to a second at the host's 500 writes/s).
    const budget = new WriteBudget({ startPerSecond: 100, maxPerSecond: 100 });
    await budget.acquire('a', 100, 'history'); // the bucket is empty now
    const granted: string[] = [];
    const started = Date.now();
    const history = budget.acquire('a', 100, 'history').then(() => granted.push('history'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const live = budget.acquire('b', 2, 'live').then(() => granted.push('live'));
    await live;
    const liveMs = Date.now() - started;
    await history;
    assert.deepEqual(granted, ['live', 'history']);
    assert.ok(liveMs < 400, `live waited ${liveMs} ms for 2 writes at 100/s`);
  });
});
