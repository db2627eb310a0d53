/**
 * The host's heartbeat document `hosts/{hostId}` (server-only): tells operators which instances
 * run and when each last reached Firestore. Later, lease takeover uses it to spot dead hosts.
 */
import { paths } from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';
import type { Logger } from './log.ts';

export interface HeartbeatStatus {
  lastBeatAt: number | undefined;
  lastError: string | undefined;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date();
  readonly status: HeartbeatStatus = { lastBeatAt: undefined, lastError: undefined };

  constructor(
    private readonly db: Firestore,
    private readonly hostId: string,
    private readonly revision: string | undefined,
    private readonly log: Logger,
    private readonly intervalMs = 15_000,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops beating and removes the document, so the host is not listed as alive. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.db.doc(paths.host(this.hostId)).delete();
  }

  private async beat(): Promise<void> {
    const now = new Date();
    try {
      await this.db
        .doc(paths.host(this.hostId))
        .set({ hostId: this.hostId, revision: this.revision ?? null, startedAt: this.startedAt, heartbeatAt: now });
      this.status.lastBeatAt = now.getTime();
      this.status.lastError = undefined;
    } catch (err) {
      this.status.lastError = err instanceof Error ? err.message : String(err);
      this.log.warn({ err }, 'heartbeat write failed');
    }
  }
}
