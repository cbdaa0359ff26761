/**
 * A whole `weir run` process killed with SIGKILL (power loss on a gateway):
 * the rerun of the same command (same job id and file state) resumes from the
 * last completed checkpoint and the committed output of the two runs together
 * equals the fault-free output exactly. The kill lands while records flow, so
 * the sink has uncommitted (in-progress or pending) output that the rerun
 * must discard and replay once, and positions/counts that must come from the
 * checkpoint, not from the beginning.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../../../runtime/channel/codec.js';
import { blobFileName } from '../../../runtime/checkpoint/storage/file-backend.js';
import { CLI, cleanupDirs, committed, committedCheckpointIds, diffSummary, expectedLines, fixture, prefixProblems, spawnNode, tmp, waitFor } from './helpers.js';

/** Records the rerun emits beyond the last checkpoint's positions (the killed run's input outlasts the test). */
const COUNT = 4000;
const KEYS = 7;

describe('kill -9 of the CLI process, then rerun', () => {
  afterAll(() => cleanupDirs());

  it('resumes from the last checkpoint and commits the exact output', { timeout: 90_000 }, async () => {
    const dir = tmp('weir-ft-kill-');
    const out = path.join(dir, 'out');
    const state = path.join(dir, 'state');
    const job = `ft-kill-${process.pid}-${Date.now()}`;
    const cfg = { count: 100_000_000, keys: KEYS, rate: 2000, dir: out, faults: [] };
    const args = [CLI, 'run', fixture('keyed-count-eo.ts'), '--workers', '2', '--parallelism', '2', '--state', `file:${state}`, '--job-id', job, '--checkpoint-interval', '100', '--no-status'];

    const first = spawnNode(args, { WEIR_EO: JSON.stringify(cfg) });
    // Kill once the job is well under way: three checkpoints and some output committed.
    await waitFor(async () => committedCheckpointIds(state, job).length >= 3 && (await committed(out)).length > 0, 'three committed checkpoints and output', 45_000);
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    const before = await committed(out);
    expect(prefixProblems(before), 'committed output of the killed run').toEqual([]);
    const lastBeforeRerun = Math.max(...committedCheckpointIds(state, job));
    // The rerun's input ends COUNT records after the generators' positions in that checkpoint.
    const next = (b: string) => (decodeSnapshot(readFileSync(path.join(state, job, `chk-${lastBeforeRerun}`, blobFileName(b)))) as { src: { next: number } }).src.next;
    const total = Math.max(next('in/0'), next('in/1')) + COUNT;

    const second = await spawnNode(args, { WEIR_EO: JSON.stringify({ ...cfg, count: total, rate: undefined }) }, 60_000).exited;
    expect(second.code, second.stderr).toBe(0);
    const resumed = new RegExp(`resuming job '${job}' from checkpoint (\\d+)`).exec(second.stderr);
    expect(resumed, `stderr of the rerun:\n${second.stderr}`).not.toBeNull();
    expect(Number(resumed![1])).toBe(lastBeforeRerun);

    const lines = await committed(out);
    const want = expectedLines(total, KEYS);
    expect(diffSummary(lines, want)).toEqual({ missing: 0, extra: 0, duplicated: 0, examples: [] });
    expect(lines).toEqual(want);
  });
});
