/**
 * `cassandra` benchmark job: generator -> cassandra.sink, one instance on one worker.
 *
 * Parameters (workers inherit process.env): WEIR_BENCH_CASS = { table, count, concurrency,
 * rate?, latency? }. Row i is (id i, device 'd<i % 1000>', value i): every row has its own
 * partition, so the sink sends exactly `count` statements, as the peer does.
 * With `latency`, the statement also stores the record's creation time and Cassandra's own
 * time of the write (toUnixTimestamp(now()), same machine clock): the bench reads the
 * difference back as the record's write latency. now() is non-deterministic, so that
 * statement needs idempotent: true (fine for a benchmark).
 */
import { cassandra, generator, topology } from 'weir';

const cfg = JSON.parse(process.env.WEIR_BENCH_CASS ?? '{}') as { table: string; count?: number; concurrency: number; rate?: number; latency?: boolean; contactPoint?: string };
type Row = { id: number; device: string; value: number; created: number };

export default topology('bench-cassandra-write', (t) =>
  t
    .source('in', generator({ count: cfg.count, ratePerSec: cfg.rate, value: (i): Row => ({ id: i, device: `d${i % 1000}`, value: i, created: Date.now() }) }))
    .sink(
      'out',
      cassandra.sink<Row>(
        cfg.latency
          ? {
              contactPoints: cfg.contactPoint ?? '127.0.0.1:9042',
              localDataCenter: 'datacenter1',
              keyspace: 'weir_bench',
              consistency: 'one',
              concurrency: cfg.concurrency,
              statement: `INSERT INTO ${cfg.table} (id, device, value, created, written) VALUES (?, ?, ?, ?, toUnixTimestamp(now()))`,
              params: (r) => [r.id, r.device, r.value, r.created],
              idempotent: true,
            }
          : {
              contactPoints: cfg.contactPoint ?? '127.0.0.1:9042',
              localDataCenter: 'datacenter1',
              keyspace: 'weir_bench',
              consistency: 'one',
              concurrency: cfg.concurrency,
              statement: `INSERT INTO ${cfg.table} (id, device, value) VALUES (?, ?, ?)`,
              params: (r) => [r.id, r.device, r.value],
            },
      ),
    ),
);
