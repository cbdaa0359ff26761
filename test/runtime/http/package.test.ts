// The dashboard ships in the npm package and is found from the bundle that
// the package's entry points load (checked by `npm pack --dry-run`, no network).
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DashboardAssets, dashboardDir } from '../../../runtime/http/assets.js';

const root = path.resolve(new URL('../../../', import.meta.url).pathname);

describe('dashboard assets in the package', () => {
  it('npm pack includes dist/dashboard/{index.html,app.js,app.css}', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    for (const f of ['dist/dashboard/index.html', 'dist/dashboard/app.js', 'dist/dashboard/app.css', 'dist/bundle/weir.js']) expect(files).toContain(f);
  });

  it('found from dist/bundle (the package), dist/runtime (tsc output) and runtime/ (sources)', () => {
    const want = path.join(root, 'dist', 'dashboard');
    for (const from of ['dist/bundle/chunk-X.js', 'dist/runtime/http/assets.js', 'runtime/http/assets.ts']) {
      expect(dashboardDir(pathToFileURL(path.join(root, from)).href)).toBe(want);
    }
    const a = new DashboardAssets(want);
    const js = a.get('app.js')!;
    expect(js.type).toMatch(/javascript/);
    // uPlot is bundled in, not fetched from a CDN.
    expect(js.body.toString()).toContain('uplot');
    const html = a.get('index.html')!.body.toString();
    expect(html).not.toMatch(/https?:\/\//);
    expect(a.get('app.css')!.body.toString()).toContain('.uplot');
  });
});
