// vitest globalSetup: make sure a real Cassandra answers CQL on 127.0.0.1:9042
// before any test file runs (see test/services/cassandra.mjs).
//
// A node that was already running (`npm run cassandra:start`, an earlier run,
// someone else's) is reused and left alone; a node this setup started is
// stopped at teardown (SIGTERM: it drains), so `npm test` leaves the machine
// as it found it. Set WEIR_CASSANDRA_KEEP=1 to keep it for the next run.
//
// The contact point is handed to tests as 'cassandraContactPoint' (provide/inject)
// and process.env.WEIR_TEST_CASSANDRA.
import { startCassandra, stopCassandra, CASSANDRA_CONTACT_POINT } from './cassandra.mjs';

export default async function setup(project) {
  const result = await startCassandra();
  if (result.started) process.stderr.write(`[cassandra] started for the tests in ${(result.ms / 1000).toFixed(1)} s\n`);
  process.env.WEIR_TEST_CASSANDRA ??= CASSANDRA_CONTACT_POINT;
  project?.provide?.('cassandraContactPoint', CASSANDRA_CONTACT_POINT);
  if (result.started && process.env.WEIR_CASSANDRA_KEEP !== '1') {
    return async function teardown() {
      await stopCassandra();
    };
  }
  return undefined;
}
