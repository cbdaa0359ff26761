/**
 * A sink writer with `commitsConcurrently` keeps taking barriers (snapshots)
 * while a slow commit runs; without it every writer call is serialized, so a
 * slow commit holds back the next barrier. Commits stay in order and never
 * overlap each other either way.
 */
import { describe, expect, it } from 'vitest';
import { generator, run, topology, type SinkConnector } from 'weir';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function slowCommitSink(concurrent: boolean, log: string[]): SinkConnector<number> {
  return {
    role: 'sink',
    type: 'slow-commit',
    guarantee: 'exactly-once',
    open: () => ({
      commitsConcurrently: concurrent,
      write() {},
      snapshot(n: number) {
        log.push(`snapshot ${n}`);
        return null;
      },
      async commit(n: number) {
        log.push(`commit ${n} start`);
        await sleep(150);
        log.push(`commit ${n} end`);
      },
    }),
  };
}

async function runWith(concurrent: boolean): Promise<string[]> {
  const log: string[] = [];
  const job = topology(`slow-commit-${concurrent}`, (t) => t.source('in', generator({ count: 1500, ratePerSec: 1500, value: (i) => i })).sink('out', slowCommitSink(concurrent, log)));
  await run(job, { workers: 0, state: 'memory', checkpointInterval: 100, logLevel: 'silent' }).done;
  return log;
}

/** Snapshots taken while some commit was running. */
function snapshotsDuringCommits(log: string[]): number {
  let running = 0;
  let during = 0;
  for (const line of log) {
    if (line.endsWith(' start')) running++;
    else if (line.endsWith(' end')) running--;
    else if (running > 0) during++;
  }
  return during;
}

function expectOrderedCommits(log: string[]): void {
  const commits = log.filter((l) => l.startsWith('commit'));
  for (let i = 0; i < commits.length; i += 2) {
    const [start, end] = [commits[i], commits[i + 1]];
    expect(start).toMatch(/ start$/);
    expect(end).toBe(start.replace(' start', ' end'));
  }
  const ids = commits.filter((l) => l.endsWith(' start')).map((l) => Number(l.split(' ')[1]));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(ids.length).toBeGreaterThan(1);
}

describe('sink commits beside snapshots', () => {
  it('commitsConcurrently: barriers go on while a commit runs', { timeout: 30_000 }, async () => {
    const log = await runWith(true);
    expectOrderedCommits(log);
    expect(snapshotsDuringCommits(log)).toBeGreaterThan(0);
  });

  it('default: a commit holds back the next snapshot', { timeout: 30_000 }, async () => {
    const log = await runWith(false);
    expectOrderedCommits(log);
    expect(snapshotsDuringCommits(log)).toBe(0);
  });

  it('commitsConcurrently: commits queued behind a slow one are coalesced into one, none lost', { timeout: 30_000 }, async () => {
    const log = await runWith(true);
    const snapshots = log.filter((l) => l.startsWith('snapshot')).map((l) => Number(l.split(' ')[1]));
    const commits = log.filter((l) => l.startsWith('commit') && l.endsWith(' start')).map((l) => Number(l.split(' ')[1]));
    console.log(`${snapshots.length} snapshots, ${commits.length} commit calls: ${commits.join(' ')}`);
    // Each call covers a later checkpoint than the one before (a covered one is not called again) ...
    for (let i = 1; i < commits.length; i++) expect(commits[i]).toBeGreaterThan(commits[i - 1]);
    // ... and with 150 ms commits and 100 ms checkpoints, some call skips ids: it covered a backlog.
    expect(commits.some((c, i) => i > 0 && c > commits[i - 1] + 1), 'a commit covered more than one checkpoint').toBe(true);
    // The last commit covers every snapshot (the final checkpoint's included): no epoch is left uncommitted.
    expect(commits[commits.length - 1]).toBeGreaterThanOrEqual(Math.max(...snapshots));
  });
});
