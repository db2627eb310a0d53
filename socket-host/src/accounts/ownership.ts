/**
 * Which accounts this host runs. Each round (on a timer, and soon after the directory changes):
 *
 * 1. stop sessions of accounts nobody should run any more (parked or deleted);
 * 2. claim accounts whose lease is free, expired, or a dead previous run's: this host's part of
 *    them (fair-share.ts), and any that stayed unowned for more than two rounds (rescued: kept,
 *    never shed, since another host evidently cannot run them);
 * 3. two or more above the host holding fewest, give one account up (rebalancing) — never one
 *    that is pairing or in a history sync.
 *
 * A claimed account is read again before its session starts: the directory's listener may lag, and
 * a claim must never run (so un-park) an account that was parked meanwhile. The read comes AFTER
 * the claim on purpose: from the claim on, the previous holder's fenced writes are refused, so the
 * state read then is the last one it wrote.
 *
 * A claimed account gets a HeldLease (renewal, deadline) and an AccountSession. When the lease is
 * lost the session is stopped at once: the socket closes before anyone else may take the account.
 */

import type { AccountSession, SessionOutcome } from '../connection/account-session.ts';
import type { ConnectionPatch } from '../connection/connection-writer.ts';
import type { Logger } from '../log.ts';
import { withTimeout } from '../util/timeout.ts';
import type { Directory } from './directory.ts';
import { fairShare, planClaims, planShed, UnownedRounds } from './fair-share.ts';
import { HeldLease } from './held-lease.ts';
import type { LeaseStore } from './lease.ts';
import type { LeaseLostError } from './lease-errors.ts';

export interface OwnershipOptions {
  maxAccounts: number;
  /** Time between rounds; a directory change brings the next round forward. */
  roundEveryMs: number;
  /** Wait before the first round, so hosts starting together see each other's heartbeats. */
  settleMs: number;
  renewEveryMs: number;
  marginMs: number;
  /** A host whose heartbeat is older than this is not counted as live. */
  hostStaleAfterMs: number;
  /** How long not to claim an account again after letting it go for a reason. */
  cooldownMs: { afterShed: number; afterYield: number; afterUnreadable: number; afterFailure: number };
  /** Longest a session may take to stop on shutdown. */
  stopTimeoutMs: number;
}

export interface OwnedSession {
  session: AccountSession;
  lease: HeldLease;
}

/** Builds the session for a freshly claimed account. */
export type SessionFactory = (lease: HeldLease) => AccountSession;

const IDLE: ConnectionPatch = { connection: { state: 'idle' } };

export class Ownership {
  readonly #owned = new Map<string, OwnedSession>();
  /** Accounts being let go: not run any more, but their socket may still be closing. Never claimed meanwhile. */
  readonly #releasing = new Set<string>();
  readonly #cooldown = new Map<string, number>();
  readonly #unowned: UnownedRounds;
  /** Accounts claimed because nobody else took them: not shed, or they would bounce between hosts. */
  readonly #rescued = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #unlisten: (() => void) | undefined;

  constructor(
    private readonly hostId: string,
    private readonly leases: LeaseStore,
    private readonly directory: Directory,
    private readonly createSession: SessionFactory,
    private readonly options: OwnershipOptions,
    private readonly log: Logger,
  ) {
    this.#unowned = new UnownedRounds(options.roundEveryMs);
  }

  /** Account ids this host runs now. */
  held(): string[] {
    return [...this.#owned.keys()];
  }

  session(accountId: string): OwnedSession | undefined {
    return this.#owned.get(accountId);
  }

  async start(): Promise<void> {
    await this.directory.ready;
    this.#unlisten = this.directory.onChange(() => this.#schedule(250));
    this.#schedule(this.options.settleMs);
  }

  /** Runs one round now (tests); rounds never overlap. */
  async runRound(): Promise<void> {
    if (this.#round) {
      this.#again = true;
      return this.#round;
    }
    this.#round = this.#roundOnce().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  /** Stops claiming, then lets every account go: sockets closed (no logout), state `idle`, leases released. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unlisten?.();
    await this.#round?.catch(() => {});
    await Promise.all(this.held().map((id) => this.#letGo(id, 'shutdown', IDLE)));
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    // Bring the next round forward, never push it back.
    if (this.#timer && delayMs >= this.options.roundEveryMs) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.runRound()
        .catch((err) => this.log.error({ err }, 'ownership round failed'))
        .finally(() => this.#schedule(this.options.roundEveryMs));
    }, delayMs);
    this.#timer.unref();
  }

  async #roundOnce(): Promise<void> {
    do {
      this.#again = false;
      if (this.#stopped) return;
      await this.#reconcile();
    } while (this.#again);
  }

  async #reconcile(): Promise<void> {
    const { directory, options } = this;
    await directory.refresh();
    const now = this.leases.now();
    for (const [id, until] of this.#cooldown) if (until <= now) this.#cooldown.delete(id);

    const wanted = directory.wanted();
    const wantedSet = new Set(wanted);
    for (const id of this.held()) {
      if (!wantedSet.has(id)) void this.#letGo(id, 'account parked or deleted');
    }

    const liveHosts = directory.liveHosts(this.hostId, now, options.hostStaleAfterMs);
    const fleet = { hostId: this.hostId, liveHosts, heldBy: directory.heldBy(now) };
    const target = fairShare(wanted.length, liveHosts.length, options.maxAccounts);
    const held = new Set(this.held());
    const claimable = (id: string) => this.leases.claimable(directory.leases.get(id), held.has(id));
    const stranded = this.#unowned.observe(
      wanted.filter((id) => !held.has(id) && claimable(id)),
      now,
    );
    const claims = planClaims({
      ...fleet,
      wanted,
      held,
      coolingDown: new Set([...this.#cooldown.keys(), ...this.#releasing]),
      claimable,
      target,
      stranded,
      cap: options.maxAccounts,
    });
    // Together, not one after another: each claim is three round trips (lease, claim, account), and
    // after a host dies the last of its accounts should not wait for all the others' claims.
    await Promise.all(claims.map((id) => this.#claim(id, stranded.has(id))));
    if (this.#stopped) return;

    const shed = planShed({
      ...fleet,
      held: this.held(),
      wanted: wanted.length,
      target,
      movable: (id) => !this.#rescued.has(id) && directory.movable(id, now),
    });
    if (shed) {
      this.log.info({ accountId: shed, held: this.#owned.size, target }, 'rebalancing: giving an account up');
      this.#cooldown.set(shed, now + options.cooldownMs.afterShed);
      void this.#letGo(shed, 'rebalancing', IDLE);
    }
  }

  async #claim(accountId: string, rescue: boolean): Promise<void> {
    let state: Awaited<ReturnType<LeaseStore['claim']>>;
    try {
      state = await this.leases.claim(accountId, await this.leases.read(accountId));
      if (!state) return;
      const now = await this.directory.reread(accountId);
      if (!now || now.parked) {
        this.log.info(
          { accountId, state: now?.state ?? 'deleted' },
          'claimed account is parked or gone; not running it',
        );
        await this.leases.release(state);
        return;
      }
    } catch (err) {
      this.log.warn({ err, accountId }, 'claiming the account failed');
      if (state) await this.leases.release(state).catch(() => {});
      return;
    }
    if (this.#stopped) {
      await this.leases.release(state).catch(() => {});
      return;
    }
    if (rescue) {
      this.#rescued.add(accountId);
      this.log.info({ accountId }, 'account unowned for several rounds: claimed beyond the fair share');
    }
    const lease = new HeldLease(this.leases, state, {
      renewEveryMs: this.options.renewEveryMs,
      marginMs: this.options.marginMs,
      onLost: (err) => this.#lost(accountId, err),
      log: this.log,
    });
    const session = this.createSession(lease);
    this.#owned.set(accountId, { session, lease });
    this.log.info({ accountId, epoch: state.epoch, held: this.#owned.size }, 'account claimed');
    session.start();
    void session.done.then((outcome) => this.#ended(accountId, session, outcome));
  }

  #lost(accountId: string, err: LeaseLostError): void {
    this.log.warn({ accountId, reason: err.reason }, 'lease lost; closing the socket now');
    void this.#letGo(accountId, 'lease lost');
  }

  /** The session ended by itself (parked, yielded, unreadable, failed). */
  async #ended(accountId: string, session: AccountSession, outcome: SessionOutcome): Promise<void> {
    const owned = this.#owned.get(accountId);
    if (!owned || owned.session !== session || outcome === 'stopped') return;
    this.#owned.delete(accountId);
    this.#rescued.delete(accountId);
    const now = this.leases.now();
    const { cooldownMs } = this.options;
    if (outcome === 'yielded') {
      void owned.lease.abandon(); // yielded: the new owner holds it; nothing to wait for
      this.#cooldown.set(accountId, now + cooldownMs.afterYield);
      return;
    }
    if (outcome === 'unreadable') this.#cooldown.set(accountId, now + cooldownMs.afterUnreadable);
    if (outcome === 'failed') this.#cooldown.set(accountId, now + cooldownMs.afterFailure);
    this.#releasing.add(accountId);
    try {
      await owned.lease.release();
    } finally {
      this.#releasing.delete(accountId);
    }
    this.#schedule(0);
  }

  async #letGo(accountId: string, reason: string, finalState?: ConnectionPatch): Promise<void> {
    const owned = this.#owned.get(accountId);
    if (!owned) return;
    this.#owned.delete(accountId);
    this.#rescued.delete(accountId);
    this.#releasing.add(accountId);
    const { session, lease } = owned;
    try {
      const stopped = session.stop(reason, lease.isValid() ? finalState : undefined);
      await withTimeout(stopped, this.options.stopTimeoutMs).catch((err) =>
        this.log.warn({ err, accountId }, 'session did not stop in time'),
      );
      // Released even when lost: a compare-and-set on our last state, so it is a no-op if taken.
      await lease.release();
    } finally {
      this.#releasing.delete(accountId);
    }
    this.log.info({ accountId, reason }, 'account let go');
  }
}
