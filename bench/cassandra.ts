/**
 * Benchmark `cassandra`: weir -> Cassandra against a plain cassandra-driver
 * loop, both writing the same rows to a real Cassandra (127.0.0.1:9042,
 * `npm run cassandra:start`).
 *
 * Throughput. N rows (id i, device, value i; every row its own partition, so
 * both sides send N single-row INSERTs with prepare, consistency ONE):
 * - weir: bench/jobs/cassandra-write.ts, run(path, { workers: 1 }) with
 *   checkpoints every 1 s, cassandra.sink concurrency C: from run() until
 *   the job is done (its final checkpoint waited for every write);
 * - peer: cassandra-driver's concurrent.executeConcurrent(client, INSERT,
 *   rows, { concurrencyLevel: C, prepare: true }) on the main thread, from
 *   Client construction until it resolved.
 * Sides alternate (weir, peer, weir, peer, ...), each into a fresh table; the
 * figure is the median of the per-pair ratios weir / peer; every table is
 * checked to hold N rows afterwards.
 *
 * Latency. At a fixed rate (below the node's capacity) for a few seconds, each record's creation time and
 * Cassandra's own time of the write (toUnixTimestamp(now()) in the INSERT,
 * same machine clock) are stored; p50/p99 of the difference after a warm-up,
 * for weir (checkpoints every 1 s) and for the plain driver sending each row
 * when it is due (same concurrency bound; its creation time is the time it
 * was due, so waiting for a free slot counts, as it does in weir).
 */
import { Client, concurrent } from 'cassandra-driver';
import { run } from '../runtime/index.js';
import { JOBS, median, round, sleep } from './lib/util.js';

export const CASSANDRA_CONTACT_POINT = process.env.WEIR_BENCH_CASSANDRA ?? '127.0.0.1:9042';
export const CASSANDRA_CONCURRENCY = 64;
export const CASSANDRA_CHECKPOINT_MS = 1000;
const KEYSPACE = 'weir_bench';
/**
 * Latency samples start this long after the first record: the job's sources start while its sink
 * still connects and prepares (1-2 s on a loaded machine), and the backlog of that start drains
 * only at (capacity - rate).
 */
const LATENCY_WARMUP_MS = 4000;
const JOB = new URL('cassandra-write.ts', JOBS);

export interface CassandraResult {
  records: number;
  concurrency: number;
  weir: { recordsPerSec: number[]; checkpoints: number[] };
  peer: { recordsPerSec: number[] };
  pairedRatios: number[];
  ratio: number;
  latency: { rate: number; seconds: number; weir: Percentiles; peer: Percentiles; weirCheckpoints: number };
}
export interface Percentiles {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Undefined when CQL answers on the bench's contact point, else why not. */
export async function cassandraUnreachable(): Promise<string | undefined> {
  const c = client();
  try {
    await c.connect();
    return undefined;
  } catch (e) {
    return `no Cassandra answers on ${CASSANDRA_CONTACT_POINT} (${(e as Error).message}); start one with npm run cassandra:start`;
  } finally {
    await c.shutdown().catch(() => {});
  }
}

function client(): Client {
  return new Client({ contactPoints: [CASSANDRA_CONTACT_POINT], localDataCenter: 'datacenter1', socketOptions: { readTimeout: 60_000 } });
}

let tableSeq = 0;
async function freshTable(admin: Client, latency: boolean): Promise<string> {
  const name = `w${Date.now().toString(36)}_${tableSeq++}`;
  await admin.execute(`CREATE TABLE ${KEYSPACE}.${name} (id bigint PRIMARY KEY, device text, value bigint${latency ? ', created bigint, written bigint' : ''})`);
  return name;
}

async function countRows(admin: Client, table: string): Promise<number> {
  const rs = await admin.execute(`SELECT COUNT(*) AS n FROM ${KEYSPACE}.${table}`, [], { readTimeout: 120_000 });
  return Number(rs.rows[0].n);
}

async function weirSide(table: string, n: number, extra: Record<string, unknown> = {}): Promise<{ ms: number; checkpoints: number }> {
  process.env.WEIR_BENCH_CASS = JSON.stringify({ table, count: n, concurrency: CASSANDRA_CONCURRENCY, contactPoint: CASSANDRA_CONTACT_POINT, ...extra });
  const t0 = performance.now();
  const r = await run(JOB, { workers: 1, parallelism: 1, state: 'memory', checkpointInterval: CASSANDRA_CHECKPOINT_MS, logLevel: 'warn', metricsIntervalMs: 0 }).done;
  return { ms: performance.now() - t0, checkpoints: r.checkpoints.completed };
}

async function peerSide(table: string, n: number): Promise<number> {
  const t0 = performance.now();
  const c = client();
  const rows = new Array<unknown[]>(n);
  for (let i = 0; i < n; i++) rows[i] = [i, `d${i % 1000}`, i];
  await concurrent.executeConcurrent(c, `INSERT INTO ${KEYSPACE}.${table} (id, device, value) VALUES (?, ?, ?)`, rows, {
    concurrencyLevel: CASSANDRA_CONCURRENCY,
    executionProfile: undefined,
    raiseOnFirstError: true,
  }); // executeConcurrent prepares (prepare: true) and uses the default consistency LOCAL_ONE (= ONE on one node)
  const ms = performance.now() - t0;
  await c.shutdown();
  return ms;
}

/** The plain driver at a fixed rate: each row sent when created, at most CONCURRENCY in flight. */
async function peerPaced(table: string, rate: number, seconds: number): Promise<void> {
  const c = client();
  await c.connect();
  const q = `INSERT INTO ${KEYSPACE}.${table} (id, device, value, created, written) VALUES (?, ?, ?, ?, toUnixTimestamp(now()))`;
  let inFlight = 0;
  const waiters: (() => void)[] = [];
  const t0 = Date.now();
  const total = rate * seconds;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 1) await sleep(wait);
    while (inFlight >= CASSANDRA_CONCURRENCY) await new Promise<void>((r) => waiters.push(r));
    inFlight++;
    // created = when the row was due, not when a slot freed: a backlog counts as latency, as in weir
    void c.execute(q, [i, `d${i % 1000}`, i, Math.round(due)], { prepare: true, consistency: 1, isIdempotent: true }).finally(() => {
      inFlight--;
      waiters.shift()?.();
    });
  }
  while (inFlight > 0) await sleep(10);
  await c.shutdown();
}

async function latencies(admin: Client, table: string, skipFirstMs: number): Promise<Percentiles> {
  const rs = await admin.execute(`SELECT created, written FROM ${KEYSPACE}.${table}`, [], { fetchSize: 1_000_000, readTimeout: 120_000 });
  const rows = rs.rows.map((r) => ({ created: Number(r.created), written: Number(r.written) }));
  const start = Math.min(...rows.map((r) => r.created)) + skipFirstMs;
  const lat = rows.filter((r) => r.created >= start).map((r) => r.written - r.created).sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { samples: lat.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: lat[lat.length - 1] ?? NaN };
}

export async function benchCassandra(n: number, reps: number, latencyRate: number, latencySeconds: number, log: (s: string) => void): Promise<CassandraResult> {
  const admin = client();
  await admin.connect();
  await admin.execute(`CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  const tables: string[] = [];
  try {
    // warm-up: JIT, prepared statement caches, the node's memtables
    const warm = await freshTable(admin, false);
    tables.push(warm);
    await peerSide(warm, Math.min(20_000, n));
    await weirSide(warm, Math.min(20_000, n));
    const weirRates: number[] = [];
    const weirCps: number[] = [];
    const peerRates: number[] = [];
    const ratios: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const tw = await freshTable(admin, false);
      const tp = await freshTable(admin, false);
      tables.push(tw, tp);
      const w = await weirSide(tw, n);
      const p = await peerSide(tp, n);
      const [cw, cp] = [await countRows(admin, tw), await countRows(admin, tp)];
      if (cw !== n || cp !== n) throw new Error(`rows written: weir ${cw}, peer ${cp}, expected ${n}`);
      const wr = (n / w.ms) * 1000;
      const pr = (n / p) * 1000;
      weirRates.push(round(wr));
      weirCps.push(w.checkpoints);
      peerRates.push(round(pr));
      ratios.push(round(wr / pr, 3));
      log(`  rep ${rep + 1}: weir ${round(wr)} rec/s (${w.checkpoints} checkpoints), cassandra-driver executeConcurrent ${round(pr)} rec/s, ratio ${(wr / pr).toFixed(3)}`);
    }
    // latency at a fixed rate
    const lw = await freshTable(admin, true);
    const lp = await freshTable(admin, true);
    tables.push(lw, lp);
    const w = await weirSide(lw, latencyRate * latencySeconds, { rate: latencyRate, latency: true });
    await peerPaced(lp, latencyRate, latencySeconds);
    const weirLat = await latencies(admin, lw, LATENCY_WARMUP_MS);
    const peerLat = await latencies(admin, lp, LATENCY_WARMUP_MS);
    log(`  latency at ${latencyRate} rec/s: weir p50 ${weirLat.p50Ms} ms p99 ${weirLat.p99Ms} ms max ${weirLat.maxMs} ms (${w.checkpoints} checkpoints); driver p50 ${peerLat.p50Ms} ms p99 ${peerLat.p99Ms} ms max ${peerLat.maxMs} ms`);
    return {
      records: n,
      concurrency: CASSANDRA_CONCURRENCY,
      weir: { recordsPerSec: weirRates, checkpoints: weirCps },
      peer: { recordsPerSec: peerRates },
      pairedRatios: ratios,
      ratio: median(ratios),
      latency: { rate: latencyRate, seconds: latencySeconds, weir: weirLat, peer: peerLat, weirCheckpoints: w.checkpoints },
    };
  } finally {
    for (const t of tables) await admin.execute(`DROP TABLE IF EXISTS ${KEYSPACE}.${t}`).catch(() => {});
    await admin.shutdown();
  }
}
