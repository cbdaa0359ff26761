/**
 * Restart strategy escalation: a user function that fails on every attempt
 * (the fault has no marker, so it fires again after each restart) exhausts
 * { maxRestarts: 2 }; the job rejects with RESTARTS_EXHAUSTED naming the
 * operator, and the state backend still holds the last completed checkpoint,
 * intact (with repeatedFailure: 'restart': by default a record that fails
 * again right after a restart from the same checkpoint stops the job at once,
 * see deterministic-failure.test.ts). A rerun of the same job id without the fault resumes from exactly
 * that checkpoint and the committed output is the fault-free output.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { createBackend } from '../../../runtime/checkpoint/storage/create-backend.js';
import { loadCheckpoint } from '../../../runtime/checkpoint/storage/restore.js';
import { decodeSnapshot } from '../../../runtime/channel/codec.js';
import { cleanupDirs, committed, committedCheckpointIds, configure, diffSummary, expectedLines, fixture, prefixProblems, tmp, waitFor } from './helpers.js';

/** Records the rerun emits beyond the kept checkpoint's positions. */
const COUNT = 3000;
const KEYS = 7;
const JOB = fixture('keyed-count-eo.ts');

describe('restart strategy escalation', () => {
  afterAll(() => {
    delete process.env.WEIR_EO;
    cleanupDirs();
  });

  it('a fault on every attempt exhausts maxRestarts; the last checkpoint is kept and a rerun resumes from it exactly', { timeout: 60_000 }, async () => {
    const dir = tmp('weir-ft-escalate-');
    const out = path.join(dir, 'out');
    const stateDir = path.join(dir, 'state');
    const jobId = `ft-escalate-${process.pid}`;
    const options = {
      workers: 2,
      parallelism: 2,
      state: `file:${stateDir}`,
      jobId,
      checkpointInterval: 100,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 2000,
      metricsIntervalMs: 0,
      logLevel: 'silent',
    };
    // Input that outlasts the test; the fault is armed once checkpoints and output are committed (a
    // condition, not a time), then fires on every record of instance 0 of 'inject', every attempt.
    const armed = path.join(dir, 'armed');
    configure({ count: 100_000_000, keys: KEYS, rate: 2000, dir: out, faults: [{ kind: 'throw', at: 1, armed }] });
    const done = run(JOB, { ...options, restart: { maxRestarts: 2, withinMs: 60_000, backoff: { initialMs: 10, maxMs: 50 }, repeatedFailure: 'restart' } }).done.then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; cause?: Error & { code?: string } },
    );
    await waitFor(async () => committedCheckpointIds(stateDir, jobId).length >= 2 && (await committed(out)).length > 0, 'two checkpoints and committed output', 45_000);
    writeFileSync(armed, '');
    const err = await done;
    expect(err, 'the job must fail').toBeDefined();
    expect(err!.code).toBe('RESTARTS_EXHAUSTED');
    expect(err!.message).toContain('failed 3 times');
    expect(err!.message).toContain("operator 'inject' (instance 0)");
    expect(err!.message).toContain('injected failure at record');
    expect(err!.cause?.code).toBe('USER_FUNCTION_FAILED');
    const kept = /its last checkpoint (\d+) kept/.exec(err!.message);
    expect(kept, err!.message).not.toBeNull();
    const keptId = Number(kept![1]);

    // The backend still holds it, newest, complete and verifiable.
    const backend = createBackend(`file:${stateDir}`);
    let resumeAt = 0;
    try {
      const metas = await backend.list(jobId);
      expect(metas.length).toBeGreaterThan(0);
      expect(metas[0].id).toBe(keptId);
      expect(metas[0].kind).toBe('checkpoint');
      const restored = await loadCheckpoint(backend, jobId, keptId);
      expect([...restored.blobs.keys()].sort()).toEqual(Object.keys(metas[0].blobs).sort());
      expect(restored.blobs.has('count/0') && restored.blobs.has('in/0')).toBe(true);
      // The generator instances' positions (next index): the rerun emits from there.
      resumeAt = Math.max(...['in/0', 'in/1'].map((b) => (decodeSnapshot(restored.blobs.get(b)!) as { src: { next: number } }).src.next));
    } finally {
      await backend.close();
    }

    // What the failed job committed is consistent (nothing after the failures leaked).
    const partial = await committed(out);
    expect(partial.length).toBeGreaterThan(0);
    expect(prefixProblems(partial)).toEqual([]);

    // Fixed and rerun (bounded now): resumes from the kept checkpoint, exactly once overall.
    const total = resumeAt + COUNT;
    configure({ count: total, keys: KEYS, dir: out, faults: [] });
    const r = await run(JOB, options).done;
    expect(r.resumedFrom).toBe(keptId);
    expect(r.restarts).toBe(0);
    const lines = await committed(out);
    const want = expectedLines(total, KEYS);
    expect(diffSummary(lines, want)).toEqual({ missing: 0, extra: 0, duplicated: 0, examples: [] });
    expect(lines).toEqual(want);
  });
});
