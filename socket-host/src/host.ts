/**
 * Composes the socket host from its parts and hands each one's close step to `Shutdown`.
 * Separate from main.ts so tests can start a host in-process (with their own simulator or consumer).
 *
 *   Firestore listeners (accounts, hosts, leases) ─► Ownership ─► per account: HeldLease + AccountSession
 *                                                                  └─ transport socket ─► event sink
 */
import { randomBytes } from 'node:crypto';
import { type Env, type HostConfig, parseHostConfig, redactConfig } from '@wasync/shared';
import type { Firestore } from 'firebase-admin/firestore';
import { getStorage, type Storage } from 'firebase-admin/storage';
import { Directory } from './accounts/directory.ts';
import { LeaseStore } from './accounts/lease.ts';
import { Ownership } from './accounts/ownership.ts';
import { AccountAuthStore } from './auth-state/store.ts';
import { AccountBackfill } from './commands/backfill/backfill.ts';
import { BackfillScheduler, type Scheduled } from './commands/backfill/schedule.ts';
import { CommandsConsumer, type CommandsConsumerOptions } from './commands/commands-consumer.ts';
import { AccountSession } from './connection/account-session.ts';
import type { BackoffOptions } from './connection/backoff.ts';
import { ConnectionWriter } from './connection/connection-writer.ts';
import { openFirestore } from './firebase.ts';
import { startHealthServer } from './health.ts';
import { Heartbeat } from './heartbeat.ts';
import type { Logger } from './log.ts';
import { MediaService } from './media/service.ts';
import { type HostOptions, hostOptions, SHUTDOWN_MS } from './options.ts';
import type { AccountEventConsumer } from './pipeline/consumer.ts';
import { FirestoreMessageContentStore } from './pipeline/message-content.ts';
import { SyncConsumer } from './pipeline/sync-consumer.ts';
import { Shutdown } from './shutdown.ts';
import { baileysTransport } from './transport/baileys.ts';
import { listenToSimulatedInbox } from './transport/simulated/inbox.ts';
import { FirestoreSocketLedger } from './transport/simulated/ledger.ts';
import { SimulatedMediaServer } from './transport/simulated/media.ts';
import { SimulatedWhatsApp } from './transport/simulated/simulator.ts';
import type { WhatsAppTransport } from './transport/types.ts';
import { BUILT_IN_WA_VERSION, WaVersionSource } from './transport/wa-version.ts';

export interface RunningHost {
  config: HostConfig;
  options: HostOptions;
  healthUrl: string;
  shutdown: Shutdown;
  ownership: Ownership;
  db: Firestore;
  /** The simulated WhatsApp, when the transport is simulated. */
  simulator: SimulatedWhatsApp | undefined;
  /** Media fetching, when the host has a bucket. */
  media: MediaService | undefined;
  /** The command executors of the accounts this host owns. */
  commands: CommandsConsumer;
}

/** What tests may replace. */
export interface HostOverrides {
  simulator?: SimulatedWhatsApp;
  transport?: WhatsAppTransport;
  consumer?: AccountEventConsumer;
  backoff?: Partial<BackoffOptions>;
  /** Hooks of the command executor (benchmarks, tests). */
  commands?: Partial<CommandsConsumerOptions>;
  /** Told of every reconnect backfill this host schedules (tests). */
  onBackfillScheduled?: (accountId: string, scheduled: Scheduled) => void;
}

/**
 * Media fetching, when the host knows its bucket (MEDIA_BUCKET, or the project's default bucket);
 * without one, messages keep media metadata only (logged).
 */
function openMedia(db: Firestore, storage: Storage, options: HostOptions, transport: WhatsAppTransport, log: Logger) {
  const { bucket, maxBytes, perHost, fetch } = options.media;
  if (!bucket) {
    log.warn('no media bucket (MEDIA_BUCKET or a project id): media is not stored');
    return undefined;
  }
  return new MediaService(
    db,
    {
      bucket: storage.bucket(bucket),
      maxBytes,
      perHost,
      fetch,
      ...(transport.mediaDownloadOptions && { downloadOptions: transport.mediaDownloadOptions }),
    },
    log,
  );
}

/** In simulated mode the phone scans the QR by itself after this long (demo and fleet tests). */
const SIMULATED_AUTO_PAIR_MS = 2_000;

/** Reads the host's configuration from `env` once; throws ConfigError listing every bad variable. */
export function loadHostConfig(env: Env): HostConfig {
  return parseHostConfig(env, { hostIdSuffix: randomBytes(4).toString('hex') });
}

/**
 * Starts every part, registering each one's close step with `shutdown` as soon as it runs, so a
 * SIGTERM that arrives during start-up (the process handlers are installed first) still closes
 * what was opened.
 */
export async function startHost(
  config: HostConfig,
  log: Logger,
  overrides: HostOverrides = {},
  shutdown = new Shutdown(log, SHUTDOWN_MS),
): Promise<RunningHost> {
  log.info({ config: redactConfig(config) }, 'starting socket host');
  const options = hostOptions(config, { backoff: overrides.backoff });
  const { hostId, keyring } = options;
  const { app, db, close: closeFirestore } = openFirestore(hostId, config.projectId);
  shutdown.register('firestore', closeFirestore);
  if (keyring.isDevelopmentKey) {
    log.warn('AUTH_STATE_KEY is not set: auth state is encrypted with the fixed development key (emulator only)');
  }
  log.info({ keyIds: keyring.ids, writesWith: keyring.currentId }, 'auth-state keys');

  const heartbeat = new Heartbeat(db, hostId, config.cloudRunRevision, log, {
    intervalMs: options.renewEveryMs,
    staleAfterMs: options.ownership.hostStaleAfterMs,
    // Another run took this HOST_ID over (this one was frozen past the stale limit): it keeps it.
    onConflict: () => {
      process.exitCode = 1;
      void shutdown.run('HOST_ID taken over by another instance');
    },
  });
  await heartbeat.start();
  shutdown.register('heartbeat', () => heartbeat.stop());

  const simulatedMedia =
    !overrides.simulator && config.transport === 'simulated' && !overrides.transport
      ? await SimulatedMediaServer.start()
      : undefined;
  if (simulatedMedia) shutdown.register('simulated media', () => simulatedMedia.close());
  const simulator =
    overrides.simulator ??
    (config.transport === 'simulated' && !overrides.transport
      ? new SimulatedWhatsApp({
          hostId,
          ...(simulatedMedia && { media: simulatedMedia }),
          autoPairAfterMs: SIMULATED_AUTO_PAIR_MS,
          trafficPerMinute: config.simulatedTrafficPerMinute,
          onTrafficError: (err, accountId) => log.warn({ err, accountId }, 'simulated traffic not delivered'),
          ledger: new FirestoreSocketLedger(db),
          onLedgerError: (err) => log.warn({ err }, 'simulated socket ledger write failed'),
        })
      : undefined);
  if (simulator) {
    const stopInbox = listenToSimulatedInbox(db, simulator, log);
    shutdown.register('simulated inbox', async () => stopInbox());
    shutdown.register('simulated traffic', async () => simulator.traffic.stop());
  }
  const transport = overrides.transport ?? simulator?.transport() ?? baileysTransport;
  // One WhatsApp Web version for every account of the host; the first connect waits for its fetch.
  const waVersion = new WaVersionSource(
    {
      ...options.waVersion,
      fetch: transport.latestVersion ?? (async () => ({ version: BUILT_IN_WA_VERSION, isLatest: true })),
    },
    log,
  );
  void waVersion.start();
  shutdown.register('wa version', async () => waVersion.stop());
  const media = openMedia(db, getStorage(app), options, transport, log);
  const pipeline = overrides.consumer ? undefined : new SyncConsumer(db, options.pipeline, media);
  const scheduler = options.scheduling && new BackfillScheduler(app, options.scheduling, log);
  const commands = new CommandsConsumer(db, overrides.consumer ?? pipeline!, pipeline, {
    ...(media ? { fetchMedia: (accountId, ref) => media.fetchMediaNow(accountId, ref) } : {}),
    executor: options.commands,
    // Pairing and logout go through the session that owns the account under the same lease epoch.
    sessionOf: (accountId, epoch) => {
      const session = ownership.session(accountId)?.session;
      return session?.epoch === epoch ? session : undefined;
    },
    ...(scheduler
      ? {
          onBacklogDrained: (context, socket) =>
            void scheduler
              .schedule(context.accountId, context.epoch, socket)
              .then((scheduled) => overrides.onBackfillScheduled?.(context.accountId, scheduled)),
        }
      : {}),
    backfill: (context, watch, caughtUp) =>
      new AccountBackfill({
        db,
        accountId: context.accountId,
        fence: context.fence,
        watch,
        socket: () => (watch.isOpen ? context.socket() : undefined),
        historyImported: caughtUp,
        options: options.backfill,
        log: context.log.child({ component: 'backfill' }),
      }),
    ...overrides.commands,
  });
  const consumer: AccountEventConsumer = commands;
  const contents = new FirestoreMessageContentStore(db);
  const leases = new LeaseStore(db, { hostId, ttlMs: options.leaseTtlMs });
  const baileysRoot = log.child({ component: 'baileys' }, { level: options.baileysLogLevel });

  const directory = new Directory(db, log);
  shutdown.register('account listeners', async () => directory.close());

  const ownership = new Ownership(
    hostId,
    leases,
    directory,
    (lease) => {
      const { accountId, epoch, fence } = lease;
      const accountLog = log.child({ accountId });
      return new AccountSession({
        accountId,
        epoch,
        fence,
        isOwner: () => lease.isValid(),
        leaseHolder: async () => {
          const now = await leases.read(accountId);
          return now?.holder === hostId && now.epoch === epoch ? 'this host' : 'another host';
        },
        transport,
        waVersion,
        auth: new AccountAuthStore({ db, keyring, log: accountLog }, accountId, fence),
        contents,
        consumer,
        connection: new ConnectionWriter(db, accountId, fence, accountLog),
        options: options.session,
        log: accountLog,
        baileysLog: baileysRoot.child({ accountId }),
      });
    },
    options.ownership,
    log,
  );

  const health = await startHealthServer(config.port, {
    hostId,
    heartbeat: heartbeat.status,
    staleAfterMs: 60_000,
  });
  shutdown.register('health server', () => new Promise((resolve) => health.server.close(() => resolve())));

  // Registered last, so it runs first: stop taking work, then let every account go.
  shutdown.register('accounts', async () => {
    await ownership.stop();
    if (simulator)
      log.info({ counters: simulator.allCounters(), traffic: simulator.traffic.counts }, 'simulated WhatsApp counters');
  });
  await ownership.start();

  log.info({ hostId, health: health.url, transport: transport.kind }, 'socket host ready');
  return { config, options, healthUrl: health.url, shutdown, ownership, db, simulator, media, commands };
}
