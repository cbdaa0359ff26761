/**
 * A finished job is remembered (runtime/coordinator/job-result.ts). `weir run`
 * killed with SIGKILL at each point of a bounded job's end, then run again
 * with the same command: the committed output of the exactly-once file sink
 * is the input's exactly once (it was written twice before: a rerun after
 * the final checkpoint started afresh). Once the end is recorded, a rerun
 * refuses, naming when the job finished, its final checkpoint and --fresh;
 * with --fresh it runs again.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanupDirs, committed, committedCheckpointIds, diffSummary, expectedLines, fixture, spawnNode, tmp } from './helpers.js';

const COUNT = 3000;
const KEYS = 7;
const EXACT = { missing: 0, extra: 0, duplicated: 0, examples: [] };

/** `interval`: 0 = no checkpoint but the final one, which then holds all the output still to commit. */
function setup(killAt: string, interval = 0) {
  const dir = tmp('weir-ft-end-');
  const out = path.join(dir, 'out');
  const state = path.join(dir, 'state');
  const job = `ft-end-${process.pid}-${Date.now()}`;
  const cfg = { count: COUNT, keys: KEYS, rate: 4000, dir: out, checkpoints: path.join(state, job) };
  const args = (...extra: string[]) => [CLI, 'run', fixture('kill-near-end.ts'), '--workers', '2', '--parallelism', '2', '--state', `file:${state}`, '--job-id', job, '--checkpoint-interval', String(interval), '--no-status', ...extra];
  const env = (k?: string) => ({ WEIR_EO: JSON.stringify({ ...cfg, killAt: k }) });
  return { out, state, job, args, killed: () => spawnNode(args(), env(killAt)).exited, plain: (...extra: string[]) => spawnNode(args(...extra), env()).exited };
}

/** The rerun that refuses: exit 1, a message naming the finish time, the final checkpoint and --fresh; nothing written. */
async function expectRefusal(s: ReturnType<typeof setup>, finalId: number): Promise<void> {
  const before = await committed(s.out);
  const r = await s.plain();
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`job '${s.job}' already finished at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: its sources ended and its final checkpoint ${finalId} is committed`));
  expect(r.stderr).toContain('Fix: pass --fresh');
  expect(await committed(s.out)).toEqual(before);
}

describe('kill -9 of the CLI near the end of a bounded job, then rerun', () => {
  afterAll(() => cleanupDirs());

  it.each([
    // Periodic checkpoints: the rerun resumes from the last one committed (if one committed before
    // the end on a slow machine; else it starts afresh) and replays the rest.
    ['final-snapshot', 100, 'resume', true],
    // Only the final checkpoint: it holds every record's pending output.
    ['before-final-commit', 0, /had finished \(final checkpoint \d+\) but its end was not recorded/, true],
    // One sink instance committed (the other may have too).
    ['after-final-commit', 0, /had finished \(final checkpoint \d+\) but its end was not recorded/, false],
  ])('killed at %s (checkpoint interval %i): the rerun commits the exact output once, then the job counts as finished', { timeout: 120_000 }, async (point, interval, rerunLog, partial) => {
    const s = setup(point, interval);
    const first = await s.killed();
    expect(first.signal, `the kill point '${point}' must be reached; stderr:\n${first.stderr}`).toBe('SIGKILL');
    if (partial) expect(diffSummary(await committed(s.out), expectedLines(COUNT, KEYS)).missing, 'the kill lands before all output is committed').toBeGreaterThan(0);

    const last = committedCheckpointIds(s.state, s.job).pop();
    const second = await s.plain();
    expect(second.code, second.stderr).toBe(0);
    if (rerunLog !== 'resume') expect(second.stderr).toMatch(rerunLog);
    else if (last !== undefined) expect(second.stderr).toContain(`resuming job '${s.job}' from checkpoint ${last}`);
    else expect(second.stderr).not.toContain('resuming job');
    const lines = await committed(s.out);
    expect(diffSummary(lines, expectedLines(COUNT, KEYS))).toEqual(EXACT);
    expect(lines).toEqual(expectedLines(COUNT, KEYS));

    await expectRefusal(s, Math.max(...committedCheckpointIds(s.state, s.job)));
  });

  it('killed after the end was recorded (at close): the rerun refuses; --fresh runs it again', { timeout: 120_000 }, async () => {
    const s = setup('close', 100);
    const first = await s.killed();
    expect(first.signal, first.stderr).toBe('SIGKILL');
    expect(diffSummary(await committed(s.out), expectedLines(COUNT, KEYS))).toEqual(EXACT);

    await expectRefusal(s, Math.max(...committedCheckpointIds(s.state, s.job)));

    const fresh = await s.plain('--fresh');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toContain(`running job '${s.job}' again from scratch (--fresh)`);
    // Again from scratch: every line a second time, the first run's output untouched.
    const twice = [...expectedLines(COUNT, KEYS), ...expectedLines(COUNT, KEYS)].sort();
    expect(await committed(s.out)).toEqual(twice);
    await expectRefusal(s, Math.max(...committedCheckpointIds(s.state, s.job)));
  });
});
