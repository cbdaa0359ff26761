/**
 * The corrupt-checkpoint scenario shared by corrupt-checkpoint.test.ts (what
 * works today) and corrupt-fallback-exact.test.ts (exactly-once across the
 * fallback, which does not):
 *
 * 1. keyed-count-eo.ts runs with file state and is stopped mid-run
 *    (stop() writes a last checkpoint N of kind 'checkpoint', so a rerun of
 *    the job id resumes). Its input outlasts the test, so the stop lands
 *    mid-run however slow the machine; the rerun's input ends `COUNT`
 *    records after checkpoint N's positions (`total`);
 * 2. bytes of one blob of checkpoint N (the keyed counts of 'count' instance
 *    0) are flipped on disk: <state>/<job>/chk-N/count%2F0;
 * 3. the job is rerun (in a child process, to read its logs): it must detect
 *    the damage (sha256), warn, fall back to the previous checkpoint P and
 *    finish.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { run } from 'weir';
import { decodeSnapshot } from '../../../runtime/channel/codec.js';
import { blobFileName } from '../../../runtime/checkpoint/storage/file-backend.js';
import { committed, committedCheckpointIds, configure, fixture, logMessages, prefixProblems, runInChild, tmp, waitFor, type ChildResult } from './helpers.js';

/** Records the rerun emits beyond the stopped run's last positions. */
export const COUNT = 3000;
export const KEYS = 7;

export interface CorruptOutcome {
  jobId: string;
  damaged: number;
  /** Records in all: the rerun's input ends there. */
  total: number;
  previous: number;
  /** Committed lines after the first (stopped) run, sorted. */
  beforeRerun: string[];
  /** Committed lines after the rerun, sorted. */
  lines: string[];
  rerun: ChildResult;
  warnings: string[];
  stderr: string;
}

export async function corruptNewestAndRerun(): Promise<CorruptOutcome> {
  const dir = tmp('weir-ft-corrupt-');
  const out = path.join(dir, 'out');
  const stateDir = path.join(dir, 'state');
  const jobId = `ft-corrupt-${process.pid}-${Date.now()}`;
  const cfg = { count: 100_000_000, keys: KEYS, rate: 2000, dir: out, faults: [] };
  const options = {
    workers: 2,
    parallelism: 2,
    state: `file:${stateDir}`,
    jobId,
    checkpointInterval: 100,
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 2000,
    metricsIntervalMs: 0,
    logLevel: 'warn',
  };
  configure(cfg);

  const first = run(fixture('keyed-count-eo.ts'), { ...options, logLevel: 'error' });
  await waitFor(async () => committedCheckpointIds(stateDir, jobId).length >= 3 && (await committed(out)).length >= 300, 'three checkpoints and some committed output', 30_000);
  const r1 = await first.stop();
  expect(r1.checkpoint?.kind).toBe('checkpoint');
  const damaged = r1.checkpoint!.id;
  const ids = committedCheckpointIds(stateDir, jobId);
  expect(Math.max(...ids)).toBe(damaged);
  const previous = Math.max(...ids.filter((id) => id < damaged));
  const beforeRerun = await committed(out);
  expect(prefixProblems(beforeRerun)).toEqual([]);

  // The generator instances' positions (next index) in N: the rerun's input ends COUNT records later.
  const next = (b: string) => (decodeSnapshot(readFileSync(path.join(stateDir, jobId, `chk-${damaged}`, blobFileName(b)))) as { src: { next: number } }).src.next;
  const total = Math.max(next('in/0'), next('in/1')) + COUNT;
  const env = { WEIR_EO: configure({ ...cfg, count: total, rate: undefined }) };

  // Flip bytes of the keyed-state blob of the newest checkpoint (its size is unchanged: only the checksum can tell).
  const blob = path.join(stateDir, jobId, `chk-${damaged}`, blobFileName('count/0'));
  const bytes = readFileSync(blob);
  expect(bytes.length).toBeGreaterThan(4);
  for (const i of [0, bytes.length >> 1, bytes.length - 1]) bytes[i] ^= 0xa5;
  writeFileSync(blob, bytes);

  const { result, exit } = await runInChild(fixture('keyed-count-eo.ts'), options, env);
  return {
    jobId,
    damaged,
    total,
    previous,
    beforeRerun,
    lines: await committed(out),
    rerun: result,
    warnings: logMessages(exit.stderr),
    stderr: exit.stderr,
  };
}
