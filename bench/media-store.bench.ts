/**
 * Memory and speed of storing media (socket-host/src/media/store.ts) on the Storage emulator.
 *
 * - RSS growth of the storing process while a 200 MB file streams through MediaStore (goal: under
 *   50 MB, i.e. memory does not grow with the file), against a 20 MB file and against only
 *   generating and hashing the 200 MB (the garbage the test source makes by itself); how much of it
 *   came after the first quarter of the run (memory that grows with the file keeps climbing); and
 *   what stays allocated after the run (retained: a leak would show here).
 * - Throughput, against only generating and hashing the same bytes.
 * - The same for the whole download path: a file published by the simulated WhatsApp (Baileys'
 *   encryption, served from this process), downloaded and decrypted as a stream by Baileys'
 *   `downloadMediaMessage` in the storing process, stored.
 *
 * Each run is a fresh process that only stores (bench/media-store-child.ts); hashes and encryption
 * are prepared here, and the emulator runs in a process of its own. RSS growth counts garbage the
 * collector has not reclaimed yet, so it varies from run to run: each figure is the median of
 * BENCH_MEDIA_RUNS (3) runs, with the largest. BENCH_MEDIA_MB changes the large size.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { proto } from '@whiskeysockets/baileys';
import { startStorageBackend } from '../scripts/lib/storage-backend.ts';
import { SimulatedMediaServer } from '../socket-host/src/transport/simulated/media.ts';
import { pseudoRandomStream, sha256Of } from '../test/support/bytes.ts';
import type { Job } from './media-store-child.ts';
import type { Emit } from './types.ts';

const MB = 1024 * 1024;
const LARGE_MB = Number(process.env.BENCH_MEDIA_MB ?? 200);
const SMALL_MB = 20;
const WARMUP_MB = 5;
const GOAL_MB = 50;
const RUNS = Number(process.env.BENCH_MEDIA_RUNS ?? 3);
const CHILD = fileURLToPath(new URL('./media-store-child.ts', import.meta.url));

interface Run {
  rssGrowthMb: number;
  /** RSS growth after the first quarter of the run: near 0 when memory does not grow with the file. */
  lateGrowthMb: number;
  peakRssMb: number;
  /** Heap and external memory still allocated after the run and a full GC, above the baseline. */
  retainedMb: number;
  seconds: number;
}

/** The median run of each figure, and the largest RSS growth seen. */
function summary(runs: Run[]): Run & { maxRssGrowthMb: number } {
  const median = <K extends keyof Run>(key: K) => runs.map((r) => r[key]).sort((a, b) => a - b)[runs.length >> 1]!;
  return {
    rssGrowthMb: median('rssGrowthMb'),
    lateGrowthMb: median('lateGrowthMb'),
    peakRssMb: median('peakRssMb'),
    retainedMb: median('retainedMb'),
    seconds: median('seconds'),
    maxRssGrowthMb: Math.max(...runs.map((r) => r.rssGrowthMb)),
  };
}

async function localFile(mb: number) {
  const seed = `local-${mb}`;
  return { size: mb * MB, seed, sha256: await sha256Of(pseudoRandomStream(mb * MB, seed)) };
}

async function published(media: SimulatedMediaServer, mb: number) {
  const content = await media.publish({ type: 'video', plaintext: pseudoRandomStream(mb * MB, `wa-${mb}`) });
  return { message: Buffer.from(proto.Message.encode(content).finish()).toString('base64') };
}

export default async function mediaStoreBench(emit: Emit): Promise<void> {
  const backend = await startStorageBackend();
  const media = await SimulatedMediaServer.start();
  const env = { ...process.env, FIREBASE_STORAGE_EMULATOR_HOST: backend.host, METADATA_SERVER_DETECTION: 'none' };
  Reflect.deleteProperty(env, 'STORAGE_EMULATOR_HOST');
  const measure = async (job: Job) => {
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      const args = ['--import', 'tsx', CHILD, JSON.stringify(job)];
      const { stdout } = await promisify(execFile)(process.execPath, args, { env });
      runs.push(JSON.parse(stdout.trim().split('\n').at(-1)!) as Run);
    }
    return summary(runs);
  };
  try {
    const warmup = await localFile(WARMUP_MB);
    const hash = await measure({
      mode: 'hash',
      files: [
        { size: WARMUP_MB * MB, seed: 'warmup' },
        { size: LARGE_MB * MB, seed: 'hash' },
      ],
    });
    const small = await measure({ mode: 'local', files: [warmup, await localFile(SMALL_MB)] });
    const large = await measure({ mode: 'local', files: [warmup, await localFile(LARGE_MB)] });
    const download = await measure({
      mode: 'whatsapp',
      port: media.port,
      files: [await published(media, WARMUP_MB), await published(media, LARGE_MB)],
    });
    const common = { backend: backend.kind, file_mb: LARGE_MB, runs: RUNS };
    emit({
      metric: 'media.store.rss_growth',
      value: round(large.rssGrowthMb),
      unit: 'MB',
      ...common,
      goal_mb: GOAL_MB,
      max_mb: round(large.maxRssGrowthMb),
      after_first_quarter_mb: round(large.lateGrowthMb),
      peak_rss_mb: round(large.peakRssMb),
      retained_mb: round(large.retainedMb),
      hash_only_mb: round(hash.rssGrowthMb),
      [`at_${SMALL_MB}mb`]: round(small.rssGrowthMb),
      vs_small: round(large.rssGrowthMb / small.rssGrowthMb),
    });
    emit({
      metric: 'media.store.throughput',
      value: round(LARGE_MB / large.seconds),
      unit: 'MB/s',
      ...common,
      vs_hash_only: round(hash.seconds / large.seconds),
    });
    emit({
      metric: 'media.download_to_stored.rss_growth',
      value: round(download.rssGrowthMb),
      unit: 'MB',
      ...common,
      goal_mb: GOAL_MB,
      max_mb: round(download.maxRssGrowthMb),
      after_first_quarter_mb: round(download.lateGrowthMb),
      peak_rss_mb: round(download.peakRssMb),
      retained_mb: round(download.retainedMb),
      vs_store_only: round(download.rssGrowthMb / large.rssGrowthMb),
    });
    emit({
      metric: 'media.download_to_stored.throughput',
      value: round(LARGE_MB / download.seconds),
      unit: 'MB/s',
      ...common,
      vs_store_only: round(large.seconds / download.seconds),
    });
  } finally {
    await media.close();
    await backend.stop();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
