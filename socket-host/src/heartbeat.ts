/**
 * The host's heartbeat document `hosts/{hostId}` (server-only): tells operators which instances
 * run and when each last reached Firestore, and tells the other hosts which ones are alive (the
 * fair share counts them).
 *
 * It also keeps HOST_ID unique to one running process. Leases trust the host id: a lease naming
 * this host that this process does not hold is taken as a dead previous run's and claimed again at
 * once, so two live processes with one id would take each other's accounts every round. Each run
 * writes its own random `instance` into the document; at start a run that finds another
 * instance's heartbeat still fresh watches it: if it beats again, that instance is alive and this
 * one refuses to start (HostIdInUseError); if it goes stale, it was a dead run and is replaced.
 * Every later beat checks the document is still this run's (a run that was frozen past the stale
 * limit may find it replaced) and reports the conflict instead of overwriting it.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { type DocumentData, type Firestore, Timestamp } from 'firebase-admin/firestore';
import type { Logger } from './log.ts';

export interface HeartbeatStatus {
  lastBeatAt: number | undefined;
  lastError: string | undefined;
}

/** Another running instance uses this HOST_ID. */
export class HostIdInUseError extends Error {
  override readonly name = 'HostIdInUseError';
  readonly code = 'host_id_in_use';

  constructor(
    readonly hostId: string,
    detail: string,
  ) {
    super(`HOST_ID ${hostId} is in use by another running instance (${detail}); give every instance its own HOST_ID`);
  }
}

export interface HeartbeatOptions {
  intervalMs: number;
  /** A heartbeat older than this is a dead instance's (the hosts' own liveness limit). */
  staleAfterMs: number;
  /** A later beat found the document taken over by another instance. */
  onConflict?: (err: HostIdInUseError) => void;
  now?: () => number;
}

interface Beat {
  instance: string | undefined;
  at: number;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date();
  private readonly instance = randomUUID();
  private readonly now: () => number;
  private conflict = false;
  readonly status: HeartbeatStatus = { lastBeatAt: undefined, lastError: undefined };

  constructor(
    private readonly db: Firestore,
    private readonly hostId: string,
    private readonly revision: string | undefined,
    private readonly log: Logger,
    private readonly options: HeartbeatOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Takes the host id (waiting out a dead previous run's heartbeat), then beats on a timer. */
  async start(): Promise<void> {
    await this.claimId();
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops beating and removes the document (if still this run's), so the host is not listed as alive. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.conflict) return;
    const ref = this.db.doc(paths.host(this.hostId));
    await this.db.runTransaction(async (tx) => {
      if (this.ours(beatOf((await tx.get(ref)).data()))) tx.delete(ref);
    });
  }

  private async claimId(): Promise<void> {
    const ref = this.db.doc(paths.host(this.hostId));
    let seen: Beat | undefined;
    for (;;) {
      let current: Beat | undefined;
      try {
        current = beatOf((await ref.get()).data());
      } catch (err) {
        this.status.lastError = err instanceof Error ? err.message : String(err);
        this.log.warn({ err }, 'heartbeat read failed; retrying');
        await sleep(1_000);
        continue;
      }
      if (current && !this.ours(current) && this.now() - current.at < this.options.staleAfterMs) {
        if (seen && current.at !== seen.at) {
          throw new HostIdInUseError(this.hostId, `it beat at ${new Date(current.at).toISOString()}`);
        }
        if (!seen) this.log.info({ hostId: this.hostId }, 'HOST_ID has a fresh heartbeat: waiting to see if it lives');
        seen ??= current;
        await sleep(Math.max(100, Math.min(1_000, this.options.intervalMs / 4)));
        continue;
      }
      // Free, stale or ours: take it, unless it changed since it was read (then look again).
      const taken = await this.db
        .runTransaction(async (tx) => {
          const now = beatOf((await tx.get(ref)).data());
          if (now?.instance !== current?.instance || now?.at !== current?.at) return false;
          tx.set(ref, this.doc());
          return true;
        })
        .catch(async (err) => {
          this.log.warn({ err }, 'heartbeat write failed; retrying');
          await sleep(1_000);
          return false;
        });
      if (taken) return this.beaten();
    }
  }

  private async beat(): Promise<void> {
    if (this.conflict) return;
    const ref = this.db.doc(paths.host(this.hostId));
    try {
      const other = await this.db.runTransaction(async (tx) => {
        const current = beatOf((await tx.get(ref)).data());
        if (current && !this.ours(current)) return current;
        tx.set(ref, this.doc());
        return undefined;
      });
      if (other) return this.lose(other);
      this.beaten();
    } catch (err) {
      this.status.lastError = err instanceof Error ? err.message : String(err);
      this.log.warn({ err }, 'heartbeat write failed');
    }
  }

  private lose(other: Beat): void {
    this.conflict = true;
    clearInterval(this.timer);
    const err = new HostIdInUseError(
      this.hostId,
      `instance ${other.instance ?? '(unnamed)'} took the heartbeat over at ${new Date(other.at).toISOString()}`,
    );
    this.status.lastError = err.message;
    this.log.fatal({ err }, err.message);
    this.options.onConflict?.(err);
  }

  private beaten(): void {
    this.status.lastBeatAt = this.now();
    this.status.lastError = undefined;
  }

  private ours(beat: Beat | undefined): boolean {
    return beat?.instance === this.instance;
  }

  private doc() {
    return {
      hostId: this.hostId,
      instance: this.instance,
      revision: this.revision ?? null,
      startedAt: this.startedAt,
      heartbeatAt: Timestamp.fromMillis(this.now()),
    };
  }
}

function beatOf(data: DocumentData | undefined): Beat | undefined {
  if (!data) return undefined;
  const at = data.heartbeatAt;
  return {
    instance: typeof data.instance === 'string' ? data.instance : undefined,
    at: at instanceof Timestamp ? at.toMillis() : 0,
  };
}
