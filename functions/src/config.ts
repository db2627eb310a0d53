/**
 * The functions' configuration, parsed from the environment once, on first use. setup.ts uses it
 * at load for the deploy options: deploy-time trigger discovery sees the project's functions/.env*
 * values, the same the deployed functions get (secrets excepted, which are optional here). A bad
 * environment fails the load — the deploy, or the instance's start — with one `ConfigError`
 * naming every bad variable.
 */
import { type FunctionsConfig, parseFunctionsConfig } from '@wasync/shared';

let parsed: FunctionsConfig | undefined;

export function config(): FunctionsConfig {
  parsed ??= parseFunctionsConfig(process.env);
  return parsed;
}
