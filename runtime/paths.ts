/** Locations inside the weir package, valid both from source (tests) and from dist. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name === 'weir') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('bug: weir package root not found');
    dir = up;
  }
}

export const PACKAGE_ROOT = packageRoot();

/** The bundled worker entry; workers always run weir's compiled, bundled JS (see build-bundle.mjs). */
export const WORKER_ENTRY = path.join(PACKAGE_ROOT, 'dist', 'bundle', 'worker-entry.js');
