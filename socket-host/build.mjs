// Bundles src/ into dist/main.js for the Cloud Run container (see scripts/lib/bundle.mjs), and the
// history tools into dist/cli.js (`node socket-host/dist/cli.js import-history …` in the image).
import { bundlePackage } from '../scripts/lib/bundle.mjs';

await bundlePackage(new URL('./', import.meta.url), 'src/main.ts', 'dist/main.js');
await bundlePackage(new URL('./', import.meta.url), 'src/cli/main.ts', 'dist/cli.js');
