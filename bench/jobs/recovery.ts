/**
 * `recovery` benchmark job: a paced keyed job whose worker dies once.
 *
 *   generator (parallelism 2, WEIR_BENCH_RATE records/s in all, N records)
 *     -> keyBy(i => i % 10,000)
 *     -> process (parallelism 2): per-key count in keyed state; the first
 *        instance to see index >= WEIR_BENCH_KILL_AT creates the marker file
 *        WEIR_BENCH_KILL_FILE (exclusively, with the wall-clock ms in it) and
 *        calls process.exit(3), which ends its worker thread
 *     -> arrival sink (parallelism 2)
 *
 * The marker makes the kill happen once: the restarted instances find it
 * and go on. Without WEIR_BENCH_KILL_FILE nothing is killed. keyBy joins all
 * instances into one failover region, so the whole job restarts from its
 * last checkpoint: the crashed worker is replaced, the other one is reset.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { generator, topology } from 'weir';
import { arrivalSink } from './arrival-sink.js';

const n = Number(process.env.WEIR_BENCH_N ?? 80_000);
const ratePerSec = Number(process.env.WEIR_BENCH_RATE ?? 20_000);
const killAt = Number(process.env.WEIR_BENCH_KILL_AT ?? Math.floor(n / 2));
const killFile = process.env.WEIR_BENCH_KILL_FILE;

let armed = killFile !== undefined && killFile !== '';

/** Die once per job: the first caller to create the marker exits its worker thread. */
function maybeDie(): void {
  armed = false;
  let fd: number;
  try {
    fd = openSync(killFile!, 'wx');
  } catch {
    return; // already killed once (this is a restarted instance, or the other one won)
  }
  writeSync(fd, String(performance.timeOrigin + performance.now()));
  closeSync(fd);
  process.exit(3); // in a worker thread: ends this thread only
}

export default topology('bench-recovery', (t) =>
  t
    .source('in', generator<number>({ count: n, ratePerSec, value: (i) => i }), { parallelism: 2 })
    .keyBy((i: number) => i % 10_000)
    .process<number>(
      (i, ctx) => {
        if (armed && i >= killAt) maybeDie();
        const count = ctx.state.value<number>('count', 0);
        const c = count.get()! + 1;
        count.set(c);
        ctx.emit(i);
      },
      { name: 'count-and-die', parallelism: 2 },
    )
    .sink('out', arrivalSink(), { parallelism: 2 }),
);
