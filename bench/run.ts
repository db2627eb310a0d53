/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or those named on the command line) and prints
 * one JSON object per line. Progress goes to stderr so stdout stays machine-readable.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchMetric } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const emit = (m: BenchMetric) => process.stdout.write(`${JSON.stringify(m)}\n`);
for (const file of files) {
  process.stderr.write(`bench: ${file}\n`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench };
  const env = { ...process.env };
  try {
    await mod.default(emit);
  } finally {
    // Benches point FIRESTORE_EMULATOR_HOST (and the like) at the emulators they start and stop;
    // left set, the next bench would take the stopped one for an external emulator and use it.
    restoreEnv(env);
  }
}

function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
}
