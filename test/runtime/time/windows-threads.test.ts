/**
 * Windows on real worker threads (test/fixtures/window-eo.ts: event-time
 * tumbling sums per key): exactly-once of window results under real faults
 * (an actor that throws, a worker thread that dies), and rescaling through a
 * savepoint: a job stopped mid-run with open windows and restarted at
 * another parallelism continues them, so both runs' committed results
 * together equal the plain reference exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { file, run } from 'weir';
import { checkExactlyOnce, multisetDiff, threadInjector, type Fault } from 'weir/testing';
import job from '../../fixtures/window-eo.js';

type Reading = { k: string; t: number; v: number };
type Out = { k: string; start: number; end: number; sum: number; n: number };

const MODULE = fileURLToPath(new URL('../../fixtures/window-eo.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  delete process.env.WEIR_WIN_OUT;
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** Readings with timestamps disordered by less than the fixture's outOfOrderness (20 ms). */
function readings(n: number, keys: number, seed: number): Reading[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => ({ k: `d${i % keys}`, t: i * 2 - Math.floor(rnd() * 15), v: 1 + Math.floor(rnd() * 9) }));
}

function reference(input: Reading[]): Out[] {
  const m = new Map<string, Out>();
  for (const r of input) {
    const start = Math.floor(r.t / 50) * 50;
    const id = `${r.k}|${start}`;
    const o = m.get(id) ?? { k: r.k, start, end: start + 50, sum: 0, n: 0 };
    o.sum += r.v;
    o.n++;
    m.set(id, o);
  }
  return [...m.values()];
}

describe('windows on real threads', () => {
  it('window results are exactly-once when an actor throws or a worker dies mid-run', async () => {
    let runs = 0;
    const faults: fc.Arbitrary<Fault[]> = fc.oneof(
      fc.record({ kind: fc.constant('actor-throws' as const), operator: fc.constant('sum'), instance: fc.constant(0), afterRecords: fc.integer({ min: 50, max: 250 }) }),
      fc.record({ kind: fc.constant('worker-crash' as const), worker: fc.integer({ min: 0, max: 1 }), atMs: fc.integer({ min: 100, max: 400 }) }),
    ).map((f) => [f]);
    const input = fc.integer({ min: 1, max: 1000 }).map((seed) => {
      runs++;
      return readings(800, 5, seed);
    });
    await checkExactlyOnce(job, input, { workers: 2, numRuns: 3, threads: { module: MODULE, inputRatePerSec: 1600, parallelism: 2 }, faults });
    expect(runs).toBeGreaterThanOrEqual(3);
  }, 240_000);

  it('rescaling through a savepoint: windows open at the stop continue at the new parallelism', async () => {
    for (const [from, to] of [
      [2, 3],
      [3, 1],
    ]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'weir-win-rescale-'));
      dirs.push(dir);
      const input = readings(1200, 7, from * 10 + to);
      const out = path.join(dir, 'out');
      process.env.WEIR_WIN_OUT = out; // the fixture writes to an exactly-once file sink (workers inherit the environment)
      const common = { state: `file:${path.join(dir, 'state')}`, jobId: `win-rescale-${from}-${to}`, workers: 2, checkpointInterval: 100, metricsIntervalMs: 50, logLevel: 'silent' as const };
      const injector = threadInjector([], { inputs: { in: input }, inputRatePerSec: 1500 });
      const first = run(MODULE, { ...common, parallelism: from, injector });
      // Stop once a part of the input went through (the windows of the rest are still open).
      for (let i = 0; i < 600; i++) {
        const m = first.metrics()?.operators.find((o) => o.operator === 'in');
        if (m && m.recordsOut >= 400) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const r1 = await first.stop({ savepoint: true });
      expect(r1.checkpoint?.kind).toBe('savepoint');
      const part1 = (await file.readCommitted(out)).map((l) => JSON.parse(l) as Out);
      const r2 = await run(MODULE, { ...common, parallelism: to, injector, fromSavepoint: r1.checkpoint!.id }).done;
      expect(r2.resumedFrom).toBe(r1.checkpoint!.id);
      const all = (await file.readCommitted(out)).map((l) => JSON.parse(l) as Out);
      const want = reference(input);
      expect(part1.length, `the stop landed mid-run (${from} -> ${to})`).toBeGreaterThan(0);
      expect(part1.length).toBeLessThan(want.length);
      expect(multisetDiff(all, want, 'equal'), `${from} -> ${to}`).toBe('');
      expect(r2.deadLetters).toEqual([]);
    }
  }, 240_000);
});
