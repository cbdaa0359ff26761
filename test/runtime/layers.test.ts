/**
 * The layer rules of docs/supervision.md and the README, checked on the
 * source: no production file imports weir/testing (fault injection reaches
 * the runtime only through RunOptions.injector), and supervision/ imports
 * only actors/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

function imports(file: string): string[] {
  const src = readFileSync(path.join(root, file), 'utf8');
  return [...src.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => path.normalize(path.join(path.dirname(file), m[1] ?? m[2])));
}

describe('layers', () => {
  it('no production file imports runtime/testing', () => {
    const production = [...files('runtime'), ...files('supervision'), ...files('actors'), ...files('connectors')].filter((f) => !f.startsWith(path.join('runtime', 'testing')));
    expect(production.length).toBeGreaterThan(50);
    const bad = production.flatMap((f) => imports(f).filter((i) => i.startsWith(path.join('runtime', 'testing'))).map((i) => `${f} -> ${i}`));
    expect(bad).toEqual([]);
  });

  it('supervision/ imports only actors/ (and itself)', () => {
    const sup = files('supervision');
    expect(sup).toContain(path.join('supervision', 'supervisor.ts'));
    const bad = sup.flatMap((f) => imports(f).filter((i) => i.startsWith('.') || !(i.startsWith('actors') || i.startsWith('supervision'))).map((i) => `${f} -> ${i}`));
    expect(bad).toEqual([]);
  });
});
