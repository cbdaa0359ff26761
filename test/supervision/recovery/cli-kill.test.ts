/**
 * A whole `weir run` process killed with SIGKILL (power loss on a gateway):
 * the rerun of the same command (same job id and file state) resumes from the
 * last completed checkpoint and the committed output of the two runs together
 * equals the fault-free output exactly. The kill lands while records flow, so
 * the sink has uncommitted (in-progress or pending) output that the rerun
 * must discard and replay once, and positions/counts that must come from the
 * checkpoint, not from the beginning.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanupDirs, committed, committedCheckpointIds, diffSummary, expectedLines, fixture, prefixProblems, spawnNode, tmp, waitFor } from './helpers.js';

const COUNT = 4000;
const KEYS = 7;

describe('kill -9 of the CLI process, then rerun', () => {
  afterAll(() => cleanupDirs());

  it('resumes from the last checkpoint and commits the exact output', { timeout: 90_000 }, async () => {
    const dir = tmp('weir-ft-kill-');
    const out = path.join(dir, 'out');
    const state = path.join(dir, 'state');
    const job = `ft-kill-${process.pid}-${Date.now()}`;
    // ~2 s of input at 2000 records/s.
    const env = { WEIR_EO: JSON.stringify({ count: COUNT, keys: KEYS, rate: 2000, dir: out, faults: [] }) };
    const args = [CLI, 'run', fixture('keyed-count-eo.ts'), '--workers', '2', '--parallelism', '2', '--state', `file:${state}`, '--job-id', job, '--checkpoint-interval', '100', '--no-status'];

    const first = spawnNode(args, env);
    // Kill once the job is well under way: ~1 s after start and at least two checkpoints committed.
    const spawnedAt = performance.now();
    await waitFor(async () => committedCheckpointIds(state, job).length >= 2 && performance.now() - spawnedAt >= 1000, 'two committed checkpoints', 30_000);
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    const before = await committed(out);
    expect(before.length, 'the kill must land mid-run').toBeLessThan(COUNT);
    expect(prefixProblems(before), 'committed output of the killed run').toEqual([]);
    const lastBeforeRerun = Math.max(...committedCheckpointIds(state, job));

    const second = await spawnNode(args, env, 60_000).exited;
    expect(second.code, second.stderr).toBe(0);
    const resumed = new RegExp(`resuming job '${job}' from checkpoint (\\d+)`).exec(second.stderr);
    expect(resumed, `stderr of the rerun:\n${second.stderr}`).not.toBeNull();
    expect(Number(resumed![1])).toBe(lastBeforeRerun);

    const lines = await committed(out);
    const want = expectedLines(COUNT, KEYS);
    expect(diffSummary(lines, want)).toEqual({ missing: 0, extra: 0, duplicated: 0, examples: [] });
    expect(lines).toEqual(want);
  });
});
