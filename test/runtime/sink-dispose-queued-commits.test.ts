/**
 * A sink whose commits fail slowly (an exactly-once Kafka sink while its
 * broker is down: every commit retries for connectTimeoutMs, then throws)
 * fails its region, and the failover disposes the sink task. Completed
 * checkpoints go on while the first commit is retrying, so several commits
 * are queued behind it by then. Dispose must not run them all first: the
 * restored writer's snapshot carries their epochs and commits them itself.
 *
 * Found with the broker-outage integration test
 * (test/integration/kafka/broker-outage.test.ts): with connectTimeoutMs 2000
 * and a 200 ms checkpoint interval the job failed ~25 s after the broker went
 * down instead of ~5 s, each commit queued during the outage costing another
 * full connect timeout before the region could even restart.
 */
import { describe, expect, it } from 'vitest';
import { generator, run, topology, type SinkConnector } from 'weir';

const COMMIT_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Trace {
  /** Per writer (open order): commits started, and when the first one failed. */
  writers: { started: number[]; firstFailureAt?: number; closedAt?: number }[];
}

/** Commits of the first writer take COMMIT_MS and fail; later writers commit at once. */
function failingCommitSink(trace: Trace): SinkConnector<number> {
  return {
    role: 'sink',
    type: 'failing-commit',
    guarantee: 'exactly-once',
    open: () => {
      const w: Trace['writers'][number] = { started: [] };
      const first = trace.writers.length === 0;
      trace.writers.push(w);
      return {
        commitsConcurrently: true,
        write() {},
        snapshot: () => null,
        async commit() {
          w.started.push(performance.now());
          if (!first) return;
          await sleep(COMMIT_MS);
          w.firstFailureAt ??= performance.now();
          throw new Error('broker unreachable (simulated)');
        },
        close() {
          w.closedAt = performance.now();
        },
      };
    },
  };
}

describe('sink dispose during a failover', () => {
  it('skips commits queued behind a failing one (the restored writer commits their epochs)', { timeout: 30_000 }, async () => {
    const trace: Trace = { writers: [] };
    const job = topology('queued-commits', (t) => t.source('in', generator({ ratePerSec: 2000, value: (i) => i })).sink('out', failingCommitSink(trace)));
    const h = run(job, { workers: 0, state: 'memory', checkpointInterval: 20, logLevel: 'silent', restart: { backoff: { initialMs: 0, jitter: 0 } } });
    try {
      const until = performance.now() + 20_000;
      while (trace.writers.length < 2 && performance.now() < until) await sleep(10);
    } finally {
      await h.stop().catch(() => {});
    }
    expect(trace.writers.length, 'the region restarted with a new writer').toBeGreaterThanOrEqual(2);
    const [old] = trace.writers;
    const failedAt = old.firstFailureAt!;
    // At the failure ~COMMIT_MS / 20 ms = 15 commits are queued. One more may start before the
    // reset disposes the task; the rest must not (each would cost another COMMIT_MS). Counted, not
    // timed: every commit the dispose ran would be in `started`, however slow the machine.
    const startedAfter = old.started.filter((t) => t > failedAt).length;
    const disposeMs = old.closedAt! - failedAt;
    console.log(`first writer: ${old.started.length} commits started, ${startedAfter} after its first failure; closed ${Math.round(disposeMs)} ms after it`);
    expect(startedAfter).toBeLessThanOrEqual(2);
    expect(old.closedAt, 'the failover closed the first writer').toBeDefined();
  });
});
