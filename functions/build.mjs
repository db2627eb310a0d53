// Bundles src/ into lib/index.js. `firebase deploy` uploads only functions/, so shared/ must be
// inlined rather than imported by workspace path (see scripts/lib/bundle.mjs). The dashboard page
// (src/dashboard/page/) is built for browsers into lib/dashboard/, which the api function serves.
import { bundlePackage } from '../scripts/lib/bundle.mjs';
import { buildDashboardPage } from './src/dashboard/page/build.mjs';

await bundlePackage(new URL('./', import.meta.url), 'src/index.ts', 'lib/index.js');
await buildDashboardPage(new URL('./lib/dashboard/', import.meta.url));
