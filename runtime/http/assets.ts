/**
 * The dashboard's static files: built by runtime/build-bundle.mjs into
 * dist/dashboard/ (index.html, app.js with uPlot bundled in, app.css) and
 * shipped in the npm package with dist/. Found relative to this module,
 * whether it runs from dist/bundle (the package), dist/runtime (tsc output)
 * or runtime/ (sources under test).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ASSET_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

export function dashboardDir(from = import.meta.url): string | undefined {
  let d = path.dirname(fileURLToPath(from));
  for (let i = 0; i < 5; i++) {
    for (const c of [path.join(d, 'dashboard'), path.join(d, 'dist', 'dashboard')]) if (existsSync(path.join(c, 'index.html'))) return c;
    d = path.dirname(d);
  }
  return undefined;
}

/** The dashboard's files, read once (they are small and never change while the job runs). */
export class DashboardAssets {
  private readonly files = new Map<string, Buffer>();
  readonly dir: string | undefined;

  constructor(dir = dashboardDir()) {
    this.dir = dir;
    if (!dir) return;
    for (const f of Object.keys(ASSET_TYPES)) {
      const p = path.join(dir, f);
      if (existsSync(p)) this.files.set(f, readFileSync(p));
    }
  }

  get(name: string): { body: Buffer; type: string } | undefined {
    const body = this.files.get(name);
    return body && { body, type: ASSET_TYPES[name] };
  }
}
