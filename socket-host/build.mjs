// Bundles src/ into dist/main.js for the Cloud Run container (see scripts/lib/bundle.mjs).
import { bundlePackage } from '../scripts/lib/bundle.mjs';

await bundlePackage(new URL('./', import.meta.url), 'src/main.ts', 'dist/main.js');
