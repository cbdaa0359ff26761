/**
 * The weir side of the Nexmark benchmark (bench/nexmark.ts): one query per
 * run, chosen by WEIR_NEXMARK_QUERY (q0, q1, q2, q3, q4, q5, q7, q8; see
 * bench/nexmark/queries.ts), over WEIR_BENCH_N events of
 * bench/nexmark/generator.ts generated in-process (parallelism 2, instance
 * k generates events k, k + 2, ...). The sink counts the results and sums
 * their hashes (bench/nexmark/checksum.ts) to compare with Flink.
 */
import { generator, topology, type SinkConnector } from 'weir';
import { QUERIES, type QueryId } from '../nexmark/checksum.js';
import { nexmarkEvent } from '../nexmark/generator.js';
import { nexmarkQuery } from '../nexmark/queries.js';
import { checksumSink } from './checksum-sink.js';

const n = Number(process.env.WEIR_BENCH_N ?? 1_000_000);
const query = (process.env.WEIR_NEXMARK_QUERY ?? 'q1') as QueryId;
const P = 2;
if (!QUERIES.includes(query)) throw new Error(`WEIR_NEXMARK_QUERY=${String(query)}: unknown query. Fix: one of ${QUERIES.join(', ')}`);

export default topology(`bench-nexmark-${query}`, (t) => {
  const events = t.source('events', generator({ count: n, value: nexmarkEvent }), { parallelism: P });
  nexmarkQuery(query, events, P, (s) => s.sink('out', checksumSink(query) as SinkConnector<never>, { parallelism: P }));
});
