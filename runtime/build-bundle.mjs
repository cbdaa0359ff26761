// Bundles weir's compiled runtime into a few ESM chunks (esbuild code splitting).
// Loading ~100 small modules costs every worker thread ~100+ ms at start-up;
// a handful of chunks costs a fraction. tsc still emits dist/ for the types
// (and for the tests' source maps); the package's exports point here.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const result = await build({
  entryPoints: {
    weir: 'runtime/index.ts',
    testing: 'runtime/testing/index.ts',
    'worker-entry': 'runtime/host/worker-entry.ts',
    // weir/testing's worker side of its fault injector: workers import it by path (never the runtime itself).
    'testing-worker': 'runtime/testing/worker-injector.ts',
    cli: 'runtime/cli/entry.ts',
  },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
  metafile: true,
});

// Chunk names are content hashes: remove the chunks earlier builds left (after writing the new
// ones, so a process that is loading the bundle meanwhile still finds its files).
const keep = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(f)));
for (const f of readdirSync('dist/bundle')) {
  const full = path.resolve('dist/bundle', f);
  if (!keep.has(full)) rmSync(full, { force: true });
}

// The dashboard: one browser script with uPlot bundled in, its CSS (uPlot's and ours) and the page,
// into dist/dashboard/ (shipped with dist/; served by runtime/http/assets.ts; no CDN).
mkdirSync('dist/dashboard', { recursive: true });
await build({
  entryPoints: { app: 'runtime/http/dashboard/client/app.ts' },
  outdir: 'dist/dashboard',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('runtime/http/dashboard/client/index.html', 'dist/dashboard/index.html');
