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
  await mod.default(emit);
}
