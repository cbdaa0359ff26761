/**
 * machine() on real worker threads with a real fault: a worker thread dies
 * while key 'b' has its 2 s 'after' pending; after the restore from the
 * checkpoint the delayed transition still fires, exactly once.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runThreads } from '../../runtime/testing/index.js';
import type { Rec } from '../fixtures/machine-job.js';

const MODULE = fileURLToPath(new URL('../fixtures/machine-job.ts', import.meta.url));

describe('machine() on real threads', () => {
  it('a pending after() survives a worker crash and fires once after restore', async () => {
    // 'b' reads once at the start; 'a' reads all along (~5 s at 200 records/s) so the job outlives b's 2 s timer.
    const input: Rec[] = [{ key: 'b', e: { type: 'reading', t: 20 } }];
    for (let i = 0; i < 1000; i++) input.push({ key: 'a', e: { type: 'reading', t: 20 } });
    for (const worker of [0, 1]) {
      const r = await runThreads(MODULE, {
        inputs: { in: input },
        inputRatePerSec: 200,
        workers: 2,
        parallelism: 2,
        checkpointInterval: 100,
        faults: [{ kind: 'worker-crash', worker, atMs: 600 }],
      });
      expect(r.error).toBeUndefined();
      expect(r.restarts).toBeGreaterThan(0);
      const b = (r.outputs.out as { key: string; kind: string; from?: unknown; to?: unknown }[]).filter((o) => o.key === 'b' && o.kind === 'transition');
      expect(b.map((o) => `${String(o.from)}->${String(o.to)}`)).toEqual(['normal->silent']);
    }
  }, 180_000);
});
