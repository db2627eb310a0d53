import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  allotment,
  fairShare,
  planClaims,
  planShed,
  preference,
  UnownedRounds,
} from '../../src/accounts/fair-share.ts';

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

  const alone = { liveHosts: ['h1'], heldBy: new Map<string, number>(), stranded: new Set<string>(), cap: 50 };

  it('claims at most what is missing, skipping held, cooling and unclaimable accounts', () => {
    const wanted = ids(10);
    const claims = planClaims({
      ...alone,
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
        ...alone,
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
      planClaims({
        ...alone,
        liveHosts: [hostId],
        hostId,
        wanted,
        held: new Set(),
        coolingDown: new Set(),
        claimable: () => true,
        target: 10,
      });
    const [a, b, c] = [first('host-a'), first('host-b'), first('host-c')];
    const overlap = a.filter((id) => b.includes(id) || c.includes(id)).length;
    assert.ok(overlap < 10, `overlap ${overlap}`);
    assert.deepEqual(first('host-a'), a, 'deterministic');
  });

  it('leaves a freed account to the host holding fewest, not to any host below its share', () => {
    // 12 / 10 / 8 of 31 accounts (share 11): the one free account is for h3, though h2 is below its share too.
    const fleet = {
      liveHosts: ['h1', 'h2', 'h3'],
      heldBy: new Map([
        ['h1', 12],
        ['h2', 10],
        ['h3', 8],
      ]),
    };
    const plan = (hostId: string, held: number) =>
      planClaims({
        ...alone,
        ...fleet,
        hostId,
        wanted: ids(31),
        held: new Set(ids(held, hostId)),
        coolingDown: new Set(),
        claimable: (id) => id === 'acc-30',
        target: fairShare(31, 3, 50),
      });
    assert.deepEqual(plan('h2', 10), []);
    assert.deepEqual(plan('h3', 8), ['acc-30']);
    assert.equal(allotment({ hostId: 'h3', ...fleet }, 8, 4), 3, 'h3 until it reaches h2, then one each');
  });

  it('claims an account unowned for more than two rounds beyond its share, never beyond its cap', () => {
    const rounds = new UnownedRounds();
    const fleet = { liveHosts: ['h1', 'h2'], heldBy: new Map([['h2', 4]]) };
    const plan = (stranded: Set<string>, cap = 50) =>
      planClaims({
        ...fleet,
        hostId: 'h1',
        wanted: ids(9),
        held: new Set(ids(5)),
        coolingDown: new Set(),
        claimable: (id) => id === 'acc-8',
        target: 5,
        stranded,
        cap,
      });
    // acc-8 is h2's to take (it holds fewest), but h2 never does (it cannot run it).
    for (let round = 1; round <= 2; round++) assert.deepEqual(plan(rounds.observe(['acc-8'])), [], `round ${round}`);
    const stranded = rounds.observe(['acc-8']);
    assert.deepEqual(plan(stranded), ['acc-8'], 'third round unowned: taken beyond the share');
    assert.deepEqual(plan(stranded, 5), [], 'the cap still holds');
    assert.deepEqual([...rounds.observe([])], [], 'owned again: the count starts over');
    assert.deepEqual([...rounds.observe(['acc-8'])], []);
  });

  it('counts rounds closer together than a regular round once', () => {
    const rounds = new UnownedRounds(1_000);
    for (const at of [0, 10, 20, 990, 1_000, 1_500]) assert.deepEqual([...rounds.observe(['x'], at)], [], `at ${at}`);
    assert.deepEqual([...rounds.observe(['x'], 2_000)], ['x'], 'the third regular round');
  });

  it('sheds one account when two or more above the host holding fewest, if that host has room', () => {
    const held = ids(20);
    const heldBy = new Map([
      ['h1', 20],
      ['h2', 10],
    ]);
    const movable = () => true;
    const shed = planShed({
      hostId: 'h1',
      held,
      wanted: 30,
      target: 10,
      liveHosts: ['h1', 'h2', 'h3'],
      heldBy,
      movable,
    });
    assert.ok(shed && held.includes(shed));
    assert.equal(
      planShed({ hostId: 'h1', held, wanted: 30, target: 10, liveHosts: ['h1', 'h2'], heldBy, movable }),
      undefined,
      'nobody has room',
    );
    const near = new Map([['h2', 10]]);
    assert.equal(
      planShed({ hostId: 'h1', held: ids(11), wanted: 21, target: 11, liveHosts: ['h1', 'h2'], heldBy: near, movable }),
      undefined,
      'one apart: stays',
    );
    assert.ok(
      planShed({ hostId: 'h1', held: ids(12), wanted: 22, target: 11, liveHosts: ['h1', 'h2'], heldBy: near, movable }),
      'two apart: moves',
    );
    assert.equal(
      planShed({ hostId: 'h1', held: ids(5), wanted: 5, target: 10, liveHosts: ['h1'], heldBy, movable }),
      undefined,
      'alone',
    );
    // 2 / 2 of 4 accounts, but the view of h2 lags behind its claims (it shows none yet).
    assert.equal(
      planShed({
        hostId: 'h1',
        held: ids(2),
        wanted: 4,
        target: 2,
        liveHosts: ['h1', 'h2'],
        heldBy: new Map(),
        movable,
      }),
      undefined,
      'never below the even share',
    );
  });

  it('never sheds an account that may not move (pairing, history sync, rescued)', () => {
    const held = ids(6);
    const heldBy = new Map([['h2', 0]]);
    const input = { hostId: 'h1', held, wanted: 6, target: 3, liveHosts: ['h1', 'h2'], heldBy };
    const first = planShed({ ...input, movable: () => true })!;
    const second = planShed({ ...input, movable: (id) => id !== first })!;
    assert.ok(second && second !== first, 'the next one it likes least instead');
    assert.equal(planShed({ ...input, movable: () => false }), undefined, 'none movable: nothing moves');
  });
});

/**
 * A fleet of hosts running the planners round after round over one lease table (what the
 * ownership rounds do through Firestore): claims take free accounts, a shed frees one and the
 * shedding host leaves it alone for a few rounds (its cool-down).
 */
class FleetModel {
  readonly owner = new Map<string, string>();
  readonly cooling = new Map<string, Map<string, number>>();
  readonly unowned = new Map<string, UnownedRounds>();
  /** Accounts each host claimed because nobody else did (Ownership keeps them: never shed). */
  readonly rescued = new Map<string, Set<string>>();
  round = 0;

  constructor(
    readonly hosts: string[],
    readonly accounts: string[],
    readonly cap = 1_000,
    /** Accounts a host cannot run (it never claims them; think of a key it does not have). */
    readonly cannotRun: (hostId: string, accountId: string) => boolean = () => false,
  ) {}

  heldBy(host: string): string[] {
    return this.accounts.filter((id) => this.owner.get(id) === host);
  }

  counts(): Map<string, number> {
    return new Map(this.hosts.map((h) => [h, this.heldBy(h).length]));
  }

  /** One round of every host, in order; returns how many claims and sheds it made. */
  runRound(): number {
    this.round++;
    let moves = 0;
    for (const hostId of this.hosts) {
      const cooling = this.cooling.get(hostId) ?? new Map<string, number>();
      this.cooling.set(hostId, cooling);
      const rounds = this.unowned.get(hostId) ?? new UnownedRounds();
      this.unowned.set(hostId, rounds);
      const rescued = this.rescued.get(hostId) ?? new Set<string>();
      this.rescued.set(hostId, rescued);
      const target = fairShare(this.accounts.length, this.hosts.length, this.cap);
      const fleet = { hostId, liveHosts: this.hosts, heldBy: this.counts() };
      const stranded = rounds.observe(this.accounts.filter((id) => !this.owner.has(id)));
      const claims = planClaims({
        ...fleet,
        wanted: this.accounts,
        held: new Set(this.heldBy(hostId)),
        coolingDown: new Set([
          ...[...cooling].filter(([, until]) => until > this.round).map(([id]) => id),
          ...this.accounts.filter((id) => this.cannotRun(hostId, id)),
        ]),
        claimable: (id) => !this.owner.has(id),
        target,
        stranded,
        cap: this.cap,
      });
      for (const id of claims) {
        this.owner.set(id, hostId);
        if (stranded.has(id)) rescued.add(id);
      }
      const shed = planShed({
        ...fleet,
        heldBy: this.counts(),
        held: this.heldBy(hostId),
        wanted: this.accounts.length,
        target,
        movable: (id) => !rescued.has(id),
      });
      if (shed) {
        this.owner.delete(shed);
        cooling.set(shed, this.round + 3);
      }
      moves += claims.length + (shed ? 1 : 0);
    }
    return moves;
  }
}

describe('rebalancing over rounds (a fleet model)', () => {
  const fleet = fc
    .record({ hosts: fc.integer({ min: 1, max: 6 }), accounts: fc.integer({ min: 0, max: 60 }) })
    .chain(({ hosts, accounts }) =>
      fc.record({
        hosts: fc.constant(ids(hosts, 'host')),
        accounts: fc.constant(ids(accounts)),
        // Where each account starts: on some host, or unowned (-1).
        start: fc.array(fc.integer({ min: -1, max: hosts - 1 }), { minLength: accounts, maxLength: accounts }),
      }),
    );

  it('settles, then moves nothing while nothing changes', () => {
    fc.assert(
      fc.property(fleet, ({ hosts, accounts, start }) => {
        const model = new FleetModel(hosts, accounts);
        accounts.forEach((id, i) => {
          if (start[i]! >= 0) model.owner.set(id, hosts[start[i]!]!);
        });
        let quiet = 0;
        for (let r = 0; r < 200 && quiet < 5; r++) quiet = model.runRound() === 0 ? quiet + 1 : 0;
        assert.equal(quiet, 5, 'settled');
        assert.equal(model.owner.size, accounts.length, 'every account owned');
        const counts = [...model.counts().values()];
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `counts ${counts.join('/')}`);
        for (let r = 0; r < 20; r++) assert.equal(model.runRound(), 0, 'steady state: nothing moves');
      }),
    );
  });

  it('moves nothing from a balanced fleet (counts differ by at most one)', () => {
    fc.assert(
      fc.property(fleet, ({ hosts, accounts }) => {
        const model = new FleetModel(hosts, accounts);
        for (const [i, id] of accounts.entries()) model.owner.set(id, hosts[i % hosts.length]!);
        for (let r = 0; r < 20; r++) assert.equal(model.runRound(), 0);
      }),
    );
  });

  it('strands nothing when a live host cannot run some accounts, and still settles', () => {
    fc.assert(
      fc.property(fleet, fc.integer({ min: 0, max: 1_000 }), ({ hosts, accounts, start }, salt) => {
        // host-0 cannot run about a third of the accounts (chosen by the salt).
        const cannotRun = (h: string, id: string) => h === 'host-0' && preference(String(salt), id) < '5';
        const model = new FleetModel(hosts, accounts, 1_000, cannotRun);
        for (const [i, id] of accounts.entries()) {
          const host = hosts[start[i]!];
          if (host && !cannotRun(host, id)) model.owner.set(id, host);
        }
        let quiet = 0;
        for (let r = 0; r < 300 && quiet < 5; r++) quiet = model.runRound() === 0 ? quiet + 1 : 0;
        assert.equal(quiet, 5, 'settled');
        const orphans = accounts.filter((id) => !model.owner.has(id));
        const runnable = hosts.length > 1 ? [] : orphans.filter((id) => !cannotRun('host-0', id));
        assert.deepEqual(hosts.length > 1 ? orphans : runnable, [], 'every account someone can run is owned');
        for (const [id, h] of model.owner) assert.ok(!cannotRun(h, id));
        for (let r = 0; r < 20; r++) assert.equal(model.runRound(), 0, 'steady state: nothing moves');
      }),
    );
  });
});
