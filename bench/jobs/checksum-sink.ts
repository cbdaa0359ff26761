/**
 * A sink that does no I/O for the Nexmark bench: it counts the query's
 * results and sums their hashes (bench/nexmark/checksum.ts, order
 * independent), and publishes one report per instance at close.
 */
import type { SinkConnector, SinkWriter } from 'weir';
import { MODULUS, recordHash, type QueryId } from '../nexmark/checksum.js';

export interface ChecksumReport {
  instance: number;
  count: number;
  checksum: number;
}

export function checksumSink(query: QueryId): SinkConnector<unknown> {
  const hash = recordHash[query] as (r: unknown) => number;
  return {
    role: 'sink',
    type: 'bench-checksum',
    guarantee: 'none',
    open(ctx): SinkWriter<unknown> {
      let count = 0;
      let checksum = 0;
      return {
        write(records) {
          count += records.length;
          for (let i = 0; i < records.length; i++) checksum = (checksum + hash(records[i])) % MODULUS;
        },
        close() {
          const report: ChecksumReport = { instance: ctx.instance, count, checksum };
          ctx.publish([report]);
        },
      };
    },
  };
}
