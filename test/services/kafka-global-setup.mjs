// vitest globalSetup: make sure a real Kafka broker answers on 127.0.0.1:9092
// before any test file runs (see test/services/kafka.mjs).
//
// Choice: a broker this setup starts is LEFT RUNNING after the run, so reruns
// (watch mode, the next `vitest run`, CI's later steps) skip the ~5 s JVM
// start; `npm run kafka:stop` (node test/services/kafka.mjs stop) stops it.
// Set WEIR_KAFKA_STOP_AFTER=1 to stop it at teardown instead. A broker that
// was already running (started by someone else, or by an earlier run) is never
// stopped here.
//
// The broker list is handed to tests via vitest's provide/inject as
// 'kafkaBrokers' and also via process.env.WEIR_TEST_KAFKA_BROKERS (not
// KAFKA_BROKERS: that one switches the reference job to Kafka, and the
// embedded-default tests must not inherit it).
import { startKafka, stopKafka, KAFKA_BROKERS } from './kafka.mjs';

export default async function setup(project) {
  const result = await startKafka();
  process.env.WEIR_TEST_KAFKA_BROKERS ??= KAFKA_BROKERS;
  project?.provide?.('kafkaBrokers', KAFKA_BROKERS);
  if (result.started && process.env.WEIR_KAFKA_STOP_AFTER === '1') {
    return async function teardown() {
      await stopKafka();
    };
  }
  return undefined;
}
