import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fairShare, planClaims, planShed } from '../../src/accounts/fair-share.ts';

const ids = (n: number, prefix = 'acc') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('fair share', () => {
  it('spreads accounts over live hosts, capped per host', () => {
    assert.equal(fairShare(30, 3, 50), 10);
    assert.equal(fairShare(30, 2, 50), 15);
    assert.equal(fairShare(31, 3, 50), 11);
    assert.equal(fairShare(30, 1, 12), 12);
    assert.equal(fairShare(0, 3, 50), 0);
    assert.equal(fairShare(5, 0, 50), 5, 'no live host known: this one counts');
  });

  it('shares always cover every account when the caps allow it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 20 }), (wanted, hosts) => {
        assert.ok(fairShare(wanted, hosts, 1000) * hosts >= wanted);
      }),
    );
  });

  it('claims at most what is missing, skipping held, cooling and unclaimable accounts', () => {
    const wanted = ids(10);
    const claims = planClaims({
      hostId: 'h1',
      wanted,
      held: new Set(['acc-0', 'acc-1']),
      coolingDown: new Set(['acc-2']),
      claimable: (id) => id !== 'acc-3',
      target: 5,
    });
    assert.equal(claims.length, 3);
    for (const id of ['acc-0', 'acc-1', 'acc-2', 'acc-3']) assert.ok(!claims.includes(id));
    assert.deepEqual(
      planClaims({
        hostId: 'h1',
        wanted,
        held: new Set(ids(5)),
        coolingDown: new Set(),
        claimable: () => true,
        target: 5,
      }),
      [],
    );
  });

  it('orders candidates differently per host, so hosts claiming together rarely collide', () => {
    const wanted = ids(30);
    const first = (hostId: string) =>
      planClaims({ hostId, wanted, held: new Set(), coolingDown: new Set(), claimable: () => true, target: 10 });
    const [a, b, c] = [first('host-a'), first('host-b'), first('host-c')];
    const overlap = a.filter((id) => b.includes(id) || c.includes(id)).length;
    assert.ok(overlap < 10, `overlap ${overlap}`);
    assert.deepEqual(first('host-a'), a, 'deterministic');
  });

  it('sheds one account when above share and another live host has room', () => {
    const held = ids(20);
    const heldBy = new Map([
      ['h1', 20],
      ['h2', 10],
    ]);
    const shed = planShed({ hostId: 'h1', held, target: 10, liveHosts: ['h1', 'h2', 'h3'], heldBy });
    assert.ok(shed && held.includes(shed));
    assert.equal(
      planShed({ hostId: 'h1', held, target: 10, liveHosts: ['h1', 'h2'], heldBy }),
      undefined,
      'nobody has room',
    );
    assert.equal(planShed({ hostId: 'h1', held: ids(10), target: 10, liveHosts: ['h1', 'h3'], heldBy }), undefined);
  });
});
