/** The socket host as Cloud Run runs it: `node socket-host/dist/main.js`, JSON log lines collected. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { firestoreHost } from '../../../test/support/firestore.ts';

export interface HostProcess {
  child: ChildProcess;
  /** Every stdout line, parsed (non-JSON lines kept as `{ message }`). */
  logs: Record<string, unknown>[];
}

/** Starts dist/main.js (build it first) against the test Firestore, with `env` on top. */
export function spawnHost(env: Record<string, string>): HostProcess {
  const child = spawn(process.execPath, ['socket-host/dist/main.js'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      FIRESTORE_EMULATOR_HOST: firestoreHost(),
      GCLOUD_PROJECT: 'demo-wasync',
      METADATA_SERVER_DETECTION: 'none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line));
    } catch {
      logs.push({ message: line });
    }
  });
  return { child, logs };
}
