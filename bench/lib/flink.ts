/**
 * The Flink 1.20 peer (bench/peers/flink): built once with Maven from Maven
 * Central, cached under bench/peers/flink/target (rebuilt when its sources
 * change), and run as `java <JAVA17_OPENS> -cp FLINK_CLASSPATH <main class>`.
 * Used by the kafka and nexmark benchmarks.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './util.js';

export interface FlinkBuild {
  available: boolean;
  reason?: string;
  version?: string;
  connector?: string;
  buildMs?: number;
  java?: string;
}

export const FLINK_DIR = path.join(ROOT, 'bench', 'peers', 'flink');
export const FLINK_JAR = path.join(FLINK_DIR, 'target', 'weir-bench-flink-1.jar');
const FLINK_STAMP = path.join(FLINK_DIR, 'target', '.weir-bench-build');
/** What Flink 1.20 needs on Java 17 (its own env.java.opts.all defaults). */
export const JAVA17_OPENS = [
  '--add-exports=java.base/sun.net.util=ALL-UNNAMED',
  '--add-exports=java.management/sun.management=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.text=ALL-UNNAMED',
  '--add-opens=java.base/java.time=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED',
];

export const FLINK_CLASSPATH = `${FLINK_JAR}${path.delimiter}${path.join(FLINK_DIR, 'target', 'lib', '*')}`;

function flinkSourcesHash(): string {
  const h = createHash('sha256');
  const add = (p: string): void => {
    h.update(path.relative(FLINK_DIR, p));
    h.update(readFileSync(p));
  };
  add(path.join(FLINK_DIR, 'pom.xml'));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else add(p);
    }
  };
  walk(path.join(FLINK_DIR, 'src'));
  return h.digest('hex');
}

function pomProperty(name: string): string | undefined {
  const pom = readFileSync(path.join(FLINK_DIR, 'pom.xml'), 'utf8');
  return new RegExp(`<${name}>([^<]+)</${name}>`).exec(pom)?.[1];
}

export function ensureFlink(log: (s: string) => void): FlinkBuild {
  const version = pomProperty('flink.version');
  const connector = pomProperty('flink.kafka.version');
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return { available: false, reason: `java not runnable: ${java.error?.message ?? java.stderr}`, version, connector };
  const javaVersion = /version "([^"]+)"/.exec(java.stderr)?.[1];
  const hash = flinkSourcesHash();
  if (existsSync(FLINK_JAR) && existsSync(FLINK_STAMP) && readFileSync(FLINK_STAMP, 'utf8').trim() === hash) {
    return { available: true, version, connector, java: javaVersion };
  }
  log(`  building the Flink peer (mvn -B -q clean package in ${path.relative(process.cwd(), FLINK_DIR) || FLINK_DIR}; Maven Central; once)`);
  const t0 = performance.now();
  const mvn = spawnSync('mvn', ['-B', '-q', 'clean', 'package'], { cwd: FLINK_DIR, encoding: 'utf8', timeout: 15 * 60_000, maxBuffer: 64 * 2 ** 20 });
  const buildMs = Math.round(performance.now() - t0);
  if (mvn.error || mvn.status !== 0 || !existsSync(FLINK_JAR)) {
    const tail = `${mvn.stdout ?? ''}\n${mvn.stderr ?? ''}`.split('\n').filter((l) => l.trim()).slice(-25).join('\n');
    return { available: false, reason: `mvn package failed (${mvn.error?.message ?? `exit ${mvn.status}`}):\n${tail}`, version, connector, buildMs, java: javaVersion };
  }
  writeFileSync(FLINK_STAMP, `${hash}\n`);
  return { available: true, version, connector, buildMs, java: javaVersion };
}

