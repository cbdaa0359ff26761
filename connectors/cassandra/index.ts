import { cassandraSink } from './sink.js';

export type { CassandraSinkOptions, Consistency } from './sink.js';

/**
 * Cassandra connectors (cassandra-driver, loaded on first use):
 * `cassandra.sink({ contactPoints, localDataCenter, keyspace, statement, params })`,
 * effectively-once for idempotent upserts (see sink.ts).
 */
export const cassandra = { sink: cassandraSink };
