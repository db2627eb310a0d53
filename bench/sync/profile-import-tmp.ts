/**
 * Where the time of sync-pipeline.bench.ts part (a)'s import goes: imports the same generated
 * history (`history.ts`) through `HistoryIngest` into a fresh embedded emulator, and prints one
 * JSON line with the wall time and the CPU time of this process (`process.cpuUsage()`) and of the
 * emulator's own process (`/proc/<pid>/stat` utime + stime), both taken around the import only.
 *
 * With a profile directory, the emulator is started here with `--cpu-prof` into it (node refuses
 * `--cpu-prof` in NODE_OPTIONS, so it cannot be passed through the environment); profile this
 * process the same way: `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/sync/profile-import.ts 20000 DIR`.
 *
 * Usage: tsx bench/sync/profile-import.ts [messages (20000)] [emulator profile directory]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { readReadyLine, stopChild } from '../../scripts/lib/child-process.ts';
import { DEMO_PROJECT, startFirestoreBackend } from '../../scripts/lib/firestore-backend.ts';
import { paths } from '../../shared/src/schema.ts';
import { leaseFence } from '../../socket-host/src/accounts/fence.ts';
import { HistoryIngest } from '../../socket-host/src/pipeline/ingest.ts';
import { ME } from '../../socket-host/test/support/sync.ts';
import { benchHistory } from './history.ts';

/** utime + stime of process `pid`, in seconds (fields 14 and 15 of /proc/<pid>/stat, in clock ticks). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The embedded emulator as `startFirestoreBackend` starts it, with `--cpu-prof` into `dir`. */
async function profiledEmulator(dir: string) {
  const script = fileURLToPath(new URL('../../scripts/firestore-embedded.ts', import.meta.url));
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = await readReadyLine<{ ready: true; host: string }>(child, 'embedded Firestore emulator');
  return { host: ready.host, pid: child.pid, stop: () => stopChild(child) };
}

const messages = Number(process.argv[2] ?? 20_000);
const profileDir = process.argv[3];
process.env.METADATA_SERVER_DETECTION ??= 'none';
const history = benchHistory(messages, 'sync-bench');
const backend = profileDir ? await profiledEmulator(profileDir) : await startFirestoreBackend({}, {});
process.env.FIRESTORE_EMULATOR_HOST = backend.host;
const db = getFirestore(initializeApp({ projectId: DEMO_PROJECT }, 'profile-import'));
db.settings({ ignoreUndefinedProperties: true });
try {
  const accountId = `profile-${Date.now()}`;
  await db.doc(paths.account(accountId)).set({ displayName: accountId, me: ME });
  await db.doc(paths.lease(accountId)).set({ holder: 'profile', epoch: 1 });
  const fence = leaseFence(db, accountId, 'profile', 1);
  const emulatorBefore = cpuSecondsOf(backend.pid!);
  const cpuBefore = process.cpuUsage();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const started = performance.now();
  const ingest = await HistoryIngest.open({ db, accountId, me: ME, source: 'import', fence });
  await ingest.historySyncs(history.chunks);
  const summary = await ingest.finish();
  const wall = (performance.now() - started) / 1000;
  const { profile } = await session.post('Profiler.stop');
  (await import('node:fs')).writeFileSync('/tmp/import.cpuprofile', JSON.stringify(profile));
  const cpu = process.cpuUsage(cpuBefore);
  const emulatorCpu = cpuSecondsOf(backend.pid!) - emulatorBefore;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      messages: summary.historyMessages,
      wall_s: round(wall),
      msg_per_s: round(summary.historyMessages / wall),
      bench_cpu_s: round((cpu.user + cpu.system) / 1e6),
      emulator_cpu_s: round(emulatorCpu),
      reads: summary.reads,
      writes: summary.writes,
      commits: summary.commits,
      plans: summary.plans,
      replans: summary.replans,
    })}\n`,
  );
} finally {
  await backend.stop();
}
process.exit(0);
