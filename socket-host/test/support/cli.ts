/** The real CLI as a child process (`npm run cli -- …`) against the test Firestore. */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { proto } from '@whiskeysockets/baileys';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { firestoreHost } from '../../../test/support/firestore.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[]): Promise<CliRun> {
  const child = spawn('npm', ['run', '--silent', 'cli', '--', ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FIRESTORE_EMULATOR_HOST: firestoreHost(),
      GCLOUD_PROJECT: 'demo-wasync',
      METADATA_SERVER_DETECTION: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** HistorySync chunks as files, as WhatsApp ships them (deflated) or inflated (`raw` indexes). */
export async function historyFiles(
  syncs: readonly proto.IHistorySync[],
  raw: ReadonlySet<number> = new Set(),
): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'wasync-history-'));
  return Promise.all(
    syncs.map(async (sync, i) => {
      const bytes = Buffer.from(proto.HistorySync.encode(proto.HistorySync.create(sync)).finish());
      const path = join(dir, `history-${i}.bin`);
      await writeFile(path, raw.has(i) ? bytes : deflateSync(bytes));
      return path;
    }),
  );
}
