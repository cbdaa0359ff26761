/**
 * Runs one side of a benchmark once, for profiling:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js keyed [records] [weir|peer]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js checkpoint [records] [on|off]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js recovery
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js nexmark [events] [q0|q1|...]
 *
 * writes one .cpuprofile per thread (main, and each worker thread). `chain`
 * runs on 1 worker, `keyed` on 2, as in `npm run bench`. `checkpoint` runs the
 * keyed stateful job with checkpoints every second to Redis (on) or none
 * (off); `recovery` runs the paced job whose worker exits once (the
 * replacement worker is the thread with the highest id).
 */
import { MessageChannel } from 'node:worker_threads';
import { CHECKPOINT_INTERVAL_MS, DEFAULT_REDIS, RECOVERY_RATE, runCheckpointed, runRecovery } from './fault-tolerance.js';
import { KEYED_BATCH_SIZE, KEYED_CREDITS, PEER_YIELD_EVERY, runWeirJob } from './throughput.js';
import { runThreads, toSample } from './lib/util.js';
import { runWeirNexmark } from './nexmark.js';
import { QUERIES, type QueryId } from './nexmark/checksum.js';

const [which = 'keyed', records = '2000000', side] = process.argv.slice(2);
const n = Number(records);
const usage = (): never => {
  console.error('usage: node [--cpu-prof] dist/bench/profile.js chain|keyed [records] [weir|peer]\n       ... checkpoint [records] [on|off]\n       ... recovery\n       ... nexmark [events] [query]');
  process.exit(2);
};
if (!['chain', 'keyed', 'checkpoint', 'recovery', 'nexmark'].includes(which) || !Number.isInteger(n) || n < 1) usage();

if (which === 'nexmark') {
  const q = (side ?? 'q5') as QueryId;
  if (!QUERIES.includes(q)) usage();
  const s = await runWeirNexmark(q, n);
  console.log(`weir nexmark ${q}: ${n} events, ${(s.wallMs / 1000).toFixed(2)} s (${Math.round(n / (s.wallMs / 1000) / 2)} ev/s/core), ${s.count} results, checksum ${s.checksum}`);
} else if (which === 'checkpoint') {
  if (side !== undefined && !['on', 'off'].includes(side)) usage();
  const on = side !== 'off';
  const s = await runCheckpointed(n, on ? CHECKPOINT_INTERVAL_MS : 0, process.env.WEIR_BENCH_REDIS ?? DEFAULT_REDIS);
  console.log(
    `checkpoint ${on ? 'on' : 'off'}: ${s.count} records, steady ${s.steadyMs.toFixed(0)} ms (${(s.recordsPerSec / 1e6).toFixed(2)} M rec/s), ` +
      `${s.periodic} periodic checkpoints, last write+commit ${s.lastDurationMs} ms, ${s.lastSizeBytes} bytes, barrier cycles ${s.barrierCyclesMs.join(', ')} ms`,
  );
} else if (which === 'recovery') {
  const s = await runRecovery(RECOVERY_RATE * 3, RECOVERY_RATE, RECOVERY_RATE * 1.5);
  console.log(`recovery: ${JSON.stringify(s)}`);
} else {
  const who = side ?? 'weir';
  if (!['weir', 'peer'].includes(who)) usage();
  let sample;
  if (who === 'weir') {
    sample = await runWeirJob(`${which}.ts`, n, { workers: which === 'chain' ? 1 : 2, batchSize: KEYED_BATCH_SIZE, credits: KEYED_CREDITS });
  } else if (which === 'chain') {
    const r = await runThreads(new URL('./peers/stream-pipeline.js', import.meta.url), [{ workerData: { n } }]);
    sample = toSample(r.reports, r.startWall, r.wallMs);
  } else {
    const { port1, port2 } = new MessageChannel();
    const common = { n, batchSize: KEYED_BATCH_SIZE, credits: KEYED_CREDITS, maxParallelism: 128, yieldEvery: PEER_YIELD_EVERY };
    const r = await runThreads(new URL('./peers/keyed-worker.js', import.meta.url), [
      { workerData: { ...common, index: 0, port: port1 }, transferList: [port1] },
      { workerData: { ...common, index: 1, port: port2 }, transferList: [port2] },
    ]);
    sample = toSample(r.reports, r.startWall, r.wallMs);
  }
  const rate = (ms: number) => `${((n * 1000) / ms / 1e6).toFixed(2)} M rec/s`;
  console.log(
    `${who} ${which}: ${sample.count} records, wall ${sample.wallMs.toFixed(0)} ms (${rate(sample.wallMs)}), first record ${sample.firstRecordMs.toFixed(0)} ms, steady ${sample.steadyMs.toFixed(0)} ms (${rate(sample.steadyMs)})`,
  );
}
