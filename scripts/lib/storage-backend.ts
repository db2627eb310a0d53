/**
 * Which Cloud Storage the local stack and the tests use.
 *
 * - `FIREBASE_STORAGE_EMULATOR_HOST` (or `STORAGE_EMULATOR_HOST`, the Cloud client's own name) set,
 *   e.g. under `firebase emulators:exec` with the official Storage emulator: use it as is.
 * - otherwise: start firebase-tools' Storage emulator without its rules runtime in a child process
 *   (`scripts/storage-embedded.ts`) and stop it afterwards.
 *
 * firebase-admin reaches the emulator through `FIREBASE_STORAGE_EMULATOR_HOST` (host:port, no
 * scheme), which it copies to `STORAGE_EMULATOR_HOST` the first time a `Storage` is created; set
 * it before calling `getStorage()`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readReadyLine, stopChild } from './child-process.ts';

export interface StorageBackend {
  kind: 'external' | 'embedded';
  /** host:port for FIREBASE_STORAGE_EMULATOR_HOST. */
  host: string;
  /** Deletes every object of every bucket. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

export interface StorageBackendOptions {
  /** Port of the embedded emulator; 0 (default) picks a free one. */
  port?: number;
  /** Without this project's resumable-upload behaviour (lib/storage-resumable.ts), to compare. */
  unfixed?: boolean;
}

const embeddedScript = fileURLToPath(new URL('../storage-embedded.ts', import.meta.url));

/** The storage emulator host set in `env`, without a scheme; undefined when none is set. */
export function storageEmulatorHostFrom(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.FIREBASE_STORAGE_EMULATOR_HOST || env.STORAGE_EMULATOR_HOST;
  return host?.replace(/^https?:\/\//, '') || undefined;
}

export async function startStorageBackend(
  env: NodeJS.ProcessEnv = process.env,
  options: StorageBackendOptions = {},
): Promise<StorageBackend> {
  const external = storageEmulatorHostFrom(env);
  if (external) return { kind: 'external', host: external, clear: () => reset(external), stop: async () => {} };

  const args = ['--port', String(options.port ?? 0), ...(options.unfixed ? ['--unfixed'] : [])];
  // stdin is a pipe the child watches: if this process dies, the emulator exits too.
  const child = spawn(process.execPath, ['--import', 'tsx', embeddedScript, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const { host } = await readReadyLine<{ ready: true; host: string }>(child, 'embedded Storage emulator');
  return { kind: 'embedded', host, clear: () => reset(host), stop: () => stopChild(child) };
}

/** firebase-tools' Storage emulator (embedded or official) deletes everything on this route. */
async function reset(host: string): Promise<void> {
  const res = await fetch(`http://${host}/internal/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`clearing the Storage emulator failed: HTTP ${res.status}`);
}
