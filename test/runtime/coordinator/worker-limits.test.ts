// Tests runtime/coordinator/worker-limits.ts and its use: the young-generation cap of worker threads
// (option and environment), and that a worker the plan gives no actor does not import the job.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { ConfigError } from '../../../actors/errors.js';
import { resolveOptions } from '../../../runtime/coordinator/options.js';
import { sameLimits, workerResourceLimits, youngMbFromEnv } from '../../../runtime/coordinator/worker-limits.js';

const fixture = fileURLToPath(new URL('../../fixtures/thread-probe.ts', import.meta.url));
const ENV = ['WEIR_WORKER_YOUNG_MB', 'WEIR_TEST_LOAD_LOG', 'WEIR_TEST_PARALLELISM'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('worker resource limits', () => {
  it('reads WEIR_WORKER_YOUNG_MB: unset, an integer in range, or invalid (NaN)', () => {
    expect(youngMbFromEnv({})).toBeUndefined();
    expect(youngMbFromEnv({ WEIR_WORKER_YOUNG_MB: '' })).toBeUndefined();
    expect(youngMbFromEnv({ WEIR_WORKER_YOUNG_MB: '0' })).toBe(0);
    expect(youngMbFromEnv({ WEIR_WORKER_YOUNG_MB: '6' })).toBe(6);
    for (const bad of ['-1', '2.5', 'six', '1025']) expect(youngMbFromEnv({ WEIR_WORKER_YOUNG_MB: bad })).toBeNaN();
  });

  it('builds resourceLimits only for what is capped, and compares them', () => {
    expect(workerResourceLimits(0)).toBeUndefined();
    expect(workerResourceLimits(6)).toEqual({ maxYoungGenerationSizeMb: 6 });
    expect(workerResourceLimits(0, 64)).toEqual({ maxOldGenerationSizeMb: 64 });
    expect(sameLimits(undefined, workerResourceLimits(0))).toBe(true);
    expect(sameLimits(workerResourceLimits(6), { maxYoungGenerationSizeMb: 6 })).toBe(true);
    expect(sameLimits(workerResourceLimits(6), undefined)).toBe(false);
    expect(sameLimits(workerResourceLimits(6, 64), workerResourceLimits(6))).toBe(false);
  });

  it('resolves the option, else the environment, else 0; bad values name the setting and the fix', () => {
    delete process.env.WEIR_WORKER_YOUNG_MB;
    expect(resolveOptions({}).workerYoungGenerationMb).toBe(0);
    process.env.WEIR_WORKER_YOUNG_MB = '8';
    expect(resolveOptions({}).workerYoungGenerationMb).toBe(8);
    expect(resolveOptions({ workerYoungGenerationMb: 4 }).workerYoungGenerationMb).toBe(4);
    expect(() => resolveOptions({ workerYoungGenerationMb: 2.5 })).toThrow(/workerYoungGenerationMb is 2.5. Fix: give an integer from 0 to 1024/);
    process.env.WEIR_WORKER_YOUNG_MB = 'lots';
    expect(() => resolveOptions({})).toThrow(ConfigError);
    expect(() => resolveOptions({})).toThrow(/WEIR_WORKER_YOUNG_MB is "lots". Fix: set it to an integer from 0 to 1024/);
  });

  it('a bad WEIR_WORKER_YOUNG_MB stops run() before anything runs, naming the fix', async () => {
    process.env.WEIR_WORKER_YOUNG_MB = '-3';
    const err = await run(fixture, { workers: 1 }).done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/WEIR_WORKER_YOUNG_MB is "-3". Fix/);
  });

  it('gives every worker the cap asked for, on real threads', async () => {
    process.env.WEIR_TEST_PARALLELISM = '2';
    const capped = await run(fixture, { workers: 2, parallelism: 2, metricsIntervalMs: 0, workerYoungGenerationMb: 3 }).done;
    expect(capped.outputs.out).toEqual([3, 3, 3, 3]);
    process.env.WEIR_WORKER_YOUNG_MB = '5';
    const fromEnv = await run(fixture, { workers: 2, parallelism: 2, metricsIntervalMs: 0 }).done;
    expect(fromEnv.outputs.out).toEqual([5, 5, 5, 5]);
  });
});

describe('a worker with no actor', () => {
  it('does not import the job; the workers that host actors do', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weir-thread-probe-'));
    try {
      const loads = async (parallelism: number): Promise<number[]> => {
        const log = path.join(dir, `loads-${parallelism}`);
        process.env.WEIR_TEST_LOAD_LOG = log;
        process.env.WEIR_TEST_PARALLELISM = String(parallelism);
        const r = await run(fixture, { workers: 2, metricsIntervalMs: 0 }).done;
        expect(r.outputs.out).toHaveLength(4);
        return readFileSync(log, 'utf8').trim().split('\n').map(Number);
      };
      // The coordinator (this test's thread) imports the job once per run; so does each worker hosting actors.
      const one = await loads(1);
      expect(one.filter((id) => id !== one[0])).toHaveLength(1);
      const two = await loads(2);
      expect(new Set(two.filter((id) => id !== two[0])).size).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
