/**
 * One measurement of media-store.bench.ts, in a fresh process that does nothing but store (the
 * host's part): no run inherits another's memory high-water mark, and preparing the files (hashes,
 * encryption) happens in the parent. Warms up with a 5 MB file, then stores the measured one while
 * sampling RSS every 10 ms from a baseline after a full GC (also how much it still grew after the
 * first quarter of the run), measures what stays allocated after another full GC, and prints one
 * JSON line.
 *
 * Usage: tsx bench/media-store-child.ts '<job as JSON>' (FIREBASE_STORAGE_EMULATOR_HOST set), a job
 * being one of
 * - `{ "mode": "local", "files": [{ "size", "seed", "sha256" }, …] }`: generated streams;
 * - `{ "mode": "whatsapp", "port", "files": [{ "message" }, …] }`: proto.Message (base64) published
 *   by the parent's simulated WhatsApp on `port`, downloaded and decrypted by Baileys'
 *   downloadMediaMessage;
 * - `{ "mode": "hash", "files": [{ "size", "seed" }] }`: only generating and hashing the bytes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { assertMediaContent, downloadMediaMessage, proto } from '@whiskeysockets/baileys';
import { initializeApp } from 'firebase-admin/app';
import { getStorage } from 'firebase-admin/storage';
import { DEMO_PROJECT } from '../scripts/lib/firestore-backend.ts';
import { MediaStore, type StoreMediaRequest } from '../socket-host/src/media/store.ts';
import { SimulatedMediaServer } from '../socket-host/src/transport/simulated/media.ts';
import { pseudoRandomStream, sha256Of } from '../test/support/bytes.ts';

export type Job =
  | { mode: 'local'; files: { size: number; seed: string; sha256: string }[] }
  | { mode: 'whatsapp'; port: number; files: { message: string }[] }
  | { mode: 'hash'; files: { size: number; seed: string }[] };

const job = JSON.parse(process.argv[2]!) as Job;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const store = new MediaStore({
  bucket: getStorage(initializeApp({ projectId: DEMO_PROJECT })).bucket(`${DEMO_PROJECT}.appspot.com`),
  maxBytes: 4096 * 1024 * 1024,
});
const run = `${process.pid}-${Date.now()}`;

/** The work for file `i` of the job. */
function work(i: number): () => Promise<unknown> {
  const owner = { accountId: 'bench', threadId: `run-${run}`, messageDocId: `peer~${i}` };
  if (job.mode === 'hash') {
    const { size, seed } = job.files[i]!;
    return () => sha256Of(pseudoRandomStream(size, seed));
  }
  let request: StoreMediaRequest;
  if (job.mode === 'local') {
    const { size, seed, sha256 } = job.files[i]!;
    request = {
      owner,
      fileSha256: Buffer.from(sha256, 'hex'),
      fileLength: size,
      open: async () => pseudoRandomStream(size, seed),
    };
  } else {
    const message = proto.Message.decode(Buffer.from(job.files[i]!.message, 'base64'));
    const media = assertMediaContent(message);
    const key = { remoteJid: '4915112345678@s.whatsapp.net', fromMe: false, id: `BENCH${i}` };
    const options = SimulatedMediaServer.downloadOptionsTo(job.port);
    request = {
      owner,
      fileSha256: media.fileSha256!,
      fileLength: Number(media.fileLength),
      contentType: media.mimetype,
      open: () => downloadMediaMessage({ key, message }, 'stream', options),
    };
  }
  return () => store.store(request);
}

if (job.files.length > 1) await work(0)(); // warm-up: modules, JIT, connections
const measured = work(job.files.length - 1);
gc();
const before = process.memoryUsage();
const baseline = before.rss;
const samples: number[] = [];
const sampler = setInterval(() => samples.push(process.memoryUsage.rss()), 10);
const started = process.hrtime.bigint();
await measured();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
samples.push(process.memoryUsage.rss());
const peak = Math.max(baseline, ...samples);
// Memory that grows with the file keeps climbing; bounded memory reaches its peak early on.
const firstQuarterPeak = Math.max(baseline, ...samples.slice(0, Math.ceil(samples.length / 4)));
// What the run left behind once garbage is collected: objects still referenced (leaks) show here.
gc();
const after = process.memoryUsage();
const MB = 1024 * 1024;
const result = {
  rssGrowthMb: (peak - baseline) / MB,
  lateGrowthMb: (peak - firstQuarterPeak) / MB,
  peakRssMb: peak / MB,
  retainedMb: (after.heapUsed + after.external - before.heapUsed - before.external) / MB,
  seconds,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
