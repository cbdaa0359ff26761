// vitest globalSetup: make sure a real Kafka broker answers on 127.0.0.1:9092
// (or WEIR_KAFKA_PORT) before any test file runs (see test/services/kafka.mjs).
//
// A broker this setup starts is stopped at the end of the run (teardown), so
// a test run leaves no JVM behind; WEIR_KEEP_KAFKA=1 keeps it running for the
// next run (saves the JVM start; `npm run kafka:stop` stops it later). A
// broker that was already running (`npm run kafka:start`, another checkout's,
// a CI service) is never stopped here. Two runs at once may share a broker
// one of them started: each registers in .kafka/.../suite-runs/<pid>, and
// the last one out stops it.
//
// The broker list is handed to tests via vitest's provide/inject as
// 'kafkaBrokers' and also via process.env.WEIR_TEST_KAFKA_BROKERS (not
// KAFKA_BROKERS: that one switches the reference job to Kafka, and the
// embedded-default tests must not inherit it).
import fs from 'node:fs';
import path from 'node:path';
import { startKafka, stopKafka, BROKER_DIR, KAFKA_BROKERS, STARTED_BY_SUITE } from './kafka.mjs';

const RUNS_DIR = path.join(BROKER_DIR, 'suite-runs');

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** Pids of other live test runs registered on this broker (stale entries removed). */
function otherRuns() {
  let names = [];
  try {
    names = fs.readdirSync(RUNS_DIR);
  } catch {
    return [];
  }
  const live = [];
  for (const name of names) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (Number.isInteger(pid) && alive(pid)) live.push(pid);
    else fs.rmSync(path.join(RUNS_DIR, name), { force: true });
  }
  return live;
}

export default async function setup(project) {
  const result = await startKafka();
  process.env.WEIR_TEST_KAFKA_BROKERS ??= KAFKA_BROKERS;
  project?.provide?.('kafkaBrokers', KAFKA_BROKERS);
  if (result.started) fs.writeFileSync(STARTED_BY_SUITE, `${process.pid}\n`);
  fs.mkdirSync(RUNS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RUNS_DIR, String(process.pid)), '');

  return async function teardown() {
    fs.rmSync(path.join(RUNS_DIR, String(process.pid)), { force: true });
    if (!fs.existsSync(STARTED_BY_SUITE)) return; // not ours to stop
    if (process.env.WEIR_KEEP_KAFKA === '1') {
      process.stderr.write(`[kafka] WEIR_KEEP_KAFKA=1: leaving the broker on ${KAFKA_BROKERS} running (npm run kafka:stop stops it)\n`);
      return;
    }
    const others = otherRuns();
    if (others.length > 0) {
      process.stderr.write(`[kafka] leaving the broker on ${KAFKA_BROKERS} to the test run(s) still using it (pid ${others.join(', ')})\n`);
      return;
    }
    await stopKafka();
  };
}
