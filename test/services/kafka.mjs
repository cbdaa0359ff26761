#!/usr/bin/env node
// A real, single-node Apache Kafka broker for weir's tests and examples.
//
//   node test/services/kafka.mjs start    # download (once), format (once), start, wait until it answers
//   node test/services/kafka.mjs status   # exit 0 when a broker answers on 127.0.0.1:9092, 1 otherwise
//   node test/services/kafka.mjs stop     # stop the broker this script started (pid file)
//
// Also importable: `startKafka()`, `stopKafka()`, `kafkaRunning()` (used by
// test/services/kafka-global-setup.mjs), and `startPrivateKafka()` /
// `stopPrivateKafka()`: a second broker on other ports with its own directory
// (same jars), for tests that stop and restart a broker (see below).
//
// How: Apache Kafka (default 4.4.0, the newest 4.x on Maven Central on
// 2026-11-29; 3.9.x with WEIR_KAFKA_VERSION=3.9.1) is fetched from Maven
// Central with `mvn dependency:copy-dependencies` (a generated pom), so the
// only requirements are `java` (17) and `mvn` on PATH. Kafka 4 logs through
// log4j2 (log4j2.properties), 3.x through reload4j (log4j.properties). One
// KRaft process is both broker and controller: PLAINTEXT on 127.0.0.1:9092,
// CONTROLLER on 127.0.0.1:9093. Everything lives in `.kafka/` at the repo
// root (git-ignored):
//
//   .kafka/jars/<version>/ (pom.xml, the jars, a .complete marker), one per version
//   .kafka/server.properties, .kafka/log4j*.properties, .kafka/cluster-id
//   .kafka/data/ (KRaft metadata + topic logs), .kafka/data.version (the Kafka version that
//     formatted it: data of another version is wiped), .kafka/kafka.pid,
//   .kafka/kafka.log (the broker's output, truncated on each start),
//   .kafka/started-by-suite, .kafka/suite-runs/ (see kafka-global-setup.mjs)
//   (with WEIR_KAFKA_PORT=<p>: the same files in .kafka/broker-<p>/)
//
// Readiness is a real Kafka request (ApiVersions, then Metadata v4 that must
// list at least one broker), spoken with node builtins only: no client library.
//
// Environment knobs (all optional):
//   WEIR_KAFKA_VERSION          only try this Kafka version (default: 4.4.0, then 4.3.1)
//   WEIR_KAFKA_PORT             the broker's port (default 9092); also where the tests look
//   WEIR_KAFKA_CONTROLLER_PORT  its KRaft controller's port (default WEIR_KAFKA_PORT + 1)
//   WEIR_KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (default 90)
//   WEIR_KAFKA_HEAP             JVM heap flags (default "-Xms256m -Xmx512m")

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimPidFile, exchange, findOurProcess, isAlive, isOurProcess, logTail, portInUse as portAnswers, readPidFile, readText, serviceMain, sleep, terminate as stopProcess, withLock as withFileLock } from './service-process.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const KAFKA_DIR = path.join(REPO_ROOT, '.kafka');
export const KAFKA_HOST = '127.0.0.1';
/** Private brokers (startPrivateKafka) take port pairs from here; the main broker's ports must lie outside. */
const PRIVATE_FIRST_PORT = 19092;
const PRIVATE_PAIRS = 50;

function portFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(`${name}=${raw} is not a port. Fix: an integer in 1024..65535, e.g. ${name}=29092`);
  }
  if (port >= PRIVATE_FIRST_PORT && port < PRIVATE_FIRST_PORT + 2 * PRIVATE_PAIRS) {
    throw new Error(`${name}=${raw} lies in ${PRIVATE_FIRST_PORT}..${PRIVATE_FIRST_PORT + 2 * PRIVATE_PAIRS - 1}, where the tests start private brokers. Fix: another port, e.g. 29092`);
  }
  return port;
}

export const KAFKA_PORT = portFromEnv('WEIR_KAFKA_PORT', 9092);
export const CONTROLLER_PORT = portFromEnv('WEIR_KAFKA_CONTROLLER_PORT', KAFKA_PORT + 1);
export const KAFKA_BROKERS = `${KAFKA_HOST}:${KAFKA_PORT}`;
/** This broker's files: .kafka/ for the usual port, .kafka/broker-<port>/ for another. */
export const BROKER_DIR = KAFKA_PORT === 9092 ? KAFKA_DIR : path.join(KAFKA_DIR, `broker-${KAFKA_PORT}`);

const JARS_DIR = path.join(KAFKA_DIR, 'jars');
/** Present while the broker on this port was started by a test run, which stops it at its end (kafka-global-setup.mjs). */
export const STARTED_BY_SUITE = path.join(BROKER_DIR, 'started-by-suite');
const PROPS_FILE = path.join(BROKER_DIR, 'server.properties');
const LOG_FILE = path.join(BROKER_DIR, 'kafka.log');
const PID_FILE = path.join(BROKER_DIR, 'kafka.pid');
const LOCK_FILE = path.join(KAFKA_DIR, 'start.lock');
const NODE_ID = 1;

/** Ports and files of one broker: the main one (DEFAULT_LAYOUT) or a private one (privateLayout). */
function layout({ port, controllerPort, dir, propsFile, logFile }) {
  return {
    port,
    controllerPort,
    brokers: `${KAFKA_HOST}:${port}`,
    dir,
    dataDir: path.join(dir, 'data'),
    // Which Kafka version formatted dataDir (outside it: the broker owns what is inside).
    dataVersionFile: path.join(dir, 'data.version'),
    propsFile,
    logFile,
    clusterIdFile: path.join(dir, 'cluster-id'),
  };
}
const DEFAULT_LAYOUT = layout({ port: KAFKA_PORT, controllerPort: CONTROLLER_PORT, dir: BROKER_DIR, propsFile: PROPS_FILE, logFile: LOG_FILE });

/** The newest 4.x on Maven Central (org.apache.kafka:kafka_2.13, checked 2026-11-29), then the one before. */
export const DEFAULT_KAFKA_VERSIONS = ['4.4.0', '4.3.1'];
const KAFKA_VERSIONS = process.env.WEIR_KAFKA_VERSION ? [process.env.WEIR_KAFKA_VERSION] : DEFAULT_KAFKA_VERSIONS;
const DEPENDENCY_PLUGIN_VERSION = '3.8.1';

/**
 * How a Kafka version logs: 4.x through log4j2 (its binding for slf4j 1.7, which
 * Kafka 4 still uses), 3.x through reload4j. Output goes to stdout (the log file).
 */
function logging(version) {
  const major = Number.parseInt(version, 10);
  if (major >= 4) {
    const quiet = ['kafka.request.logger', 'kafka.log.LogCleaner', 'state.change.logger', 'kafka.authorizer.logger', 'org.apache.kafka.clients', 'org.apache.kafka.common.utils.AppInfoParser', 'kafka.server.KafkaConfig', 'org.apache.kafka.common.config.AbstractConfig'];
    return {
      // Kafka 4.x ships log4j 2.24/2.25; its slf4j-api is 1.7.36, so the binding is log4j-slf4j-impl (not -slf4j2-).
      deps: [
        ['org.apache.logging.log4j', 'log4j-slf4j-impl', '2.25.3'],
        ['org.apache.logging.log4j', 'log4j-core', '2.25.3'],
      ],
      file: 'log4j2.properties',
      flag: (file) => `-Dlog4j2.configurationFile=file:${file}`,
      config: (logFile) => `# generated by test/services/kafka.mjs: everything to stdout, which is ${path.basename(logFile)}
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
${quiet.map((name, i) => `logger.q${i}.name = ${name}\nlogger.q${i}.level = WARN`).join('\n')}
`,
    };
  }
  return {
    // Kafka 3.9 is built against slf4j 1.7.36 and reload4j 1.2.25.
    deps: [
      ['org.slf4j', 'slf4j-reload4j', '1.7.36'],
      ['ch.qos.reload4j', 'reload4j', '1.2.25'],
    ],
    file: 'log4j.properties',
    flag: (file) => `-Dlog4j.configuration=file:${file}`,
    config: (logFile) => `# generated by test/services/kafka.mjs: everything to stdout, which is ${path.basename(logFile)}
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN
log4j.logger.kafka.server.KafkaConfig=WARN
log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN
`,
  };
}

const MAVEN_TIMEOUT_MS = 10 * 60_000;
const FORMAT_TIMEOUT_MS = 2 * 60_000;
const START_TIMEOUT_MS = Number(process.env.WEIR_KAFKA_START_TIMEOUT ?? 90) * 1000;
const STOP_GRACE_MS = 15_000;
const LOCK_TIMEOUT_MS = MAVEN_TIMEOUT_MS + START_TIMEOUT_MS + 60_000;

// ---------------------------------------------------------------------------
// small helpers (the process handling shared with cassandra.mjs is in service-process.mjs)

function log(msg) {
  process.stderr.write(`[kafka] ${msg}\n`);
}

class KafkaServiceError extends Error {
  constructor(message) {
    super(message);
    this.name = 'KafkaServiceError';
  }
}

function fail(message, { withLog = true, logFile = LOG_FILE } = {}) {
  let text = message;
  if (withLog) {
    const tail = logTail(logFile, 40);
    if (tail) text += `\n--- last lines of ${path.relative(REPO_ROOT, logFile)} ---\n${tail}\n--- end ---`;
  }
  throw new KafkaServiceError(text);
}

function onPath(cmd) {
  const r = spawnSync(cmd, ['-version'], { stdio: 'ignore' });
  return !r.error;
}

/** Our broker's command line: kafka.Kafka with *our* server.properties. */
const isBrokerArgs = (args) => args.includes('kafka.Kafka') && args.includes(PROPS_FILE);
/** True when pid is a Kafka broker started with *our* server.properties. */
const isOurBroker = (pid) => isOurProcess(pid, isBrokerArgs);
const readPid = () => readPidFile(PID_FILE);
/** Our broker's pid: from the pid file, else by scanning /proc (lost pid file). */
const findOurBroker = () => findOurProcess(PID_FILE, isBrokerArgs);
const portInUse = (port, host = KAFKA_HOST) => portAnswers(host, port);
/** Hold .kafka/start.lock, so that two starts at once (e.g. two vitest runs) do not race. */
const withLock = (fn) => withFileLock(LOCK_FILE, fn, { timeoutMs: LOCK_TIMEOUT_MS, log, fail: (message) => fail(message, { withLog: false }) });
/** SIGTERM, SIGKILL after STOP_GRACE_MS; true once the pid is gone. */
const terminate = (pid) => stopProcess(pid, { graceMs: STOP_GRACE_MS, killWaitMs: 5000, log });

// ---------------------------------------------------------------------------
// the Kafka wire protocol, just enough for a readiness probe

function kafkaString(s) {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** Request header v1 (api_key, api_version, correlation_id, client_id) + body, size-prefixed. */
function encodeRequest(apiKey, apiVersion, correlationId, body) {
  const header = Buffer.alloc(8);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  const payload = Buffer.concat([header, kafkaString('weir-kafka-probe'), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

/**
 * Send requests one after another on one connection; resolve with the raw
 * response bodies (after the size prefix). Rejects on any socket error or timeout.
 */
function kafkaExchange(requests, { host = KAFKA_HOST, port = KAFKA_PORT, timeoutMs = 3000 } = {}) {
  const readFrame = (buffer) => {
    if (buffer.length < 4) return null;
    const size = buffer.readInt32BE(0);
    return buffer.length < 4 + size ? null : { response: buffer.subarray(4, 4 + size), length: 4 + size };
  };
  return exchange(requests, { host, port, timeoutMs, readFrame });
}

/**
 * Ask the broker for ApiVersions (v0) and Metadata (v4, no topics).
 * Resolves with { brokers: [{nodeId, host, port}], clusterId, controllerId }
 * or rejects when the broker does not answer properly.
 */
export async function probeKafka(opts = {}) {
  const apiVersions = encodeRequest(18, 0, 1, Buffer.alloc(0));
  // Metadata v4 body: topics = [] (int32 0), allow_auto_topic_creation = false
  const metadata = encodeRequest(3, 4, 2, Buffer.from([0, 0, 0, 0, 0]));
  const [av, md] = await kafkaExchange([apiVersions, metadata], opts);

  if (av.readInt32BE(0) !== 1) throw new Error('ApiVersions: wrong correlation id');
  const avError = av.readInt16BE(4);
  if (avError !== 0) throw new Error(`ApiVersions: error code ${avError}`);
  const generation = kafkaGeneration(av);

  if (md.readInt32BE(0) !== 2) throw new Error('Metadata: wrong correlation id');
  let o = 4 + 4; // correlation id, throttle_time_ms
  const readStr = () => {
    const len = md.readInt16BE(o);
    o += 2;
    if (len < 0) return null;
    const s = md.toString('utf8', o, o + len);
    o += len;
    return s;
  };
  const brokerCount = md.readInt32BE(o);
  o += 4;
  const brokers = [];
  for (let i = 0; i < brokerCount; i++) {
    const nodeId = md.readInt32BE(o);
    o += 4;
    const host = readStr();
    const port = md.readInt32BE(o);
    o += 4;
    readStr(); // rack
    brokers.push({ nodeId, host, port });
  }
  const clusterId = readStr();
  const controllerId = md.readInt32BE(o);
  if (brokers.length === 0) throw new Error('Metadata: broker lists no brokers yet');
  return { brokers, clusterId, controllerId, generation };
}

/** The request versions the broker on `port` serves: { [apiKey]: [min, max] } (ApiVersions v0). */
export async function brokerApiVersions(opts = {}) {
  const [av] = await kafkaExchange([encodeRequest(18, 0, 1, Buffer.alloc(0))], opts);
  const avError = av.readInt16BE(4);
  if (avError !== 0) throw new Error(`ApiVersions: error code ${avError}`);
  const versions = {};
  const count = av.readInt32BE(6);
  for (let i = 0, o = 10; i < count; i++, o += 6) versions[av.readInt16BE(o)] = [av.readInt16BE(o + 2), av.readInt16BE(o + 4)];
  return versions;
}

/**
 * '4.x' or '3.x' from an ApiVersions v0 response: Kafka 4.0 removed Fetch v0-v3
 * (KIP-896), so a broker whose oldest Fetch is v4 or later is a 4.x one.
 */
function kafkaGeneration(av) {
  const count = av.readInt32BE(6);
  for (let i = 0, o = 10; i < count; i++, o += 6) {
    if (av.readInt16BE(o) === 1) return av.readInt16BE(o + 2) >= 4 ? '4.x' : '3.x';
  }
  return 'unknown';
}

/** True when a Kafka broker answers ApiVersions + Metadata on 127.0.0.1:KAFKA_PORT. */
export async function kafkaRunning() {
  try {
    await probeKafka();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// download

function pomXml(kafkaVersion) {
  const dep = ([g, a, v]) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by test/services/kafka.mjs: fetches an Apache Kafka broker's runtime classpath -->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>weir.test</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${[['org.apache.kafka', 'kafka_2.13', kafkaVersion], ...logging(kafkaVersion).deps].map(dep).join('\n')}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEPENDENCY_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

const jarsDir = (version) => path.join(JARS_DIR, version);

/** True when the jars of `version` are complete in .kafka/jars/<version>/. */
function haveJars(version) {
  const dir = jarsDir(version);
  return readText(path.join(dir, '.complete')) !== null && fs.existsSync(path.join(dir, `kafka_2.13-${version}.jar`));
}

/** The version of the broker this script started on KAFKA_PORT: the one that formatted its data. */
function runningVersion() {
  return readText(DEFAULT_LAYOUT.dataVersionFile);
}

/** The version a start uses: the first of KAFKA_VERSIONS already fetched, else null (fetch one). */
function installedKafkaVersion() {
  return KAFKA_VERSIONS.find(haveJars) ?? null;
}

function runMaven(args, timeoutMs, cwd) {
  return new Promise((resolve) => {
    const child = spawn('mvn', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n(mvn killed after ${timeoutMs / 1000} s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, out: `${out}\n${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** The Kafka version to run, its jars fetched from Maven Central when missing (call under the lock). */
async function ensureLibs() {
  const have = installedKafkaVersion();
  if (have) return have;
  if (!onPath('mvn')) fail('`mvn` (Apache Maven) is not on PATH; it is needed once to fetch Kafka from Maven Central', { withLog: false });
  const errors = [];
  for (const version of KAFKA_VERSIONS) {
    const dir = jarsDir(version);
    log(`fetching Apache Kafka ${version} (kafka_2.13 + ${logging(version).deps.map((d) => d[1]).join(' + ')}) from Maven Central into ${path.relative(REPO_ROOT, dir)}/ ...`);
    const t0 = Date.now();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'pom.xml'), pomXml(version));
    const { code, out } = await runMaven(
      ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${dir}`],
      MAVEN_TIMEOUT_MS,
      dir,
    );
    if (code === 0 && fs.existsSync(path.join(dir, `kafka_2.13-${version}.jar`))) {
      const jars = fs.readdirSync(dir).filter((f) => f.endsWith('.jar'));
      fs.writeFileSync(path.join(dir, '.complete'), `${version}\n${new Date().toISOString()}\n`);
      log(`fetched Kafka ${version}: ${jars.length} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return version;
    }
    errors.push(`Kafka ${version}: mvn exited ${code}\n${out.trim().split('\n').slice(-25).join('\n')}`);
    log(`Kafka ${version} could not be fetched (mvn exit ${code})`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fail(`could not fetch Apache Kafka from Maven Central:\n${errors.join('\n\n')}`, { withLog: false });
}

// ---------------------------------------------------------------------------
// configuration and storage

function serverProperties(b = DEFAULT_LAYOUT) {
  return `# generated by test/services/kafka.mjs (rewritten on every start)
process.roles=broker,controller
node.id=${NODE_ID}
controller.quorum.voters=${NODE_ID}@${KAFKA_HOST}:${b.controllerPort}
listeners=PLAINTEXT://${KAFKA_HOST}:${b.port},CONTROLLER://${KAFKA_HOST}:${b.controllerPort}
advertised.listeners=PLAINTEXT://${KAFKA_HOST}:${b.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${b.dataDir}
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
delete.topic.enable=true
${b.extraProperties ?? ''}`;
}

/** Writes the logging config of `version` for broker `b`; returns the JVM flag that points at it. */
function writeLogConfig(version, b = DEFAULT_LAYOUT) {
  const l = logging(version);
  const file = path.join(b.dir, l.file);
  fs.writeFileSync(file, l.config(b.logFile));
  return l.flag(file);
}

function newClusterId() {
  // Kafka's Uuid: 16 random bytes, base64url without padding; avoid a leading '-'.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function readMetaProperties(b = DEFAULT_LAYOUT) {
  const text = readText(path.join(b.dataDir, 'meta.properties'));
  if (text === null) return null;
  const props = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([^#=\s]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) props[m[1]] = m[2];
  }
  return props;
}

function javaBase(version, b = DEFAULT_LAYOUT) {
  const heap = (process.env.WEIR_KAFKA_HEAP ?? '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    writeLogConfig(version, b),
    `-Dkafka.logs.dir=${b.dir}`,
    '-cp',
    `${jarsDir(version)}${path.sep}*`,
  ];
}

function runJava(args, timeoutMs, cwd = BROKER_DIR) {
  const r = spawnSync('java', args, { cwd, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}` };
}

/**
 * Make sure .kafka/data (or a private broker's data dir) is formatted for our cluster id and
 * node id by `version`: data of another version is wiped (3.9 cannot read what 4.x formatted,
 * and a test broker's topics are disposable).
 */
function ensureStorage(version, b = DEFAULT_LAYOUT) {
  let clusterId = readText(b.clusterIdFile);
  const formattedBy = readText(b.dataVersionFile);
  if (readMetaProperties(b) && formattedBy !== version) {
    log(`${path.relative(REPO_ROOT, b.dataDir)}/ was formatted by Kafka ${formattedBy ?? '(unknown)'}, not ${version}: wiping it`);
    fs.rmSync(b.dataDir, { recursive: true, force: true });
  }
  const meta = readMetaProperties(b);
  if (meta) {
    const matches = meta['cluster.id'] && String(meta['node.id']) === String(NODE_ID);
    if (matches && !clusterId) {
      clusterId = meta['cluster.id']; // adopt the existing storage (cluster-id file lost)
      fs.writeFileSync(b.clusterIdFile, `${clusterId}\n`);
    } else if (!matches || meta['cluster.id'] !== clusterId) {
      log(`${path.relative(REPO_ROOT, b.dataDir)}/ was formatted for another cluster (cluster.id=${meta['cluster.id']}, node.id=${meta['node.id']}): wiping it`);
      fs.rmSync(b.dataDir, { recursive: true, force: true });
    } else {
      return clusterId; // already formatted for us
    }
  }
  if (!clusterId) {
    clusterId = newClusterId();
    fs.writeFileSync(b.clusterIdFile, `${clusterId}\n`);
  }
  if (readMetaProperties(b)) return clusterId;

  const format = () =>
    runJava(
      [...javaBase(version, b), 'kafka.tools.StorageTool', 'format', '--config', b.propsFile, '--cluster-id', clusterId, '--ignore-formatted'],
      FORMAT_TIMEOUT_MS,
      b.dir,
    );
  log(`formatting KRaft storage in ${path.relative(REPO_ROOT, b.dataDir)}/ (cluster id ${clusterId})`);
  fs.mkdirSync(b.dataDir, { recursive: true });
  let r = format();
  if (r.code !== 0) {
    log(`format failed (exit ${r.code}); wiping ${path.relative(REPO_ROOT, b.dataDir)}/ and trying once more`);
    fs.rmSync(b.dataDir, { recursive: true, force: true });
    fs.mkdirSync(b.dataDir, { recursive: true });
    r = format();
  }
  if (r.code !== 0) fail(`kafka-storage format failed (exit ${r.code}):\n${r.out.trim()}`, { withLog: false });
  fs.writeFileSync(b.dataVersionFile, `${version}\n`);
  return clusterId;
}

// ---------------------------------------------------------------------------
// start / stop

async function waitUntilReady(pid, exited, timeoutMs, b = DEFAULT_LAYOUT) {
  const t0 = Date.now();
  let lastError = null;
  let lastReport = t0;
  while (Date.now() - t0 < timeoutMs) {
    if (exited.code !== undefined || !isAlive(pid)) {
      fail(`Kafka broker (pid ${pid}) exited during startup${exited.code !== undefined ? ` with ${exited.code}` : ''}`, { logFile: b.logFile });
    }
    try {
      const info = await probeKafka({ port: b.port, timeoutMs: 2000 });
      return info;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - lastReport >= 10_000) {
      log(`still waiting for the broker (${Math.round((Date.now() - t0) / 1000)} s): ${lastError?.message}`);
      lastReport = Date.now();
    }
    await sleep(300);
  }
  fail(`Kafka broker (pid ${pid}) did not answer on ${b.brokers} within ${timeoutMs / 1000} s (last error: ${lastError?.message})`, { logFile: b.logFile });
}

/**
 * Ensure a broker answers on 127.0.0.1:9092. Reuses one that already answers.
 * Resolves with { started: boolean, pid: number|null, brokers: '127.0.0.1:9092', version, ms }.
 * Throws KafkaServiceError (with the tail of .kafka/kafka.log) on failure.
 */
export async function startKafka() {
  const t0 = Date.now();
  fs.mkdirSync(KAFKA_DIR, { recursive: true });
  return withLock(async () => {
    const running = await probeKafka().catch(() => null);
    if (running) {
      const pid = findOurBroker();
      const wanted = `${Number.parseInt(KAFKA_VERSIONS[0], 10)}.x`;
      log(`broker already answers on ${KAFKA_BROKERS}${pid ? ` (pid ${pid})` : ' (not started by this script)'}, a Kafka ${running.generation} broker; reusing it`);
      if (running.generation !== wanted) log(`note: Kafka ${KAFKA_VERSIONS[0]} was asked for; to test it without stopping this broker, set WEIR_KAFKA_PORT to a free port (e.g. 29092)`);
      return { started: false, pid, brokers: KAFKA_BROKERS, version: pid ? runningVersion() : null, ms: Date.now() - t0 };
    }

    // Our broker may be alive but still starting (or wedged): give it the usual time, then replace it.
    const existing = findOurBroker();
    if (existing !== null) {
      log(`broker pid ${existing} is running but not answering yet; waiting for it`);
      try {
        await waitUntilReady(existing, {}, START_TIMEOUT_MS);
        fs.writeFileSync(PID_FILE, `${existing}\n`);
        log(`broker pid ${existing} is ready on ${KAFKA_BROKERS}`);
        return { started: false, pid: existing, brokers: KAFKA_BROKERS, version: runningVersion(), ms: Date.now() - t0 };
      } catch (err) {
        log(`broker pid ${existing} never became ready; stopping it and starting afresh`);
        await terminate(existing);
      }
    } else if (readPid() !== null) {
      log(`removing stale pid file (pid ${readPid()} is gone or is not our broker)`);
      fs.rmSync(PID_FILE, { force: true });
    }

    for (const port of [KAFKA_PORT, CONTROLLER_PORT]) {
      if (await portInUse(port)) {
        fail(`port ${KAFKA_HOST}:${port} is taken by something that is not a working Kafka broker; free it and retry`, { withLog: false });
      }
    }
    if (!onPath('java')) fail('`java` (17+) is not on PATH; the Kafka broker needs it', { withLog: false });

    const version = await ensureLibs();
    fs.mkdirSync(BROKER_DIR, { recursive: true });
    fs.writeFileSync(PROPS_FILE, serverProperties());
    const clusterId = ensureStorage(version);

    log(`starting Kafka ${version} (KRaft broker+controller) on ${KAFKA_BROKERS}, log in ${path.relative(REPO_ROOT, LOG_FILE)}`);
    const out = fs.openSync(LOG_FILE, 'w');
    fs.writeSync(out, `# kafka.mjs: starting Kafka ${version}, cluster ${clusterId}, at ${new Date().toISOString()}\n`);
    const child = spawn('java', [...javaBase(version), 'kafka.Kafka', PROPS_FILE], {
      cwd: BROKER_DIR,
      detached: true,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const exited = {};
    child.on('exit', (code, signal) => (exited.code = code ?? signal));
    child.on('error', (err) => (exited.code = err.message));
    child.unref();
    if (!child.pid) fail('could not spawn java');
    fs.writeFileSync(PID_FILE, `${child.pid}\n`);

    try {
      const info = await waitUntilReady(child.pid, exited, START_TIMEOUT_MS);
      const ms = Date.now() - t0;
      log(`Kafka ${version} is ready on ${KAFKA_BROKERS} (pid ${child.pid}, cluster ${info.clusterId}) after ${(ms / 1000).toFixed(1)} s`);
      return { started: true, pid: child.pid, brokers: KAFKA_BROKERS, version, ms };
    } catch (err) {
      await terminate(child.pid);
      fs.rmSync(PID_FILE, { force: true });
      // Should not happen under the lock, but if some other broker won the port meanwhile, use it.
      if (await kafkaRunning()) {
        log(`our broker failed, but another broker answers on ${KAFKA_BROKERS}; using that one`);
        return { started: false, pid: findOurBroker(), brokers: KAFKA_BROKERS, version, ms: Date.now() - t0 };
      }
      throw err;
    }
  });
}

/**
 * Stop the broker that this script started (pid file, or found by its
 * command line). Never touches a broker it did not start.
 * Resolves with { stopped: boolean, pid: number|null }.
 */
export async function stopKafka() {
  fs.rmSync(STARTED_BY_SUITE, { force: true });
  const pid = findOurBroker();
  if (pid === null) {
    if (readPid() !== null) log(`pid file names pid ${readPid()}, which is not our broker; removing the stale pid file`);
    fs.rmSync(PID_FILE, { force: true });
    if (await kafkaRunning()) log(`a broker answers on ${KAFKA_BROKERS} but was not started by this script; leaving it alone`);
    else log('no broker running');
    return { stopped: false, pid: null };
  }
  log(`stopping Kafka broker pid ${pid} (SIGTERM, SIGKILL after ${STOP_GRACE_MS / 1000} s)`);
  const t0 = Date.now();
  const ok = await terminate(pid);
  fs.rmSync(PID_FILE, { force: true });
  if (!ok) fail(`could not stop pid ${pid}`);
  log(`stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { stopped: true, pid };
}

// ---------------------------------------------------------------------------
// a private broker: other ports, its own directory, owned by the calling process

/**
 * Private brokers take a pair of ports port/port+1 from 19092/19093, 19094/19095, ...:
 * fixed, and below Linux's ephemeral range (32768+), so no client socket can take
 * a private broker's port while it is down for a test.
 */
/** Files of a private broker in `dir`; the properties file name carries the port (see killPrivateBrokers). */
function privateLayout({ port, dir }) {
  return {
    ...layout({ port, controllerPort: port + 1, dir, propsFile: path.join(dir, `server-${port}.properties`), logFile: path.join(dir, 'kafka.log') }),
    // After a crash (SIGKILL) the restarted broker cannot register with its controller until the
    // dead incarnation's session expires (DUPLICATE_BROKER_REGISTRATION): 9 s by default, 1.5 s here.
    extraProperties: 'broker.heartbeat.interval.ms=500\nbroker.session.timeout.ms=1500\n',
  };
}

/**
 * `<tmpdir>/weir-kafka-private-<port>.owner` holds the pid of the process that owns the ports
 * port/port+1: machine-wide, so test runs of two checkouts never take the same pair.
 */
const ownerFile = (port) => path.join(os.tmpdir(), `weir-kafka-private-${port}.owner`);

/** SIGKILL every private broker on `port` (its properties file is <dir>/server-<port>.properties). */
function killPrivateBrokers(port) {
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const args = (readText(`/proc/${entry}/cmdline`) ?? '').split('\0');
    if (!args.includes('kafka.Kafka') || args.includes(PROPS_FILE)) continue;
    if (!args.some((a) => a.endsWith(`${path.sep}server-${port}.properties`))) continue;
    log(`killing private broker pid ${entry} on port ${port}, left by a process that is gone`);
    try {
      process.kill(Number(entry), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * Reserve ports port/port+1 for this process (so concurrent test runs never
 * share or kill each other's private broker). True when free or already ours;
 * a dead owner's reservation is taken over and its broker, if it outlived it, killed.
 */
function reservePorts(port) {
  const file = ownerFile(port);
  for (;;) {
    if (claimPidFile(file)) return true;
    const owner = Number.parseInt(readText(file) ?? '', 10);
    if (owner === process.pid) return true;
    if (Number.isInteger(owner) && isAlive(owner)) return false;
    // Dead owner: move its file aside atomically (of several takers only one does), then retry.
    const aside = `${file}.stale.${process.pid}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = Number.parseInt(readText(aside) ?? '', 10);
    if (moved !== owner && isAlive(moved)) {
      try {
        fs.linkSync(aside, file); // it changed hands meanwhile: put it back
      } catch {
        /* someone else holds it now */
      }
    } else {
      killPrivateBrokers(port);
    }
    fs.rmSync(aside, { force: true });
  }
}

/**
 * Start a second, private broker (KRaft, broker+controller) with everything in
 * `dir` (created; data in dir/data, its output appended to dir/kafka.log), on
 * 127.0.0.1:`port` with its controller on port+1. Without `port`, the first
 * free pair from 19092/19093 that no other live process owns is taken (owned
 * by this process until it exits or stopPrivateKafka(pid, { release: { port } })).
 * Uses the jars of .kafka/libs (fetched once, as for the shared broker).
 * Starting again with the same port and dir (after stopPrivateKafka) keeps the
 * cluster id, topics, offsets and transactions: a broker that went down and
 * came back. Resolves when the broker answers Metadata with { pid, brokers,
 * port, controllerPort, dir, logFile, version, ms }; throws KafkaServiceError.
 */
export async function startPrivateKafka({ port, dir, timeoutMs = START_TIMEOUT_MS }) {
  const t0 = Date.now();
  fs.mkdirSync(KAFKA_DIR, { recursive: true });
  if (port === undefined) {
    for (let k = 0; k < PRIVATE_PAIRS && port === undefined; k++) {
      const p = PRIVATE_FIRST_PORT + 2 * k;
      if (reservePorts(p) && !(await portInUse(p)) && !(await portInUse(p + 1))) port = p;
    }
    if (port === undefined) fail(`no free port pair for a private broker in ${PRIVATE_FIRST_PORT}..${PRIVATE_FIRST_PORT + 2 * PRIVATE_PAIRS - 1}`, { withLog: false });
  } else if (!Number.isInteger(port) || port < 1024 || [KAFKA_PORT, CONTROLLER_PORT].includes(port) || [KAFKA_PORT, CONTROLLER_PORT].includes(port + 1)) {
    fail(`a private broker needs ports of its own (got ${port}/${port + 1}; the shared broker has ${KAFKA_PORT}/${CONTROLLER_PORT})`, { withLog: false });
  } else if (!reservePorts(port)) {
    fail(`ports ${port}/${port + 1} belong to another live process (pid ${readText(ownerFile(port))}, ${ownerFile(port)})`, { withLog: false });
  }
  const b = privateLayout({ port, dir: path.resolve(dir) });
  fs.mkdirSync(b.dir, { recursive: true });
  for (const p of [port, port + 1]) {
    const until = Date.now() + 10_000; // a just-killed broker's ports free at once, but give them a moment
    while (await portInUse(p)) {
      if (Date.now() > until) fail(`port ${KAFKA_HOST}:${p} is taken; a private broker cannot start there`, { withLog: false });
      await sleep(200);
    }
  }
  if (!onPath('java')) fail('`java` (17+) is not on PATH; the Kafka broker needs it', { withLog: false });
  const version = installedKafkaVersion() ?? (await withLock(ensureLibs));
  fs.writeFileSync(b.propsFile, serverProperties(b));
  const clusterId = ensureStorage(version, b);
  const out = fs.openSync(b.logFile, 'a');
  fs.writeSync(out, `# kafka.mjs: starting private Kafka ${version}, cluster ${clusterId}, on ${b.brokers}, at ${new Date().toISOString()}\n`);
  const child = spawn('java', [...javaBase(version, b), 'kafka.Kafka', b.propsFile], { cwd: b.dir, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = {};
  child.on('exit', (code, signal) => (exited.code = code ?? signal));
  child.on('error', (err) => (exited.code = err.message));
  child.unref();
  if (!child.pid) fail('could not spawn java', { logFile: b.logFile });
  try {
    await waitUntilReady(child.pid, exited, timeoutMs, b);
  } catch (err) {
    await terminate(child.pid);
    throw err;
  }
  return { pid: child.pid, brokers: b.brokers, port, controllerPort: port + 1, dir: b.dir, logFile: b.logFile, version, ms: Date.now() - t0 };
}

/**
 * Stop a private broker: 'SIGKILL' (default) is a crash, the process gone at
 * once; 'SIGTERM' a clean shutdown (SIGKILL after 15 s). Resolves when the
 * process is gone (pid undefined: nothing to stop). `release: { port }` also
 * gives up this process's ports.
 */
export async function stopPrivateKafka(pid, { signal = 'SIGKILL', release } = {}) {
  if (pid !== undefined && isAlive(pid)) {
    if (signal === 'SIGTERM') {
      if (!(await terminate(pid))) fail(`could not stop pid ${pid}`, { withLog: false });
    } else {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      const until = Date.now() + 10_000;
      while (isAlive(pid)) {
        if (Date.now() > until) fail(`pid ${pid} survived SIGKILL for 10 s`, { withLog: false });
        await sleep(50);
      }
    }
  }
  if (release && readText(ownerFile(release.port)) === String(process.pid)) fs.rmSync(ownerFile(release.port), { force: true });
}

async function status() {
  const pid = findOurBroker();
  try {
    const info = await probeKafka();
    const who = pid ? `pid ${pid}` : 'not started by this script';
    console.log(`running: ${KAFKA_BROKERS} (${who}, cluster ${info.clusterId}, brokers ${info.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(',')}, Kafka ${pid ? runningVersion() ?? info.generation : info.generation})`);
    return 0;
  } catch (err) {
    console.log(pid ? `starting or unhealthy: pid ${pid} alive but ${KAFKA_BROKERS} does not answer (${err.message})` : `not running (${err.message})`);
    return 1;
  }
}

// ---------------------------------------------------------------------------
// CLI

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  serviceMain(
    'kafka',
    {
      start: async () => {
        await startKafka();
        fs.rmSync(STARTED_BY_SUITE, { force: true }); // started or adopted by hand: no test run stops it
      },
      stop: async () => {
        await stopKafka();
      },
      status: () => status(),
    },
    KafkaServiceError,
  );
}
