/**
 * Socket host process entry (Cloud Run). Exits non-zero with every configuration problem listed
 * when the environment is invalid.
 */
import { ConfigError } from '@wasync/shared';
import { loadHostConfig, startHost } from './host.ts';
import { createLogger } from './log.ts';

const bootLog = createLogger(process.env.LOG_LEVEL ?? 'info');
try {
  const config = loadHostConfig(process.env);
  const log = createLogger(config.logLevel);
  const host = await startHost(config, log);
  host.shutdown.installProcessHandlers();
} catch (err) {
  if (err instanceof ConfigError) bootLog.fatal({ problems: err.problems }, err.message);
  else bootLog.fatal({ err }, 'socket host failed to start');
  process.exit(1);
}
