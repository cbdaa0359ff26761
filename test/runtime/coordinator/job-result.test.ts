/**
 * A finished job is remembered (runtime/coordinator/job-result.ts), through
 * run(): a job with an exactly-once sink whose sources ended refuses a rerun
 * with the same job id and state (memory object, file, Redis), naming when it
 * finished, its final checkpoint and the fix; `fresh: true` runs it again; a
 * job with only at-least-once sinks runs again as before. Process kills near
 * the end are in test/supervision/recovery/cli-kill-at-end.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, file, generator, run, topology } from 'weir';
import type { StateBackend } from '../../../runtime/checkpoint/storage/backend.js';
import { memoryBackend } from '../../../runtime/checkpoint/storage/memory-backend.js';
import { redisBackend } from '../../../runtime/checkpoint/storage/redis-backend.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'weir-job-result-'));
  dirs.push(d);
  return d;
};
const N = 500;
const lines = Array.from({ length: N }, (_, i) => `r${i}`).sort();

const toFile = (dir: string) => topology('to-file', (t) => t.source('in', generator({ count: N, value: (i) => `r${i}` })).sink('out', file.sink(dir)));
const opts = (state: string | StateBackend, jobId: string) => ({ workers: 0, state, jobId, checkpointInterval: 0, metricsIntervalMs: 0, logLevel: 'silent' }) as const;
const unique = (p: string) => `${p}-${process.pid}-${Date.now()}`;
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e) => e);

describe('a finished job is remembered', () => {
  afterAll(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.each([
    ['a memory backend object', () => memoryBackend()],
    ['file state', () => `file:${tmp()}`],
    ['Redis state (127.0.0.1:6379)', () => redisBackend('redis://127.0.0.1:6379/0')],
  ] as const)('with %s: a rerun refuses and writes nothing; fresh: true runs it again', async (_name, makeState) => {
    const state = makeState();
    const out = path.join(tmp(), 'out');
    const jobId = unique('finished');
    try {
      const first = await run(toFile(out), opts(state, jobId)).done;
      expect(first.checkpoint?.kind).toBe('final');
      expect((await file.readCommitted(out)).sort()).toEqual(lines);

      const err = await failure(run(toFile(out), opts(state, jobId)).done);
      expect(err).toMatchObject({ code: 'JOB_FINISHED', context: { job: jobId, checkpoint: first.checkpoint!.id } });
      expect(err.message).toMatch(new RegExp(`^job '${jobId}' already finished at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: its sources ended and its final checkpoint ${first.checkpoint!.id} is committed`));
      expect(err.message).toContain('Fix: pass --fresh (run(job, { fresh: true }))');
      expect((await file.readCommitted(out)).sort(), 'the refused rerun wrote nothing').toEqual(lines);

      const again = await run(toFile(out), { ...opts(state, jobId), fresh: true }).done;
      expect(again.resumedFrom).toBeUndefined();
      expect(again.checkpoint!.id, 'checkpoint ids go on increasing').toBeGreaterThan(first.checkpoint!.id);
      expect((await file.readCommitted(out)).sort()).toEqual([...lines, ...lines].sort());
      expect(await failure(run(toFile(out), opts(state, jobId)).done)).toMatchObject({ code: 'JOB_FINISHED', context: { checkpoint: again.checkpoint!.id } });
    } finally {
      if (typeof state !== 'string') {
        await state.clear(jobId);
        await state.close();
      }
    }
  });

  it('a job with only at-least-once sinks runs again from scratch, as before', async () => {
    const state = memoryBackend();
    const job = topology('to-collect', (t) => t.source('in', generator({ count: N, value: (i) => `r${i}` })).sink('out', collect()));
    const first = await run(job, opts(state, 'collect-twice')).done;
    const second = await run(job, opts(state, 'collect-twice')).done;
    expect(second.resumedFrom).toBeUndefined();
    expect([...second.outputs.out].sort()).toEqual([...first.outputs.out].sort());
    expect(second.outputs.out).toHaveLength(N);
  });

  it('fresh must be a boolean', async () => {
    const err = await failure(run(toFile(path.join(tmp(), 'out')), { ...opts('memory', 'bad-fresh'), fresh: 'yes' as unknown as boolean }).done);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('fresh is yes. Fix: give true') });
  });
});
