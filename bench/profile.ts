/**
 * Runs one side of a throughput benchmark once, for profiling:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js keyed [records] [weir|peer]
 *
 * writes one .cpuprofile per thread (main, and each worker thread). `chain`
 * runs on 1 worker, `keyed` on 2, as in `npm run bench`.
 */
import { MessageChannel } from 'node:worker_threads';
import { KEYED_BATCH_SIZE, KEYED_CREDITS, PEER_YIELD_EVERY, runWeirJob } from './throughput.js';
import { runThreads, toSample } from './lib/util.js';

const [which = 'keyed', records = '2000000', side = 'weir'] = process.argv.slice(2);
const n = Number(records);
if (!['chain', 'keyed'].includes(which) || !Number.isInteger(n) || n < 1 || !['weir', 'peer'].includes(side)) {
  console.error('usage: node [--cpu-prof] dist/bench/profile.js chain|keyed [records] [weir|peer]');
  process.exit(2);
}

let sample;
if (side === 'weir') {
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
  `${side} ${which}: ${sample.count} records, wall ${sample.wallMs.toFixed(0)} ms (${rate(sample.wallMs)}), first record ${sample.firstRecordMs.toFixed(0)} ms, steady ${sample.steadyMs.toFixed(0)} ms (${rate(sample.steadyMs)})`,
);
