// Bundles src/ into lib/index.js. `firebase deploy` uploads only functions/, so shared/ must be
// inlined rather than imported by workspace path (see scripts/lib/bundle.mjs).
import { bundlePackage } from '../scripts/lib/bundle.mjs';

await bundlePackage(new URL('./', import.meta.url), 'src/index.ts', 'lib/index.js');
