/**
 * Everything the host's parts need to know, derived once from the validated configuration: the
 * one place where timings are related to each other (all lease-driven timings follow LEASE_TTL_MS).
 */
import type { HostConfig } from '@wasync/shared';
import type { OwnershipOptions } from './accounts/ownership.ts';
import { Keyring } from './auth-state/crypto.ts';
import type { BackfillOptions } from './commands/backfill/backfill.ts';
import type { ScheduleOptions } from './commands/backfill/schedule.ts';
import type { ExecutorOptions } from './commands/executor.ts';
import type { SessionOptions } from './connection/account-session.ts';
import { type BackoffOptions, DEFAULT_BACKOFF } from './connection/backoff.ts';
import { type MediaOptions, mediaOptions } from './media/options.ts';
import type { PipelineOptions } from './pipeline/sync-consumer.ts';
import type { WaVersionOptions } from './transport/wa-version.ts';

export interface HostOptions {
  hostId: string;
  leaseTtlMs: number;
  /** Heartbeats and lease renewals: ttl/3, so a lease survives two missed renewals. */
  renewEveryMs: number;
  ownership: OwnershipOptions;
  session: SessionOptions;
  keyring: Keyring;
  pipeline: PipelineOptions;
  media: MediaOptions;
  commands: ExecutorOptions;
  backfill: BackfillOptions;
  /** Reconnect backfills through Cloud Tasks; undefined against a Firestore emulator without the Tasks emulator. */
  scheduling: ScheduleOptions | undefined;
  transport: HostConfig['transport'];
  /** The WhatsApp Web version's refresh (where it is fetched from is the transport's). */
  waVersion: Omit<WaVersionOptions, 'fetch'>;
  baileysLogLevel: HostConfig['baileysLogLevel'];
}

const DAY_MS = 24 * 3_600_000;

/** Shutdown must end well inside Cloud Run's 10 s between SIGTERM and SIGKILL. */
export const SHUTDOWN_MS = 8_000;

export function hostOptions(config: HostConfig, overrides: { backoff?: Partial<BackoffOptions> } = {}): HostOptions {
  const ttl = config.leaseTtlMs;
  const keyring = Keyring.fromConfig(config.authStateKey, config.authStatePreviousKeys);
  const renewEveryMs = Math.floor(ttl / 3);
  return {
    hostId: config.hostId,
    leaseTtlMs: ttl,
    renewEveryMs,
    ownership: {
      maxAccounts: config.maxAccountsPerHost,
      roundEveryMs: Math.max(500, Math.floor(ttl / 6)),
      settleMs: renewEveryMs,
      renewEveryMs,
      // Covers clock skew between hosts and the time a socket takes to close.
      marginMs: Math.max(1_000, Math.floor(ttl / 5)),
      hostStaleAfterMs: ttl,
      cooldownMs: { afterShed: 2 * ttl, afterYield: ttl, afterUnreadable: 10 * 60_000, afterFailure: ttl },
      stopTimeoutMs: 5_000,
    },
    session: {
      syncFullHistory: config.syncFullHistory,
      backoff: { ...DEFAULT_BACKOFF, ...overrides.backoff },
      drainTimeoutMs: 3_000,
      reencrypt: keyring.ids.length > 1,
      includeStatusBroadcast: config.includeStatusBroadcast,
    },
    keyring,
    pipeline: {
      sync: {
        historyDryRun: config.historySyncDryRun,
        includeStatusBroadcast: config.includeStatusBroadcast,
        rawHistoryRetentionMs: config.rawHistoryRetentionDays * DAY_MS,
        importAfterConnect: true,
        writer: { pendingTtlMs: config.pendingUpdatesTtlDays * DAY_MS },
      },
      budget: { startPerSecond: config.syncWritesPerSecond, maxPerSecond: config.syncWritesPerSecondMax },
    },
    media: mediaOptions(config),
    commands: {
      sendTtlMs: config.sendTtlSeconds * 1000,
      sendIntervalMs: config.sendIntervalMs,
      sendJitterMs: config.sendJitterMs,
      retryMs: 1_000,
      closeTimeoutMs: 3_000,
    },
    backfill: {
      concurrency: config.backfillConcurrency,
      requestTimeoutMs: config.backfillRequestTimeoutSeconds * 1000,
      retries: config.backfillRetries,
    },
    scheduling:
      config.firestoreEmulatorHost && !config.cloudTasksEmulatorHost
        ? undefined
        : {
            region: config.functionsRegion,
            jitterMinS: config.backfillJitterMinSeconds,
            jitterMaxS: config.backfillJitterMaxSeconds,
          },
    transport: config.transport,
    waVersion: { refreshEveryMs: DAY_MS, minFetchIntervalMs: 60_000 },
    baileysLogLevel: config.baileysLogLevel,
  };
}
