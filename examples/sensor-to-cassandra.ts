/**
 * Sensor readings -> keyed running aggregates per device -> upserted into Cassandra.
 *
 *   $ npm run cassandra:start                      # a local Cassandra 5.0 on 127.0.0.1:9042
 *   $ npx weir run examples/sensor-to-cassandra.ts
 *
 * The example creates its keyspace and table itself (CREATE ... IF NOT EXISTS,
 * printed on stderr), once, in the coordinator (the main thread) before the job
 * starts; worker threads, which import this module too, skip it. Set
 * SENSOR_SCHEMA=print to only print the CQL and exit, SENSOR_SCHEMA=skip to
 * leave the schema alone. CASSANDRA (default 127.0.0.1:9042) and
 * SENSOR_READINGS (default 20000) configure it.
 *
 * Each device's row is an idempotent upsert of its running aggregate, keyed by
 * the device: after any failure (kill -9 the run, then run it again) the table
 * ends as a fault-free run leaves it.
 */
import { isMainThread } from 'node:worker_threads';
import { cassandra, generator, topology } from 'weir';

const contactPoint = process.env.CASSANDRA ?? '127.0.0.1:9042';
const readings = Number(process.env.SENSOR_READINGS ?? 20_000);

export const SCHEMA = [
  `CREATE KEYSPACE IF NOT EXISTS weir_examples WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  `CREATE TABLE IF NOT EXISTS weir_examples.sensor_stats (
     device text PRIMARY KEY,
     readings bigint,
     min_celsius double,
     max_celsius double,
     mean_celsius double,
     last_seq bigint
   )`,
];

/** Run the schema statements (idempotent) on `contactPoint`. */
export async function createSchema(): Promise<void> {
  const { Client } = (await import('cassandra-driver')).default;
  const client = new Client({ contactPoints: [contactPoint], localDataCenter: 'datacenter1' });
  try {
    await client.connect();
    for (const cql of SCHEMA) await client.execute(cql);
  } finally {
    await client.shutdown();
  }
}

if (isMainThread && process.env.SENSOR_SCHEMA !== 'skip') {
  process.stderr.write(`${SCHEMA.map((s) => `${s.replace(/\s+/g, ' ')};`).join('\n')}\n`);
  if (process.env.SENSOR_SCHEMA === 'print') process.exit(0);
  await createSchema();
}

type Reading = { seq: number; device: string; celsius: number };
type Stats = { device: string; readings: number; min: number; max: number; sum: number; lastSeq: number };

export default topology('sensor-to-cassandra', (t) =>
  t
    .source(
      'sensors',
      generator({
        count: readings,
        ratePerSec: 5000,
        // 20 devices, a deterministic temperature per reading
        value: (i): Reading => ({ seq: i, device: `sensor-${i % 20}`, celsius: 15 + ((i * 37) % 200) / 10 }),
      }),
    )
    .map((r: Reading): Stats => ({ device: r.device, readings: 1, min: r.celsius, max: r.celsius, sum: r.celsius, lastSeq: r.seq }))
    .keyBy((s) => s.device)
    .reduce((a, b) => ({ device: a.device, readings: a.readings + b.readings, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), sum: a.sum + b.sum, lastSeq: Math.max(a.lastSeq, b.lastSeq) }), { name: 'aggregate' })
    .sink(
      'stats',
      cassandra.sink<Stats>({
        contactPoints: contactPoint,
        localDataCenter: 'datacenter1',
        keyspace: 'weir_examples',
        statement: 'INSERT INTO sensor_stats (device, readings, min_celsius, max_celsius, mean_celsius, last_seq) VALUES (?, ?, ?, ?, ?, ?)',
        params: (s) => [s.device, s.readings, s.min, s.max, s.sum / s.readings, s.lastSeq],
      }),
    ),
);
