import assert from 'node:assert/strict';
import { Boom } from '@hapi/boom';
import fc from 'fast-check';
import { backoffDelay } from '../../src/connection/backoff.ts';
import { reactionTo } from '../../src/connection/disconnect-policy.ts';
import { disconnectError } from '../../src/transport/simulated/simulator.ts';

describe('disconnect policy', () => {
  it('maps each Baileys disconnect reason to its reaction', () => {
    const table: [Parameters<typeof disconnectError>[0], string][] = [
      [401, 'logged_out'],
      [403, 'logged_out'],
      [406, 'logged_out'],
      [411, 'logged_out'],
      [515, 'restart'],
      [440, 'replaced'],
      ['qr-timeout', 'qr_expired'],
      [405, 'refresh_version'],
      [408, 'retry'],
      [428, 'retry'],
      [500, 'retry'],
      [503, 'retry'],
    ];
    for (const [reason, kind] of table) assert.equal(reactionTo(disconnectError(reason)).kind, kind, String(reason));
  });

  it('retries what it does not know, including errors that are not Boom', () => {
    assert.equal(reactionTo(new Boom('x', { statusCode: 402 })).kind, 'retry');
    assert.equal(reactionTo(new Error('socket hang up')).kind, 'retry');
    assert.equal(reactionTo(undefined).kind, 'retry');
    assert.match(reactionTo(disconnectError(440)).reason, /Stream Errored \(conflict\) \(440\)/);
  });
});

describe('reconnect backoff', () => {
  const options = { baseMs: 1000, maxMs: 60_000, maxFailures: 10, stableMs: 60_000 };

  it('doubles per failure up to the cap, with half of each step random', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 7, 20].map((n) => backoffDelay(n, options, () => 0)),
      [500, 1000, 2000, 4000, 30_000, 30_000],
    );
    assert.equal(
      backoffDelay(3, options, () => 0.999999),
      4000,
    );
  });

  it('stays within [step/2, step] for any failure count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (n, r) => {
        const step = Math.min(options.maxMs, options.baseMs * 2 ** (n - 1));
        const d = backoffDelay(n, options, () => r);
        assert.ok(d >= step / 2 && d <= step, `${n}: ${d}`);
      }),
    );
  });
});
