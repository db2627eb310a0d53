// Builds the dashboard page into `outDir` (functions/lib/dashboard/): the script bundled by
// esbuild from main.ts and npm packages (firebase, qrcode, the shared callables) for browsers,
// the stylesheet and the HTML template as they are. Nothing is fetched at run time. The script
// carries docs/runbook.md as text, so the page says what the runbook's state table says.
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const here = new URL('./', import.meta.url);

/** @param {URL} outDir */
export async function buildDashboardPage(outDir) {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [new URL('main.ts', here).pathname],
    outfile: new URL('app.js', outDir).pathname,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    loader: { '.md': 'text' },
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'dashboard.css']) copyFileSync(new URL(file, here), new URL(file, outDir));
}
