/**
 * weir's benchmark suite: `npm run bench` (see bench/README.md).
 *
 * Every figure is taken side by side with a peer in the same run, and every
 * target is checked here, never in unit tests. Results go to
 * bench/results/latest.json and a table on stdout.
 *
 * Options:
 *   --only chain,keyed,latency,startup,memory,overload,checkpoint,checkpoint100,recovery,kafka,kafka-eo-latency,simulation,cassandra,mqtt,gateway,observability,machine,nexmark,cluster   run a subset (kafka, cassandra: skipped when the service does not answer)
 *   --records N                         records for the throughput benchmarks (default 2,000,000)
 *   --reps N                            repetitions per side (default 7; startup at least 5, memory at most 3,
 *                                       checkpoint N + 2 pairs, recovery 3 to 5 runs)
 *   --quick                             a developer's loop, about 2 minutes: every in-process row at a small size
 *                                       (200,000 records, 3 repetitions, one pair where a row pairs runs); the rows
 *                                       that need a service or another runtime run only when named in --only
 *   --out FILE                          results file (default bench/results/latest.json)
 * Exit code: 1 if a benchmark broke (wrong output, crash); missed targets only
 * exit 1 with BENCH_STRICT=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchIdleMemory, benchStartup, IDLE_MS, type MemoryResult, type StartupResult } from './startup.js';
import { benchObservability, type ObservabilityResult } from './observability.js';
import { benchChain, benchKeyed, type ThroughputResult } from './throughput.js';
import { benchAlternating, type AlternatingResult } from './checkpoint-alternating.js';
import { benchCheckpoint, benchRecovery, CHECKPOINT_INTERVAL_MS, DEFAULT_REDIS, CHECKPOINT_KEYS, RECOVERY_RATE, type CheckpointResult, type RecoveryResult } from './fault-tolerance.js';
import { median, ROOT, round } from './lib/util.js';
import { benchLatency, LATENCY_RATE, type LatencyResult } from './latency.js';
import { benchOverload, OVERLOAD_SINK_MS, type OverloadResult } from './overload.js';
// simulation (bench/simulation.ts)
import { benchSimulation, type SimulationResult } from './simulation.js';
// machine (bench/machine.ts)
import { benchMachineMemory, type MachineMemoryResult } from './machine.js';
// kafka (bench/kafka.ts)
import { benchKafka, kafkaRows, kafkaTargets, kafkaUnreachable, type KafkaResult, type KafkaSkipped } from './kafka.js';
import { benchKafkaEoLatency, EO_LATENCY_METRIC, EO_THROUGHPUT_METRIC, eoLatencyRows, type EoLatencyResult } from './kafka-eo-latency.js';
// cassandra (bench/cassandra.ts)
import { benchCassandra, cassandraUnreachable, CASSANDRA_CHECKPOINT_MS, type CassandraResult } from './cassandra.js';

// cluster (bench/cluster.ts)
import { benchCluster, type ClusterResult } from './cluster.js';

// mqtt (bench/mqtt.ts)
import { benchMqtt, mqttRows, type MqttResult } from './mqtt.js';
// gateway (bench/gateway.ts)
import { benchGateway, GATEWAY_IDLE_MS, gatewayRows, type GatewayResult } from './gateway.js';
// nexmark (bench/nexmark.ts)
import { benchNexmark, nexmarkRows, nexmarkTargets, type NexmarkResult } from './nexmark.js';
import { QUERIES } from './nexmark/checksum.js';

/** Issue 14's targets for the throughput rows (ratios against their peers, end to end). */
const CHAIN_TARGET = 1.5;
const KEYED_TARGET = 0.8;

/**
 * Rows that need an outside service or another runtime (a Kafka broker, Cassandra, Mosquitto, a JVM
 * for Flink, Node-RED): minutes each even at their smallest (kafka alone took 139 s with --quick), so
 * --quick runs them only when --only names them.
 */
const SERVICE_ROWS: readonly string[] = ['mqtt', 'gateway', 'cluster', 'kafka', 'kafka-eo-latency', 'cassandra', 'nexmark'];

const ALL = ['chain', 'keyed', 'latency', 'startup', 'memory', 'overload', 'checkpoint', 'checkpoint100', 'recovery', 'kafka', 'kafka-eo-latency', 'simulation', 'cassandra', 'mqtt', 'gateway', 'observability', 'machine', 'nexmark', 'cluster'] as const;
type BenchId = (typeof ALL)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    records: { type: 'string' },
    reps: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const only = (values.only ? values.only.split(',').map((s) => s.trim()) : [...ALL]) as BenchId[];
for (const id of only) if (!ALL.includes(id)) throw new Error(`--only: unknown benchmark '${id}' (known: ${ALL.join(', ')})`);
const records = Number(values.records ?? (values.quick ? 200_000 : 2_000_000));
const reps = Number(values.reps ?? (values.quick ? 3 : 7));
if (!Number.isInteger(records) || records < 1) throw new Error(`--records must be a positive integer, got ${values.records}`);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${values.reps}`);
const outFile = path.resolve(values.out ?? path.join(ROOT, 'bench', 'results', 'latest.json'));

interface Target {
  benchmark: BenchId;
  metric: string;
  value: number;
  op: '>=' | '<' | '<=';
  target: number;
  unit: string;
  pass: boolean;
}

function target(benchmark: BenchId, metric: string, value: number, op: Target['op'], t: number, unit: string): Target {
  const pass = op === '>=' ? value >= t : op === '<' ? value < t : value <= t;
  return { benchmark, metric, value, op, target: t, unit, pass };
}

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const startedAt = new Date();
const loadAtStart = os.loadavg().map((x) => round(x, 2));
const t0 = performance.now();
const results: {
  chain?: ThroughputResult;
  keyed?: ThroughputResult;
  latency?: LatencyResult;
  observability?: ObservabilityResult;
  startup?: StartupResult;
  memory?: MemoryResult;
  overload?: OverloadResult;
  checkpoint?: CheckpointResult & { alternating: AlternatingResult };
  checkpoint100?: CheckpointResult;
  recovery?: RecoveryResult;
  kafka?: KafkaResult | KafkaSkipped;
  'kafka-eo-latency'?: EoLatencyResult;
  mqtt?: MqttResult;
  gateway?: GatewayResult;
  simulation?: SimulationResult;
  cassandra?: CassandraResult | { skipped: string };
  machine?: MachineMemoryResult;
  nexmark?: NexmarkResult;
  cluster?: ClusterResult | { skipped: string };
} = {};
const targets: Target[] = [];
const errors: { benchmark: BenchId; error: string }[] = [];
const skippedByQuick: BenchId[] = [];
const quick = values.quick === true;

async function step(id: BenchId, title: string, fn: () => Promise<void>): Promise<void> {
  if (!only.includes(id)) return;
  if (quick && !values.only && SERVICE_ROWS.includes(id)) {
    skippedByQuick.push(id);
    return;
  }
  log(`\n[${id}] ${title}`);
  const s = performance.now();
  try {
    await fn();
  } catch (e) {
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    errors.push({ benchmark: id, error: msg });
    log(`  FAILED: ${msg}`);
  }
  log(`  (${((performance.now() - s) / 1000).toFixed(1)} s)`);
}

await step('observability', `metrics + dashboard (1 s reports, a Prometheus scrape/s, one live dashboard) on vs off, chain and keyBy, ${records.toLocaleString('en')} records`, async () => {
  const r = (results.observability = await benchObservability(records, quick ? 1 : reps, log));
  targets.push(target('observability', 'chain throughput ratio on / off', r.chain.ratio, '>=', 0.98, 'x'));
  targets.push(target('observability', 'keyBy throughput ratio on / off', r.keyed.ratio, '>=', 0.98, 'x'));
  if (r.scrapes === 0 || r.updates === 0) throw new Error(`the clients got ${r.scrapes} scrapes and ${r.updates} live updates: the 'on' side served nothing`);
});

await step('chain', `1 worker, generator -> map -> sink, ${records.toLocaleString('en')} records, vs node:stream pipeline`, async () => {
  const r = (results.chain = await benchChain(records, reps, log));
  targets.push(target('chain', 'throughput ratio weir / stream.pipeline', r.ratio, '>=', CHAIN_TARGET, 'x'));
});

await step('keyed', `2 workers through keyBy, ${records.toLocaleString('en')} records, vs 2 hand-written threads`, async () => {
  const r = (results.keyed = await benchKeyed(records, reps, log));
  targets.push(target('keyed', 'throughput ratio weir / 2-thread msgpackr', r.ratio, '>=', KEYED_TARGET, 'x'));
});

await step('latency', `2 workers through keyBy at ${LATENCY_RATE.toLocaleString('en')} rec/s, bufferTimeout 0, checkpoints every 1 s: latency of records that cross workers, vs a raw MessagePort`, async () => {
  const r = (results.latency = await benchLatency(values.quick ? 3 : 10, values.quick ? 1 : 2, log));
  targets.push(target('latency', 'cross-worker latency p99', r.weir.p99Ms, '<', 0.25, 'ms'));
  targets.push(target('latency', 'cross-worker latency p99.9', r.weir.p999Ms, '<', 1, 'ms'));
});

await step('startup', 'CLI spawn -> first record of examples/real-time-processing.ts (--workers 2), vs node -e 0', async () => {
  const r = (results.startup = await benchStartup(quick ? 3 : Math.max(reps, 5), log));
  targets.push(target('startup', 'spawn -> first record (median)', r.weirMedianMs, '<', 150, 'ms'));
});

await step('memory', `idle RSS, rate-limited job on 2 workers, ${IDLE_MS} ms after its first record`, async () => {
  const r = (results.memory = await benchIdleMemory(quick ? 1 : Math.min(reps, 3), log));
  targets.push(target('memory', 'idle RSS (median VmRSS)', r.weirMedianRssMB, '<=', 70, 'MB'));
});

await step('overload', `memory under overload: unbounded generator -> keyBy -> map -> sink taking ${OVERLOAD_SINK_MS} ms per batch, 2 workers, checkpoints every 1 s`, async () => {
  const r = (results.overload = await benchOverload(quick ? 8 : 60, log));
  targets.push(target('overload', 'RSS max - min under overload', r.rssSpreadMB, '<', 10, 'MB'));
});

// Not shorter in --quick: the first pair is sized from a cold warm-up run, and a 3 s target left runs
// with under 1 s of output after the warm-up when the machine's load dropped between them.
const checkpointSeconds = 5;
const checkpointPairs = quick ? 1 : reps + 2;
await step('checkpoint', `keyed count (${CHECKPOINT_KEYS.toLocaleString('en')} keys, 2 workers), checkpoints every ${CHECKPOINT_INTERVAL_MS} ms to Redis vs none, ~${checkpointSeconds} s runs`, async () => {
  // The target: separate runs with and without periodic checkpoints, paired, each measured after its
  // JIT warm-up. Diagnostic: one run alternating 1 s with a checkpoint and 1 s without (same isolates).
  const paired = await benchCheckpoint(checkpointPairs, checkpointSeconds, log);
  const rate = paired.withoutCheckpoints.steadyRecordsPerSec;
  const alternating = await benchAlternating(values.quick ? 1 : 2, values.quick ? 4 : 24, rate, process.env.WEIR_BENCH_REDIS ?? DEFAULT_REDIS, log);
  const r = (results.checkpoint = { ...paired, alternating });
  targets.push(target('checkpoint', 'steady throughput ratio after warm-up, checkpoints 1 s / none (median of pairs)', r.ratio, '>=', 0.95, 'x'));
});

await step('checkpoint100', `the same keyed count with checkpoints every 100 ms to Redis vs none, ~${checkpointSeconds} s runs`, async () => {
  const r = (results.checkpoint100 = await benchCheckpoint(checkpointPairs, checkpointSeconds, log, 100));
  targets.push(target('checkpoint100', 'steady throughput ratio after warm-up, checkpoints 100 ms / none (median of pairs)', r.ratio, '>=', 0.97, 'x'));
});

await step('recovery', `paced keyed job (${RECOVERY_RATE.toLocaleString('en')} rec/s, 2 workers), one worker exits: output gap`, async () => {
  const r = (results.recovery = await benchRecovery(quick ? 1 : Math.max(3, Math.min(reps, 5)), log));
  targets.push(target('recovery', 'last output before -> first output after (median)', r.medianGapMs, '<', 500, 'ms'));
});

// ---- simulation (bench/simulation.ts): weir/testing's deterministic runs, no peer ----
await step('simulation', 'weir/testing: simulated runs per second, 5-operator keyed topology, 1,000 records, 2 simulated workers', async () => {
  const r = (results.simulation = await benchSimulation(values.quick ? 20 : 60));
  if (!r.correct) throw new Error('a simulated run did not commit exactly the expected output');
});

// ---- mqtt (bench/mqtt.ts): a private mosquitto (/usr/sbin/mosquitto) per case ----
await step('mqtt', 'MQTT -> per-device threshold -> MQTT through Mosquitto, QoS 1, a backlog drained from a persistent session, weir (checkpoints every 1 s) vs bare mqtt.js relay vs Node-RED, + in-flight windows', async () => {
  results.mqtt = await benchMqtt(values.quick ? 5000 : 20_000, values.quick ? 1 : Math.min(reps, 3), log);
  const w = results.mqtt.cases.find((c) => c.name.startsWith('weir, parallelism 2'));
  const nr = results.mqtt.cases.find((c) => c.name.startsWith('Node-RED'));
  if (w && nr) targets.push(target('mqtt', 'readings/s ratio weir (parallelism 2) / Node-RED 4.1 (medians)', round(w.readingsPerSec / nr.readingsPerSec, 2), '>=', 2, 'x'));
});

// ---- gateway (bench/gateway.ts): the iot-gateway example, a private mosquitto, the shared Redis ----
await step('gateway', `examples/iot-gateway.ts on 2 workers: spawn -> first alert, and idle RSS ${GATEWAY_IDLE_MS} ms after it`, async () => {
  const r = (results.gateway = await benchGateway(Math.min(reps, 3), log));
  targets.push(target('gateway', 'idle RSS of the gateway job, 2 workers (median VmRSS)', r.medianIdleRssMB, '<=', 90, 'MB'));
});

// ---- cluster (bench/cluster.ts): weir run --cluster members on the Kafka broker, no target yet ----
await step('cluster', 'cluster mode: keyed count from 6 partitions, 1/2/3 member processes vs single-process mode; rebalance time', async () => {
  const unreachable = await kafkaUnreachable();
  if (unreachable) {
    results.cluster = { skipped: unreachable };
    if (values.only) throw new Error(unreachable);
    log(`  skipped: ${unreachable}`);
    return;
  }
  results.cluster = await benchCluster(values.quick ? 30_000 : 100_000, log);
});

// ---- machine (bench/machine.ts): per-key xstate statecharts, memory per idle key, not timed ----
const machineKeys = quick ? 20_000 : 100_000;
await step('machine', `machine(): heap and checkpoint size per idle key, ${machineKeys.toLocaleString('en')} keys, one pending after(30 s) each`, async () => {
  const r = (results.machine = await benchMachineMemory(machineKeys, log));
  targets.push(target('machine', 'heap per idle key', r.heapBytesPerKey, '<=', 1024, 'B'));
});

// ---- kafka (bench/kafka.ts): needs a broker; the full suite skips it when none answers ----
const kafkaRecords = values.quick ? 200_000 : 1_000_000;
await step('kafka', `Kafka -> map -> Kafka, ${kafkaRecords.toLocaleString('en')} records, weir exactly-once vs kafkajs loop and Flink, + latency at a fixed rate`, async () => {
  const unreachable = await kafkaUnreachable();
  if (unreachable) {
    results.kafka = { skipped: unreachable };
    if (values.only) throw new Error(unreachable); // asked for explicitly: a failure
    log(`  skipped: ${unreachable}`);
    return;
  }
  const r = (results.kafka = await benchKafka(kafkaRecords, values.quick ? 1 : Math.min(reps, 2), values.quick ? 5000 : 10_000, log));
  for (const t of kafkaTargets(r)) targets.push(target('kafka', t.metric, t.value, t.op, t.target, t.unit));
  if (r.errors.length > 0) throw new Error(r.errors.join('\n'));
});

// ---- kafka-eo-latency (bench/kafka-eo-latency.ts): exactly-once latency with 100 ms checkpoints (issue 14) ----
await step('kafka-eo-latency', 'weir exactly-once Kafka -> map -> Kafka: latency at 5k rec/s with 100 ms checkpoints, throughput 100 ms vs 1 s checkpoints', async () => {
  const unreachable = await kafkaUnreachable();
  if (unreachable) {
    if (values.only) throw new Error(unreachable);
    log(`  skipped: ${unreachable}`);
    return;
  }
  const r = (results['kafka-eo-latency'] = await benchKafkaEoLatency(values.quick ? 200_000 : 1_000_000, values.quick ? 1 : 2, values.quick ? 5000 : 10_000, log));
  targets.push(target('kafka-eo-latency', EO_LATENCY_METRIC, r.latency.fast?.p99Ms ?? NaN, '<', 250, 'ms'));
  targets.push(target('kafka-eo-latency', EO_THROUGHPUT_METRIC, r.throughput.ratio, '>=', 0.9, 'x'));
  if (r.errors.length > 0) throw new Error(r.errors.join('\n'));
});

// ---- cassandra (bench/cassandra.ts): needs a Cassandra (npm run cassandra:start); skipped when none answers ----
const cassandraRecords = values.quick ? 30_000 : 200_000;
await step('cassandra', `generator -> cassandra.sink, ${cassandraRecords.toLocaleString('en')} rows, vs cassandra-driver executeConcurrent (same concurrency), + write latency with checkpoints every ${CASSANDRA_CHECKPOINT_MS} ms`, async () => {
  const unreachable = await cassandraUnreachable();
  if (unreachable) {
    results.cassandra = { skipped: unreachable };
    if (values.only) throw new Error(unreachable);
    log(`  skipped: ${unreachable}`);
    return;
  }
  const r = (results.cassandra = await benchCassandra(cassandraRecords, values.quick ? 3 : Math.min(reps, 5), 250, values.quick ? 12 : 20, log));
  targets.push(target('cassandra', 'throughput ratio weir / cassandra-driver executeConcurrent', r.ratio, '>=', 0.9, 'x'));
});

// ---- nexmark (bench/nexmark.ts): q0, q1, q2, q3, q4, q5, q7, q8 in weir and Flink 1.20 (built with Maven), same generated events ----
const nexmarkEvents = values.quick ? 200_000 : 2_000_000;
const nexmarkReps = values.quick ? 1 : Math.min(reps, 3);
await step('nexmark', `Nexmark ${QUERIES.join(', ')}, ${nexmarkEvents.toLocaleString('en')} events generated in-process, parallelism 2, checkpoints 1 s, weir vs Flink 1.20, ${nexmarkReps} run(s) per side`, async () => {
  const r = (results.nexmark = await benchNexmark(nexmarkEvents, nexmarkReps, log));
  for (const t of nexmarkTargets(r)) targets.push(target('nexmark', t.metric, t.value, '>=', 1.0, 'x'));
  if (r.errors.length > 0) throw new Error(r.errors.join('\n'));
});

/** Which weir was measured: commit, and whether its sources differed from it (read-only git queries). */
function revision(): { commit: string; uncommittedChanges: boolean } | undefined {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const changed = git('status', '--porcelain', '--untracked-files=all', '--', 'runtime', 'actors', 'connectors', 'supervision', 'package.json');
    return { commit, uncommittedChanges: changed.length > 0 };
  } catch {
    return undefined; // not a git checkout
  }
}

const cpus = os.cpus();
const report = {
  date: startedAt.toISOString(),
  durationSec: round((performance.now() - t0) / 1000, 1),
  machine: {
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemMB: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    /** 1/5/15-minute load averages: other work on the machine skews every figure. */
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
  },
  weir: revision(),
  config: { records, repetitions: reps, only, quick, skippedByQuick },
  targets,
  allTargetsMet: errors.length === 0 && targets.length > 0 && targets.every((t) => t.pass),
  errors,
  results,
};

mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(`${outFile}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
renameSync(`${outFile}.tmp`, outFile);

// ---- table ----
const rows: string[][] = [['benchmark', 'weir', 'peer', 'ratio / figure', 'target', 'result']];
const fmtRate = (x: number): string => `${(x / 1e6).toFixed(2)} M rec/s`;
if (results.chain) {
  const r = results.chain;
  rows.push(['1. chain, 1 worker', fmtRate(r.weir.recordsPerSec), `${fmtRate(r.peer.recordsPerSec)} (stream.pipeline)`, `${r.ratio.toFixed(3)}x`, `>= ${CHAIN_TARGET}x`, passOf('chain')]);
  rows.push(['   steady state (diag.)', fmtRate(r.weir.steadyRecordsPerSec), fmtRate(r.peer.steadyRecordsPerSec), `${r.steadyRatio.toFixed(3)}x`, '', '']);
  rows.push(['   paired ratios (diag.)', '', '', spread(r.pairedRatios), '', '']);
}
if (results.keyed) {
  const r = results.keyed;
  rows.push(['2. keyBy, 2 workers', fmtRate(r.weir.recordsPerSec), `${fmtRate(r.peer.recordsPerSec)} (2 threads)`, `${r.ratio.toFixed(3)}x`, `>= ${KEYED_TARGET}x`, passOf('keyed')]);
  rows.push(['   steady state (diag.)', fmtRate(r.weir.steadyRecordsPerSec), fmtRate(r.peer.steadyRecordsPerSec), `${r.steadyRatio.toFixed(3)}x`, '', '']);
  rows.push(['   paired ratios (diag.)', '', '', spread(r.pairedRatios), '', '']);
}
if (results.latency) {
  const r = results.latency;
  const pass = (metric: string): string => passOf('latency', metric);
  rows.push([`2b. latency, keyBy ${r.ratePerSec / 1000}k rec/s`, `p99 ${r.weir.p99Ms} ms`, `p99 ${r.peer.p99Ms} ms (raw MessagePort)`, `p50 ${r.weir.p50Ms} / p99.9 ${r.weir.p999Ms} ms (${r.weir.checkpoints} ckpts)`, '< 0.25 ms', pass('cross-worker latency p99')]);
  rows.push(['   p99.9 (bufferTimeout 0)', `${r.weir.p999Ms} ms`, `${r.peer.p999Ms} ms (p50 ${r.peer.p50Ms} ms)`, `same worker p99 ${r.weir.sameWorker.p99Ms} ms`, '< 1 ms', pass('cross-worker latency p99.9')]);
  if (r.weirNoCheckpoints) rows.push(['   no checkpoints (diag.)', `p99 ${r.weirNoCheckpoints.p99Ms} ms`, '', `p50 ${r.weirNoCheckpoints.p50Ms} / p99.9 ${r.weirNoCheckpoints.p999Ms} ms`, '', '']);
}
if (results.startup) {
  const r = results.startup;
  rows.push(['3a. startup -> 1st record', `${r.weirMedianMs.toFixed(0)} ms (${Math.min(...r.weirFirstRecordMs).toFixed(0)}..${Math.max(...r.weirFirstRecordMs).toFixed(0)})`, `${r.nodeFloorMedianMs.toFixed(0)} ms (node -e 0)`, `+${r.overFloorMs.toFixed(0)} ms over floor`, '< 150 ms', passOf('startup')]);
}
if (results.memory) {
  const r = results.memory;
  rows.push([
    '3b. idle RSS, 2 workers',
    `${r.weirMedianRssMB.toFixed(1)} MB (peak ${r.weirMedianHwmMB.toFixed(0)}, +${r.weirMedianChildrenRssMB.toFixed(0)} in child procs)`,
    `${r.nodeFloorMedianRssMB.toFixed(1)} MB node, ${r.twoThreadsMedianRssMB.toFixed(1)} MB +2 thr`,
    `+${(r.weirMedianRssMB - r.twoThreadsMedianRssMB).toFixed(1)} MB over 2 thr`,
    '<= 70 MB',
    passOf('memory'),
  ]);
}
if (results.overload) {
  const r = results.overload;
  rows.push([
    `3c. overload RSS, ${r.seconds} s`,
    `${r.rssMinMB}..${r.rssMaxMB} MB (${r.rssMB.length} samples)`,
    `heap ${r.heap.map((h) => `${h.minMB.toFixed(1)}..${h.maxMB.toFixed(1)}`).join(', ')} MB`,
    `max - min ${r.rssSpreadMB} MB; sinks ${r.recordsPerSec} rec/s`,
    '< 10 MB',
    passOf('overload'),
  ]);
}
if (results.checkpoint) {
  const r = results.checkpoint;
  const c = r.checkpoints;
  const a = r.alternating;
  rows.push([
    '4. checkpoint 1 s, Redis',
    `${fmtRate(r.withCheckpoints.steadyRecordsPerSec)} (${c.medianPeriodicPerRun} ckpts/run)`,
    `${fmtRate(r.withoutCheckpoints.steadyRecordsPerSec)} (no periodic ckpt)`,
    `${spread(r.pairedRatios)} paired`,
    '>= 0.95x',
    passOf('checkpoint'),
  ]);
  rows.push([
    '   same run, alternating (diag.)',
    `${fmtRate(median(a.runs.map((x) => x.withRecordsPerSec)))} (1 ckpt/s)`,
    `${fmtRate(median(a.runs.map((x) => x.withoutRecordsPerSec)))} (none)`,
    `${spread(a.blockRatios)} ${a.blockRatios.length} blocks`,
    '',
    '',
  ]);
  rows.push(['   ratio of medians (diag.)', '', '', `${r.ratioOfMedians.toFixed(3)}x`, '', '']);
  rows.push(['   end to end (diag.)', fmtRate(r.withCheckpoints.wallRecordsPerSec), fmtRate(r.withoutCheckpoints.wallRecordsPerSec), `${r.wallRatio.toFixed(3)}x`, '', '']);
  rows.push(['   CPU time (diag.)', '', '', `${r.cpuRatio.toFixed(3)}x (none / with)`, '', '']);
  rows.push([
    '   checkpoint (diag.)',
    `write+commit ${c.medianLastDurationMs.toFixed(0)} ms, ${(c.medianSizeBytes / 1024).toFixed(0)} KiB`,
    `${c.totalFailed} failed`,
    `~${c.approxTriggerToCommitMs.toFixed(0)} ms trigger->commit`,
    '',
    '',
  ]);
}
if (results.checkpoint100) {
  const r = results.checkpoint100;
  const c = r.checkpoints;
  rows.push([
    '4b. checkpoint 100 ms, Redis',
    `${fmtRate(r.withCheckpoints.steadyRecordsPerSec)} (${c.medianPeriodicPerRun} ckpts/run)`,
    `${fmtRate(r.withoutCheckpoints.steadyRecordsPerSec)} (no periodic ckpt)`,
    `${spread(r.pairedRatios)} paired`,
    '>= 0.97x',
    passOf('checkpoint100'),
  ]);
  rows.push(['   checkpoint (diag.)', `write+commit ${c.medianLastDurationMs.toFixed(0)} ms, ${(c.medianSizeBytes / 1024).toFixed(0)} KiB`, `${c.totalFailed} failed`, `~${c.approxTriggerToCommitMs.toFixed(0)} ms trigger->commit; CPU ${r.cpuRatio.toFixed(3)}x`, '', '']);
}
if (results.recovery) {
  const r = results.recovery;
  const gaps = r.samples.map((s) => s.gapMs);
  rows.push([
    '5. recovery, worker exit',
    `${r.medianGapMs.toFixed(0)} ms gap (${Math.min(...gaps).toFixed(0)}..${Math.max(...gaps).toFixed(0)})`,
    '(no peer)',
    `exit -> 1st record ${r.medianKillToFirstOutputMs.toFixed(0)} ms`,
    '< 500 ms',
    passOf('recovery'),
  ]);
  rows.push([
    '   phases (diag.)',
    `exit -> replacement ready ${r.medianKillToReplacedMs.toFixed(0)} ms`,
    `survivor reset ${r.medianKillToResetMs.toFixed(0)} ms`,
    `ready -> 1st record ${r.medianReopenToFirstOutputMs.toFixed(0)} ms`,
    '',
    '',
  ]);
}
if (results.kafka) rows.push(...kafkaRows(results.kafka, (metric) => { const t = targets.find((x) => x.benchmark === 'kafka' && x.metric === metric); return t ? (t.pass ? 'PASS' : 'FAIL') : ''; }));
if (results['kafka-eo-latency']) rows.push(...eoLatencyRows(results['kafka-eo-latency'], (m) => passOf('kafka-eo-latency', m)));
if (results.mqtt) rows.push(...mqttRows(results.mqtt));
if (results.gateway) rows.push(...gatewayRows(results.gateway, passOf('gateway')));
if (results.nexmark) rows.push(...nexmarkRows(results.nexmark, (metric) => { const t = targets.find((x) => x.benchmark === 'nexmark' && x.metric === metric); return t ? (t.pass ? 'PASS' : 'FAIL') : ''; }));
if (results.simulation) {
  const r = results.simulation;
  rows.push(['7. simulation (weir/testing)', `${r.cleanRunsPerSec} runs/s fault-free`, '(no peer)', `${r.faultyRunsPerSec} runs/s with a failover; ${r.eventsPerRun} events/run`, '', r.correct ? 'ok' : 'WRONG']);
}
if (results.cassandra && 'ratio' in results.cassandra) {
  const r = results.cassandra;
  const rate = (xs: number[]) => `${(median(xs) / 1000).toFixed(1)} k rec/s`;
  rows.push(['8. Cassandra sink', `${rate(r.weir.recordsPerSec)} (ckpt 1 s)`, `${rate(r.peer.recordsPerSec)} (executeConcurrent ${r.concurrency})`, spread([...r.pairedRatios].sort((a, b) => a - b)), '>= 0.9x', passOf('cassandra')]);
  const l = r.latency;
  rows.push([`   write latency @${l.rate}/s`, `p50 ${l.weir.p50Ms} / p99 ${l.weir.p99Ms} ms (ckpt 1 s)`, `p50 ${l.peer.p50Ms} / p99 ${l.peer.p99Ms} ms (driver)`, `created -> written`, '', '']);
} else if (results.cassandra) rows.push(['8. Cassandra sink', 'skipped', results.cassandra.skipped, '', '', '']);
if (results.observability) {
  const r = results.observability;
  const pass = (metric: string) => { const t = targets.find((x) => x.benchmark === 'observability' && x.metric === metric); return t ? (t.pass ? 'PASS' : 'FAIL') : ''; };
  rows.push(['10. observability on/off, chain', fmtRate(r.chain.weir.recordsPerSec), `${fmtRate(r.chain.peer.recordsPerSec)} (off)`, `${r.chain.ratio.toFixed(3)}x`, '>= 0.98x', pass('chain throughput ratio on / off')]);
  rows.push(['   paired ratios (diag.)', '', '', spread(r.chain.pairedRatios), '', '']);
  rows.push(['10. observability on/off, keyBy', fmtRate(r.keyed.weir.recordsPerSec), `${fmtRate(r.keyed.peer.recordsPerSec)} (off)`, `${r.keyed.ratio.toFixed(3)}x`, '>= 0.98x', pass('keyBy throughput ratio on / off')]);
  rows.push(['   paired ratios (diag.)', '', '', spread(r.keyed.pairedRatios), '', '']);
  rows.push(['   served (diag.)', '', '', `${r.scrapes} scrapes, ${r.updates} live updates`, '', '']);
  rows.push(['   coordinator CPU, 50 ops (diag.)', `${r.costMsPerSecond50.toFixed(2)} ms/s`, '', `${(r.coreShare50 * 100).toFixed(2)} % of a core`, '', '']);
}
if (results.machine) {
  const r = results.machine;
  const pass = targets.find((x) => x.benchmark === 'machine')?.pass ? 'PASS' : 'FAIL';
  rows.push([`11. machine(), ${r.keys / 1000}k idle keys`, `${r.heapBytesPerKey} B/key heap`, '(no peer)', `checkpoint ${r.checkpointBytesPerKey} B/key (${r.checkpointMB} MB); no delay: ${r.heapBytesPerKeyNoDelay} B heap, ${r.checkpointBytesPerKeyNoDelay} B ckpt`, '<= 1024 B', pass]);
}
if (results.cluster && 'skipped' in results.cluster) rows.push(['12. cluster mode', 'skipped', results.cluster.skipped, '', '', '']);
else if (results.cluster) {
  const r = results.cluster;
  for (const m of r.members) {
    rows.push([`12. cluster, ${m.n} member(s), ${r.records.toLocaleString('en')} rec, steady state`, `${(m.recordsPerSec / 1000).toFixed(1)} k rec/s`, `${(r.singleProcess.recordsPerSec / 1000).toFixed(1)} k rec/s (1 process)`, `${(m.recordsPerSec / r.singleProcess.recordsPerSec).toFixed(2)}x`, '(no target)', '']);
    rows.push([`   CPU per 1k records, ${m.n} member(s)`, `${m.cpuMsPer1k} ms`, `${r.singleProcess.cpuMsPer1k} ms (1 process)`, `${(m.cpuMsPer1k / r.singleProcess.cpuMsPer1k).toFixed(2)}x; ${m.recordsPerTransaction} rec/txn, commit ${m.meanCommitLatencyMs} ms`, '', '']);
  }
  rows.push(['   rebalance, member killed', `${r.rebalance.killedMs.join(' / ')} ms`, '', `incl. session timeout ${r.rebalance.sessionTimeoutMs} ms`, '', '']);
  rows.push(['   rebalance, member left', `${r.rebalance.leftMs.join(' / ')} ms`, '', 'SIGTERM: graceful leave', '', '']);
}
for (const e of errors) rows.push([e.benchmark, 'ERROR', '', '', '', 'ERROR']);

/** "median (min..max)" of sorted per-pair ratios. */
function spread(sorted: number[]): string {
  const mid = sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return `${mid.toFixed(2)}x (${sorted[0].toFixed(2)}..${sorted[sorted.length - 1].toFixed(2)})`;
}

function passOf(id: BenchId, metric?: string): string {
  const t = targets.find((x) => x.benchmark === id && (metric === undefined || x.metric === metric));
  return t ? (t.pass ? 'PASS' : 'FAIL') : '';
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
const m = report.machine;
console.log(`\nweir bench — ${report.date} — node ${m.node}, ${m.cpus} cpus (${m.cpuModel}), ${records.toLocaleString('en')} records, median of ${reps}`);
console.log(line(rows[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows.slice(1)) console.log(line(r));
if (skippedByQuick.length > 0) console.log(`\n--quick left out ${skippedByQuick.join(', ')} (a service or another runtime each): run them with --only ${skippedByQuick.join(',')}`);
console.log(`\nresults: ${path.relative(process.cwd(), outFile) || outFile}  (${report.durationSec} s)`);
if (loadAtStart[0] > m.cpus / 2) console.log(`warning: load average was ${loadAtStart.join(', ')} at start on ${m.cpus} cpus: other work competed with both sides; compare ratios, not absolute figures`);
if (results.memory && results.memory.weirMedianChildrenRssMB > 0) console.log(`note: weir's child processes (${[...new Set(results.memory.weir.flatMap((x) => x.children))].join('; ')}) held ${results.memory.weirMedianChildrenRssMB} MB more RSS, not counted in VmRSS`);
if (results.memory && !results.memory.drainedCleanly) console.log(`warning: the idle job did not drain cleanly on SIGTERM: ${results.memory.drainNotes.join(' | ')}`);

if (errors.length > 0) process.exitCode = 1;
else if (process.env.BENCH_STRICT === '1' && !report.allTargetsMet) process.exitCode = 1;
