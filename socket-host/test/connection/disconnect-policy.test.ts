import assert from 'node:assert/strict';
import { Boom } from '@hapi/boom';
import fc from 'fast-check';
import { backoffDelay } from '../../src/connection/backoff.ts';
import { reactionTo, TEMPORARY_BAN_UNKNOWN_MS } from '../../src/connection/disconnect-policy.ts';
import { disconnectError, temporaryBanError } from '../../src/transport/simulated/simulator.ts';

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
      [402, 'temporary_ban'],
      [408, 'retry'],
      [428, 'retry'],
      [500, 'retry'],
      [503, 'retry'],
    ];
    for (const [reason, kind] of table) assert.equal(reactionTo(disconnectError(reason)).kind, kind, String(reason));
  });

  it('retries transient failures: no status, errors that are not Boom, 429, 5xx, any WebSocket error', () => {
    assert.equal(reactionTo(new Error('socket hang up')).kind, 'retry');
    assert.equal(reactionTo(undefined).kind, 'retry');
    for (const code of [429, 500, 502, 503, 504])
      assert.equal(reactionTo(new Boom('x', { statusCode: code })).kind, 'retry');
    // socket.js mapWebSocketError: a proxy's or load balancer's HTTP answer is no verdict on the account.
    for (const code of [401, 403, 408, 500])
      assert.equal(
        reactionTo(new Boom('WebSocket Error (Unexpected server response: x)', { statusCode: code })).kind,
        'retry',
      );
    assert.match(reactionTo(disconnectError(440)).reason, /Stream Errored \(conflict\) \(440\)/);
  });

  it('does not retry forever what it does not know (other 4xx): unknown', () => {
    for (const code of [400, 409, 418])
      assert.equal(reactionTo(new Boom('Connection Failure', { statusCode: code })).kind, 'unknown');
  });

  it('waits out a temporary ban for as long as the failure says, an hour when it says nothing', () => {
    const ban = reactionTo(temporaryBanError(7_200, 104));
    assert.deepEqual(
      { kind: ban.kind, waitMs: ban.kind === 'temporary_ban' && ban.waitMs },
      { kind: 'temporary_ban', waitMs: 7_200_000 },
    );
    assert.match(ban.reason, /^Connection Failure \(402\); ban code 104: sent the same message to too many people$/);
    const bare = reactionTo(new Boom('Connection Failure', { statusCode: 402, data: { reason: '402' } }));
    assert.equal(bare.kind === 'temporary_ban' && bare.waitMs, TEMPORARY_BAN_UNKNOWN_MS);
    const garbled = reactionTo(new Boom('Connection Failure', { statusCode: 402, data: { expire: 'soon' } }));
    assert.equal(garbled.kind === 'temporary_ban' && garbled.waitMs, TEMPORARY_BAN_UNKNOWN_MS);
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
