// Bundles weir's compiled runtime into a few ESM chunks (esbuild code splitting).
// Loading ~100 small modules costs every worker thread ~100+ ms at start-up;
// a handful of chunks costs a fraction. tsc still emits dist/ for the types
// (and for the tests' source maps); the package's exports point here.
import { build } from 'esbuild';

await build({
  entryPoints: {
    weir: 'runtime/index.ts',
    testing: 'runtime/testing/index.ts',
    'worker-entry': 'runtime/host/worker-entry.ts',
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
});
