// esbuild bundle of one package entry with the `shared/` domain package inlined. Registry
// dependencies stay external and must be listed in that package's own package.json, because the
// deployed artefact (functions/ upload, socket-host container) installs only those.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

/** @param {URL} packageDir  @param {string} entry  @param {string} outfile */
export async function bundlePackage(packageDir, entry, outfile) {
  const pkg = JSON.parse(readFileSync(new URL('package.json', packageDir), 'utf8'));
  const external = Object.keys(pkg.dependencies ?? {}).flatMap((name) => [name, `${name}/*`]);
  await build({
    entryPoints: [new URL(entry, packageDir).pathname],
    outfile: new URL(outfile, packageDir).pathname,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    external,
    logLevel: 'warning',
    // Inlined CommonJS code may call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
