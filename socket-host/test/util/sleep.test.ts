import assert from 'node:assert/strict';
import { sleep } from '../../src/util/sleep.ts';

describe('sleep', () => {
  it('resolves after the pause', async () => {
    const at = Date.now();
    await sleep(60);
    assert.ok(Date.now() - at >= 55);
  });

  it('resolves (never rejects) as soon as its signal aborts, also when aborted already', async () => {
    const wake = new AbortController();
    const at = Date.now();
    setTimeout(() => wake.abort(), 20);
    await sleep(10_000, wake.signal);
    assert.ok(Date.now() - at < 1_000);
    await sleep(10_000, wake.signal);
    assert.ok(Date.now() - at < 1_000);
  });
});
