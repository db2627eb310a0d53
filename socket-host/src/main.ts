/**
 * Socket host process entry (Cloud Run). Exits non-zero with every configuration problem listed
 * when the environment is invalid.
 */
import { ConfigError } from '@wasync/shared';
import { loadHostConfig, startHost } from './host.ts';
import { createLogger } from './log.ts';
import { SHUTDOWN_MS } from './options.ts';
import { Shutdown } from './shutdown.ts';

const bootLog = createLogger(process.env.LOG_LEVEL ?? 'info');
let shutdown: Shutdown | undefined;
try {
  const config = loadHostConfig(process.env);
  const log = createLogger(config.logLevel);
  // Before start-up, so a SIGTERM during it still closes what was opened (and releases leases).
  shutdown = new Shutdown(log, SHUTDOWN_MS);
  shutdown.installProcessHandlers();
  await startHost(config, log, {}, shutdown);
} catch (err) {
  if (err instanceof ConfigError) bootLog.fatal({ problems: err.problems }, err.message);
  else bootLog.fatal({ err }, 'socket host failed to start');
  await shutdown?.run('start-up failed');
  process.exit(1);
}
