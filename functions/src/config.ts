/**
 * The functions' configuration, parsed from the environment once, on first use (not at import:
 * deploy-time trigger discovery imports index.js without the runtime environment). A bad
 * environment fails every request with one `ConfigError` naming every bad variable.
 */
import { type FunctionsConfig, parseFunctionsConfig } from '@wasync/shared';

let parsed: FunctionsConfig | undefined;

export function config(): FunctionsConfig {
  parsed ??= parseFunctionsConfig(process.env);
  return parsed;
}
