#!/usr/bin/env node
// A real, single-node Apache Cassandra 5.0 for weir's tests and examples.
//
//   node test/services/cassandra.mjs start    # fetch (once), start, wait until CQL answers; prints how long it took
//   node test/services/cassandra.mjs status   # exit 0 when CQL answers on 127.0.0.1:9042, 1 otherwise
//   node test/services/cassandra.mjs stop     # stop the node this script started (pid file; SIGTERM drains it)
//
// Also importable: startCassandra(), stopCassandra(), cassandraRunning(), probeCassandra()
// (test/services/cassandra-global-setup.mjs, and tests that stop and restart the node).
//
// How: org.apache.cassandra:cassandra-all 5.0.x and its ~100 runtime jars (66 MB)
// are fetched from Maven Central with `mvn dependency:copy-dependencies` (a
// generated pom in .cassandra/), so the only requirements are `java` (17) and
// `mvn`. One node (CassandraDaemon): CQL on 127.0.0.1:9042, storage (gossip)
// on 127.0.0.1:7000, no JMX. Everything lives in `.cassandra/` (git-ignored):
//
//   .cassandra/pom.xml, .cassandra/libs/ (jars + .complete marker naming the version)
//   .cassandra/cassandra.yaml, .cassandra/logback.xml (rewritten on every start)
//   .cassandra/data/ (data, commitlog, hints, saved caches), .cassandra/cassandra.pid,
//   .cassandra/cassandra.log (the node's output, truncated on each start)
//
// The commitlog syncs in `batch` mode: a write is acknowledged only once it is
// on disk, so a node killed with SIGKILL loses nothing it acknowledged (with
// the default `periodic` mode it loses up to a sync period of acked writes).
// Readiness is a real CQL round trip (the native protocol v4: OPTIONS, STARTUP,
// then `SELECT release_version FROM system.local`), spoken with node builtins.
//
// Environment knobs (all optional):
//   WEIR_CASSANDRA_VERSION        only try this version (default 5.0.6, then 5.0.5)
//   WEIR_CASSANDRA_START_TIMEOUT  seconds to wait for CQL (default 180: 2 shared cores start slowly)
//   WEIR_CASSANDRA_HEAP           JVM heap flags (default "-Xms512m -Xmx1g")

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exchange, findOurProcess, isAlive, logTail, portInUse as portAnswers, readText, serviceMain, sleep, terminate as stopProcess, withLock as withFileLock } from './service-process.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const CASSANDRA_DIR = path.join(REPO_ROOT, '.cassandra');
export const CASSANDRA_HOST = '127.0.0.1';
export const CASSANDRA_PORT = 9042;
export const STORAGE_PORT = 7000;
export const CASSANDRA_CONTACT_POINT = `${CASSANDRA_HOST}:${CASSANDRA_PORT}`;
/** The data center name of a single node with SimpleSnitch. */
export const CASSANDRA_DC = 'datacenter1';

const LIBS_DIR = path.join(CASSANDRA_DIR, 'libs');
const LIBS_MARKER = path.join(LIBS_DIR, '.complete');
const YAML_FILE = path.join(CASSANDRA_DIR, 'cassandra.yaml');
const LOGBACK_FILE = path.join(CASSANDRA_DIR, 'logback.xml');
const LOG_FILE = path.join(CASSANDRA_DIR, 'cassandra.log');
const PID_FILE = path.join(CASSANDRA_DIR, 'cassandra.pid');
const LOCK_FILE = path.join(CASSANDRA_DIR, 'start.lock');
const DATA_DIR = path.join(CASSANDRA_DIR, 'data');

const VERSIONS = process.env.WEIR_CASSANDRA_VERSION ? [process.env.WEIR_CASSANDRA_VERSION] : ['5.0.6', '5.0.5'];
const DEPENDENCY_PLUGIN_VERSION = '3.8.1';
const MAVEN_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = Number(process.env.WEIR_CASSANDRA_START_TIMEOUT ?? 180) * 1000;
const STOP_GRACE_MS = 60_000;
const LOCK_TIMEOUT_MS = MAVEN_TIMEOUT_MS + START_TIMEOUT_MS + 60_000;

const log = (msg) => process.stderr.write(`[cassandra] ${msg}\n`);

export class CassandraServiceError extends Error {
  name = 'CassandraServiceError';
}

function fail(message, { withLog = true, logFile = LOG_FILE } = {}) {
  const tail = withLog ? logTail(logFile, 40) : '';
  throw new CassandraServiceError(tail ? `${message}\n--- last lines of ${path.relative(REPO_ROOT, logFile)} ---\n${tail}\n--- end ---` : message);
}

/** A Cassandra node's command line with *our* cassandra.yaml. */
const isNodeArgs = (yamlFile) => (args) => args.includes(`-Dcassandra.config=file://${yamlFile}`);
/** Our node's pid: from the pid file, else by scanning /proc (lost pid file). */
const findOurNode = () => findOurProcess(PID_FILE, isNodeArgs(YAML_FILE));
const portInUse = (port) => portAnswers(CASSANDRA_HOST, port);
/** Hold .cassandra/start.lock, so that two starts at once (two vitest runs) do not race. */
const withLock = (fn) => withFileLock(LOCK_FILE, fn, { timeoutMs: LOCK_TIMEOUT_MS, log, fail: (message) => fail(message, { withLog: false }) });
/** `signal` (SIGTERM drains the node), SIGKILL after STOP_GRACE_MS; true once the pid is gone. */
const terminate = (pid, signal = 'SIGTERM') => stopProcess(pid, { signal, graceMs: STOP_GRACE_MS, killWaitMs: 10_000, log });

// ---------------------------------------------------------------------------
// the CQL native protocol (v4), just enough for a readiness probe

const OP = { ERROR: 0x00, STARTUP: 0x01, READY: 0x02, OPTIONS: 0x05, SUPPORTED: 0x06, QUERY: 0x07, RESULT: 0x08 };

function frame(stream, opcode, body) {
  const header = Buffer.alloc(9);
  header.writeUInt8(0x04, 0); // request, protocol v4
  header.writeUInt8(0, 1);
  header.writeInt16BE(stream, 2);
  header.writeUInt8(opcode, 4);
  header.writeInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}
const cqlString = (s) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};
const cqlLongString = (s) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
};

/** Send the frames one after another on one connection; resolve with the responses { opcode, body }. */
function cqlExchange(frames, { host = CASSANDRA_HOST, port = CASSANDRA_PORT, timeoutMs = 3000 } = {}) {
  const readFrame = (buffer) => {
    if (buffer.length < 9) return null;
    const length = buffer.readInt32BE(5);
    if (buffer.length < 9 + length) return null;
    const opcode = buffer.readUInt8(4);
    const body = buffer.subarray(9, 9 + length);
    if (opcode === OP.ERROR) {
      const code = body.readInt32BE(0);
      const msgLen = body.readUInt16BE(4);
      throw new Error(`CQL error 0x${code.toString(16)}: ${body.toString('utf8', 6, 6 + msgLen)}`);
    }
    return { response: { opcode, body }, length: 9 + length };
  };
  return exchange(frames, { host, port, timeoutMs, readFrame });
}

/**
 * OPTIONS, STARTUP and `SELECT release_version FROM system.local` over the
 * native protocol. Resolves with { version } or rejects when CQL does not answer.
 */
export async function probeCassandra(opts = {}) {
  const startup = Buffer.concat([Buffer.from([0, 1]), cqlString('CQL_VERSION'), cqlString('3.0.0')]);
  const query = Buffer.concat([cqlLongString('SELECT release_version FROM system.local'), Buffer.from([0, 1, 0])]); // consistency ONE, no flags
  const [supported, ready, result] = await cqlExchange([frame(1, OP.OPTIONS, Buffer.alloc(0)), frame(2, OP.STARTUP, startup), frame(3, OP.QUERY, query)], opts);
  if (supported.opcode !== OP.SUPPORTED) throw new Error(`OPTIONS answered with opcode ${supported.opcode}`);
  if (ready.opcode !== OP.READY) throw new Error(`STARTUP answered with opcode ${ready.opcode}`);
  if (result.opcode !== OP.RESULT) throw new Error(`QUERY answered with opcode ${result.opcode}`);
  // RESULT Rows: kind, flags, column count, [global table spec], columns (name + type option), row count, cells.
  const b = result.body;
  let o = 0;
  const int = () => ((o += 4), b.readInt32BE(o - 4));
  const str = () => {
    const n = b.readUInt16BE(o);
    o += 2 + n;
    return b.toString('utf8', o - n, o);
  };
  if (int() !== 2) throw new Error('QUERY: not a Rows result');
  const flags = int();
  const columns = int();
  if (flags & 0x0002) o += 4 + Math.max(0, b.readInt32BE(o)); // paging state ([bytes])
  if (flags & 0x0001) (str(), str());
  for (let i = 0; i < columns; i++) {
    if (!(flags & 0x0001)) (str(), str());
    str();
    o += 2; // type id (varchar: no options)
  }
  if (int() < 1) throw new Error('system.local has no row yet');
  const len = int();
  return { version: b.toString('utf8', o, o + len) };
}

/** True when CQL answers on 127.0.0.1:9042. */
export async function cassandraRunning() {
  try {
    await probeCassandra();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// download

function pomXml(version) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by test/services/cassandra.mjs: fetches Apache Cassandra's runtime classpath -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>weir.test</groupId>
  <artifactId>cassandra-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId><version>${version}</version></dependency>
  </dependencies>
  <build><plugins><plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>${DEPENDENCY_PLUGIN_VERSION}</version></plugin></plugins></build>
</project>
`;
}

function installedVersion() {
  const version = readText(LIBS_MARKER)?.split('\n')[0].trim();
  return version && fs.existsSync(path.join(LIBS_DIR, `cassandra-all-${version}.jar`)) ? version : null;
}

function runMaven(args) {
  const r = spawnSync('mvn', args, { cwd: CASSANDRA_DIR, encoding: 'utf8', timeout: MAVEN_TIMEOUT_MS });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}` };
}

function ensureLibs() {
  const have = installedVersion();
  if (have && (!process.env.WEIR_CASSANDRA_VERSION || process.env.WEIR_CASSANDRA_VERSION === have)) return have;
  if (spawnSync('mvn', ['-version'], { stdio: 'ignore' }).error) fail('`mvn` (Apache Maven) is not on PATH; it is needed once to fetch Cassandra from Maven Central', { withLog: false });
  const errors = [];
  for (const version of VERSIONS) {
    log(`fetching org.apache.cassandra:cassandra-all:${version} and its dependencies from Maven Central into .cassandra/libs/ ...`);
    fs.writeFileSync(path.join(CASSANDRA_DIR, 'pom.xml'), pomXml(version));
    fs.rmSync(LIBS_DIR, { recursive: true, force: true });
    const t0 = Date.now();
    const r = runMaven(['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${LIBS_DIR}`]);
    if (r.code === 0 && fs.existsSync(path.join(LIBS_DIR, `cassandra-all-${version}.jar`))) {
      fs.writeFileSync(LIBS_MARKER, `${version}\n`);
      log(`fetched ${fs.readdirSync(LIBS_DIR).length - 1} jars in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      return version;
    }
    errors.push(`${version}: mvn exit ${r.code}\n${r.out.trim().split('\n').slice(-15).join('\n')}`);
  }
  fail(`could not fetch Cassandra from Maven Central:\n${errors.join('\n')}`, { withLog: false });
}

// ---------------------------------------------------------------------------
// configuration

/** Ports and files of one node: the shared one (DEFAULT_LAYOUT) or a private one (startPrivateCassandra). */
function layout(dir, port, storagePort, yamlFile) {
  return { dir, port, storagePort, yamlFile, dataDir: path.join(dir, 'data'), logFile: path.join(dir, 'cassandra.log'), logbackFile: path.join(dir, 'logback.xml') };
}
const DEFAULT_LAYOUT = layout(CASSANDRA_DIR, CASSANDRA_PORT, STORAGE_PORT, YAML_FILE);

function cassandraYaml(l = DEFAULT_LAYOUT) {
  const d = (name) => path.join(l.dataDir, name);
  return `# generated by test/services/cassandra.mjs (rewritten on every start)
cluster_name: weir-test
num_tokens: 16
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${CASSANDRA_HOST}:${l.storagePort}"
listen_address: ${CASSANDRA_HOST}
rpc_address: ${CASSANDRA_HOST}
storage_port: ${l.storagePort}
native_transport_port: ${l.port}
start_native_transport: true
# acknowledged means on disk: a test may SIGKILL the node and lose nothing acked
commitlog_sync: batch
commitlog_sync_period: 0ms
commitlog_segment_size: 8MiB
data_file_directories:
  - ${d('data')}
commitlog_directory: ${d('commitlog')}
saved_caches_directory: ${d('saved_caches')}
hints_directory: ${d('hints')}
cdc_raw_directory: ${d('cdc_raw')}
# a test node: dropping a table need not snapshot it, one compactor, small memtables
auto_snapshot: false
snapshot_before_compaction: false
concurrent_compactors: 1
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
`;
}

function logbackXml() {
  return `<!-- generated by test/services/cassandra.mjs: everything at INFO to stdout, which is cassandra.log -->
<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.cassandra" level="INFO"/>
  <root level="WARN"><appender-ref ref="STDOUT"/></root>
</configuration>
`;
}

/** The JVM flags Cassandra 5.0 needs on Java 17 (from its jvm17-server.options), heap, and our config files. */
function javaArgs(l = DEFAULT_LAYOUT) {
  const heap = (process.env.WEIR_CASSANDRA_HEAP ?? '-Xms512m -Xmx1g').split(/\s+/).filter(Boolean);
  const opens = ['java.base/java.lang', 'java.base/java.lang.reflect', 'java.base/java.io', 'java.base/java.nio', 'java.base/java.util', 'java.base/java.util.concurrent', 'java.base/java.util.concurrent.atomic', 'java.base/jdk.internal.loader', 'java.base/jdk.internal.ref', 'java.base/jdk.internal.reflect', 'java.base/jdk.internal.math', 'java.base/jdk.internal.module', 'java.base/jdk.internal.util.jar', 'java.base/sun.nio.ch', 'jdk.management/com.sun.management.internal'];
  const exportsList = ['java.base/jdk.internal.misc', 'java.base/jdk.internal.ref', 'java.base/sun.nio.ch', 'java.rmi/sun.rmi.registry', 'java.rmi/sun.rmi.server', 'java.sql/java.sql'];
  return [
    ...heap,
    '-Xss512k',
    '-XX:+UseG1GC',
    '-XX:+HeapDumpOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...exportsList.map((m) => `--add-exports=${m}=ALL-UNNAMED`),
    ...opens.map((m) => `--add-opens=${m}=ALL-UNNAMED`),
    `-Dcassandra.config=file://${l.yamlFile}`,
    `-Dlogback.configurationFile=${l.logbackFile}`,
    `-Dcassandra.logdir=${l.dir}`,
    `-Dcassandra.storagedir=${l.dataDir}`,
    '-Dcassandra-foreground=yes',
    // one node, nobody to gossip with: do not wait for the ring to settle
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.ring_delay_ms=0',
    '-cp',
    `${LIBS_DIR}${path.sep}*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// start / stop

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readText(`/proc/${pid}/status`) ?? '');
  return m ? Math.round(Number(m[1]) / 1024) : null;
}

async function waitUntilReady(pid, exited, timeoutMs, l = DEFAULT_LAYOUT) {
  const t0 = Date.now();
  let lastError = null;
  let lastReport = t0;
  while (Date.now() - t0 < timeoutMs) {
    if (exited.code !== undefined || !isAlive(pid)) fail(`Cassandra (pid ${pid}) exited during startup${exited.code !== undefined ? ` with ${exited.code}` : ''}`, { logFile: l.logFile });
    try {
      return await probeCassandra({ port: l.port, timeoutMs: 2000 });
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - lastReport >= 15_000) {
      log(`still waiting for CQL (${Math.round((Date.now() - t0) / 1000)} s): ${lastError?.message}`);
      lastReport = Date.now();
    }
    await sleep(250);
  }
  fail(`Cassandra (pid ${pid}) did not answer CQL on ${CASSANDRA_HOST}:${l.port} within ${timeoutMs / 1000} s (last error: ${lastError?.message}). Fix: raise WEIR_CASSANDRA_START_TIMEOUT on a loaded machine`, { logFile: l.logFile });
}

/**
 * Ensure CQL answers on 127.0.0.1:9042, reusing a node that already answers.
 * Resolves with { started, pid, contactPoint, version, ms, rssMb }; throws
 * CassandraServiceError (with the tail of .cassandra/cassandra.log) on failure.
 */
export async function startCassandra() {
  const t0 = Date.now();
  fs.mkdirSync(CASSANDRA_DIR, { recursive: true });
  return withLock(async () => {
    if (await cassandraRunning()) {
      const pid = findOurNode();
      log(`CQL already answers on ${CASSANDRA_CONTACT_POINT}${pid ? ` (pid ${pid})` : ' (not started by this script)'}; reusing it`);
      return { started: false, pid, contactPoint: CASSANDRA_CONTACT_POINT, version: installedVersion(), ms: Date.now() - t0, rssMb: pid ? rssMb(pid) : null };
    }
    const existing = findOurNode();
    if (existing !== null) {
      log(`node pid ${existing} is running but CQL does not answer yet; waiting for it`);
      try {
        await waitUntilReady(existing, {}, START_TIMEOUT_MS);
        fs.writeFileSync(PID_FILE, `${existing}\n`);
        return { started: false, pid: existing, contactPoint: CASSANDRA_CONTACT_POINT, version: installedVersion(), ms: Date.now() - t0, rssMb: rssMb(existing) };
      } catch {
        log(`node pid ${existing} never became ready; stopping it and starting afresh`);
        await terminate(existing);
      }
    }
    fs.rmSync(PID_FILE, { force: true });
    for (const port of [CASSANDRA_PORT, STORAGE_PORT]) {
      if (await portInUse(port)) fail(`port ${CASSANDRA_HOST}:${port} is taken by something that is not a working Cassandra node started by this script; free it and retry`, { withLog: false });
    }
    if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) fail('`java` (17+) is not on PATH; Cassandra needs it', { withLog: false });
    const version = ensureLibs();
    fs.writeFileSync(YAML_FILE, cassandraYaml());
    fs.writeFileSync(LOGBACK_FILE, logbackXml());
    fs.mkdirSync(DATA_DIR, { recursive: true });

    log(`starting Cassandra ${version} on ${CASSANDRA_CONTACT_POINT} (storage port ${STORAGE_PORT}), log in .cassandra/cassandra.log`);
    const out = fs.openSync(LOG_FILE, 'w');
    fs.writeSync(out, `# cassandra.mjs: starting Cassandra ${version} at ${new Date().toISOString()}\n`);
    const jvmStart = Date.now();
    const child = spawn('java', javaArgs(), { cwd: CASSANDRA_DIR, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const exited = {};
    child.on('exit', (code, signal) => (exited.code = code ?? signal));
    child.on('error', (err) => (exited.code = err.message));
    child.unref();
    if (!child.pid) fail('could not spawn java');
    fs.writeFileSync(PID_FILE, `${child.pid}\n`);
    try {
      const info = await waitUntilReady(child.pid, exited, START_TIMEOUT_MS);
      const ms = Date.now() - jvmStart;
      const rss = rssMb(child.pid);
      log(`Cassandra ${info.version} answers CQL on ${CASSANDRA_CONTACT_POINT} (pid ${child.pid}) ${(ms / 1000).toFixed(1)} s after the JVM started; RSS ${rss ?? '?'} MB`);
      return { started: true, pid: child.pid, contactPoint: CASSANDRA_CONTACT_POINT, version: info.version, ms, rssMb: rss };
    } catch (err) {
      await terminate(child.pid);
      fs.rmSync(PID_FILE, { force: true });
      throw err;
    }
  });
}

/**
 * Stop the node this script started (pid file, or found by its command line);
 * never one it did not start. SIGTERM drains it (memtables flushed). Resolves
 * with { stopped, pid }.
 */
export async function stopCassandra({ signal = 'SIGTERM' } = {}) {
  const pid = findOurNode();
  if (pid === null) {
    fs.rmSync(PID_FILE, { force: true });
    log((await cassandraRunning()) ? `CQL answers on ${CASSANDRA_CONTACT_POINT} but that node was not started by this script; leaving it alone` : 'no node running');
    return { stopped: false, pid: null };
  }
  log(`stopping Cassandra pid ${pid} (${signal})`);
  const t0 = Date.now();
  const ok = await terminate(pid, signal);
  fs.rmSync(PID_FILE, { force: true });
  if (!ok) fail(`could not stop pid ${pid}`);
  log(`stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { stopped: true, pid };
}

// ---------------------------------------------------------------------------
// a private node: other ports, its own directory, for tests that stop and restart Cassandra

/**
 * Start a second, private node (same jars) with everything in `dir`: CQL on
 * 127.0.0.1:`port` (default 19042), storage on `storagePort` (default 17000).
 * Starting again with the same dir keeps its data: a node that went down and
 * came back. Resolves once CQL answers with { pid, contactPoint, port, dir, ms }.
 */
export async function startPrivateCassandra({ dir, port = 19042, storagePort = 17000, timeoutMs = START_TIMEOUT_MS }) {
  if ([CASSANDRA_PORT, STORAGE_PORT].includes(port) || [CASSANDRA_PORT, STORAGE_PORT].includes(storagePort)) fail(`a private node needs ports of its own (got ${port}/${storagePort})`, { withLog: false });
  const l = layout(path.resolve(dir), port, storagePort, path.join(path.resolve(dir), `cassandra-${port}.yaml`));
  fs.mkdirSync(l.dataDir, { recursive: true });
  for (const p of [port, storagePort]) {
    const until = Date.now() + 15_000; // a node just stopped frees its ports at once, but give them a moment
    while (await portInUse(p)) {
      if (Date.now() > until) fail(`port ${CASSANDRA_HOST}:${p} is taken; a private node cannot start there`, { withLog: false });
      await sleep(250);
    }
  }
  fs.mkdirSync(CASSANDRA_DIR, { recursive: true });
  const version = installedVersion() ?? (await withLock(async () => ensureLibs()));
  fs.writeFileSync(l.yamlFile, cassandraYaml(l));
  fs.writeFileSync(l.logbackFile, logbackXml());
  const out = fs.openSync(l.logFile, 'a');
  fs.writeSync(out, `# cassandra.mjs: starting private Cassandra ${version} on ${CASSANDRA_HOST}:${port} at ${new Date().toISOString()}\n`);
  const t0 = Date.now();
  const child = spawn('java', javaArgs(l), { cwd: l.dir, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = {};
  child.on('exit', (code, signal) => (exited.code = code ?? signal));
  child.unref();
  try {
    await waitUntilReady(child.pid, exited, timeoutMs, l);
  } catch (err) {
    await terminate(child.pid, 'SIGKILL');
    throw err;
  }
  return { pid: child.pid, contactPoint: `${CASSANDRA_HOST}:${port}`, port, dir: l.dir, ms: Date.now() - t0 };
}

/** Stop a private node: SIGTERM (default) drains it; SIGKILL is a crash. Resolves when it is gone. */
export async function stopPrivateCassandra(pid, { signal = 'SIGTERM' } = {}) {
  if (pid !== undefined && isAlive(pid) && !(await terminate(pid, signal))) fail(`could not stop pid ${pid}`, { withLog: false });
}

async function status() {
  const pid = findOurNode();
  try {
    const info = await probeCassandra();
    console.log(`running: ${CASSANDRA_CONTACT_POINT} (Cassandra ${info.version}, ${pid ? `pid ${pid}, RSS ${rssMb(pid)} MB` : 'not started by this script'})`);
    return 0;
  } catch (err) {
    console.log(pid ? `starting or unhealthy: pid ${pid} alive but CQL does not answer (${err.message})` : `not running (${err.message})`);
    return 1;
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  serviceMain(
    'cassandra',
    {
      start: async () => {
        await startCassandra();
      },
      stop: async () => {
        await stopCassandra();
      },
      status: () => status(),
    },
    CassandraServiceError,
  );
}
