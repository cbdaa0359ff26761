/**
 * Rescaling through a savepoint: a job stopped with stop({ savepoint: true })
 * mid-run and restarted from that savepoint at another parallelism continues
 * exactly: keyed counts move to the instances that own their key groups now,
 * generator positions are redistributed so every index is emitted once, and
 * the file sink's committed output of both runs together equals the
 * fault-free output.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { cleanupDirs, committed, configure, diffSummary, expectedLines, fixture, generatorPosition, prefixProblems, tmp, waitFor } from './helpers.js';

/** Records the second run emits past the savepoint's positions (the first run's input outlasts the test). */
const COUNT = 4000;
const KEYS = 11;
const JOB = fixture('keyed-count-eo.ts');

async function rescale(from: number, to: number): Promise<void> {
  const dir = tmp(`weir-ft-rescale-${from}-${to}-`);
  const out = path.join(dir, 'out');
  const stateDir = path.join(dir, 'state');
  const common = {
    state: `file:${stateDir}`,
    jobId: `ft-rescale-${from}-${to}`,
    checkpointInterval: 100,
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 2000,
    metricsIntervalMs: 0,
    logLevel: 'error',
  };
  const cfg = { count: 100_000_000, keys: KEYS, rate: 2000, dir: out, faults: [] };
  configure(cfg);

  const first = run(JOB, { ...common, workers: 2, parallelism: from });
  await waitFor(async () => (await committed(out)).length >= 600, 'committed output of the first run', 30_000);
  const r1 = await first.stop({ savepoint: true });
  expect(r1.stopped).toBe(true);
  expect(r1.checkpoint?.kind).toBe('savepoint');
  const savepoint = r1.checkpoint!.id;

  const partial = await committed(out);
  expect(prefixProblems(partial), 'committed output at the savepoint').toEqual([]);
  const total = generatorPosition(stateDir, common.jobId, savepoint) + COUNT;
  configure({ ...cfg, count: total, rate: undefined });

  const r2 = await run(JOB, { ...common, workers: 2, parallelism: to, fromSavepoint: savepoint }).done;
  expect(r2.resumedFrom).toBe(savepoint);
  expect(r2.checkpoint?.kind).toBe('final');
  const lines = await committed(out);
  const want = expectedLines(total, KEYS);
  expect(diffSummary(lines, want)).toEqual({ missing: 0, extra: 0, duplicated: 0, examples: [] });
  expect(lines).toEqual(want);
}

describe('rescale from a savepoint', () => {
  afterAll(() => {
    delete process.env.WEIR_EO;
    cleanupDirs();
  });

  it('parallelism 2 -> 3: keyed counts continue exactly', { timeout: 60_000 }, () => rescale(2, 3));
  it('parallelism 3 -> 1: keyed counts continue exactly', { timeout: 60_000 }, () => rescale(3, 1));
});
