/**
 * Composes the socket host from its parts and hands each one's close step to `Shutdown`.
 * Separate from main.ts so tests can start a host in-process.
 */
import { randomBytes } from 'node:crypto';
import { type Env, type HostConfig, parseHostConfig, redactConfig } from '@wasync/shared';
import { openFirestore } from './firebase.ts';
import { startHealthServer } from './health.ts';
import { Heartbeat } from './heartbeat.ts';
import type { Logger } from './log.ts';
import { Shutdown } from './shutdown.ts';

export interface RunningHost {
  config: HostConfig;
  healthUrl: string;
  shutdown: Shutdown;
}

/** Reads the host's configuration from `env` once; throws ConfigError listing every bad variable. */
export function loadHostConfig(env: Env): HostConfig {
  return parseHostConfig(env, { hostIdSuffix: randomBytes(4).toString('hex') });
}

export async function startHost(config: HostConfig, log: Logger): Promise<RunningHost> {
  log.info({ config: redactConfig(config) }, 'starting socket host');
  const shutdown = new Shutdown(log);
  const { db, close: closeFirestore } = openFirestore(config.hostId, config.projectId);
  shutdown.register('firestore', closeFirestore);

  const heartbeat = new Heartbeat(db, config.hostId, config.cloudRunRevision, log);
  await heartbeat.start();
  shutdown.register('heartbeat', () => heartbeat.stop());

  const health = await startHealthServer(config.port, {
    hostId: config.hostId,
    heartbeat: heartbeat.status,
    staleAfterMs: 60_000,
  });
  shutdown.register('health server', () => new Promise((resolve) => health.server.close(() => resolve())));

  log.info({ hostId: config.hostId, health: health.url }, 'socket host ready');
  return { config, healthUrl: health.url, shutdown };
}
