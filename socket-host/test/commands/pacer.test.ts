/**
 * The per-account send pace (pacer.ts): a steady gap between sends, but never a wait for the first
 * send of an account that has been idle for the gap. Order checks (a turn resolves before a
 * timer/immediate queued after it, or not), no timed asserts.
 */
import assert from 'node:assert/strict';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { SendPacer } from '../../src/commands/pacer.ts';

/** Whether `turn` resolves before anything queued behind the current microtasks. */
async function atOnce(turn: Promise<void>): Promise<boolean> {
  return Promise.race([turn.then(() => true), immediate().then(() => false)]);
}

describe('commands: send pacer', () => {
  it('lets the first send of an account go at once, with the largest jitter', async () => {
    const pacer = new SendPacer(60_000, 60_000, () => 0.999);
    assert.equal(await atOnce(pacer.turn()), true);
  });

  it('holds the next send for the interval plus jitter', async () => {
    const pacer = new SendPacer(60_000, 0);
    await pacer.turn();
    const next = pacer.turn();
    assert.equal(await Promise.race([next.then(() => 'turn'), sleep(30).then(() => 'timer')]), 'timer');
  });

  it('lets a send go at once once the account was idle for the interval and its jitter', async () => {
    const pacer = new SendPacer(20, 20, () => 0.999);
    await pacer.turn();
    await sleep(80);
    assert.equal(await atOnce(pacer.turn()), true);
  });

  it('serves waiting sends in the order they asked', async () => {
    const pacer = new SendPacer(5, 0);
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => pacer.turn().then(() => order.push(n))));
    assert.deepEqual(order, [1, 2, 3]);
  });
});
