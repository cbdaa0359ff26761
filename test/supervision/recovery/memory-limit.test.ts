/**
 * A worker over its memory limit: with workerMemoryMb, V8 stops a worker
 * whose heap outgrows the limit (ERR_WORKER_OUT_OF_MEMORY); the runtime must
 * replace it, restore its regions from the last checkpoint and finish with
 * the exact output. Heartbeats are off, so nothing but the memory limit can
 * stop the runaway operator (test/fixtures/ft-memory-hog.ts), and the fixture
 * writes a `survived` file if it was not stopped. The job runs in a child
 * process so its logs (stderr) show why the worker was replaced.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupDirs, committed, diffSummary, expectedLines, fixture, logMessages, runInChild, tmp } from './helpers.js';

const COUNT = 3000;
const KEYS = 7;

describe('worker over its memory limit', () => {
  afterAll(() => cleanupDirs());

  it('is replaced and the job completes with the exact output', { timeout: 60_000 }, async () => {
    const dir = tmp('weir-ft-hog-');
    const out = path.join(dir, 'out');
    const marker = path.join(dir, 'hog.marker');
    const survived = path.join(dir, 'survived');
    const env = { WEIR_EO: JSON.stringify({ count: COUNT, keys: KEYS, rate: 3000, dir: out, at: 600, marker, survived, capMb: 1024 }) };
    const { result, exit } = await runInChild(
      fixture('ft-memory-hog.ts'),
      {
        workers: 2,
        parallelism: 2,
        state: 'memory',
        jobId: 'ft-hog',
        checkpointInterval: 100,
        heartbeatIntervalMs: 0,
        workerMemoryMb: 64,
        metricsIntervalMs: 0,
        logLevel: 'warn',
        restart: { maxRestarts: 3, backoff: { initialMs: 10 } },
      },
      env,
    );
    expect(existsSync(marker), 'the hog must have started').toBe(true);
    expect(existsSync(survived), 'the memory limit must stop the hog').toBe(false);
    expect(result, exit.stderr.slice(-3000)).toMatchObject({ ok: true, checkpoint: { kind: 'final' } });
    expect(result.restarts).toBeGreaterThanOrEqual(1);
    const warnings = logMessages(exit.stderr);
    expect(warnings.some((m) => /worker \d ran out of memory \(resourceLimits\)/.test(m)), warnings.join('\n')).toBe(true);

    const lines = await committed(out);
    const want = expectedLines(COUNT, KEYS);
    expect(diffSummary(lines, want)).toEqual({ missing: 0, extra: 0, duplicated: 0, examples: [] });
    expect(lines).toEqual(want);
  });
});
