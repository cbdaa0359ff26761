/**
 * The `weir` command. `weir run <job>` runs a topology module (TypeScript or
 * JavaScript) until its sources end, or until SIGINT/SIGTERM drains it (a
 * second signal ends it at once). Exit codes: 0 done, 1 job failed, 2 usage.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { WeirError } from '../../actors/errors.js';
import { run } from '../coordinator/job.js';
import { runCluster } from '../cluster/run-cluster.js';
import { DEFAULTS } from '../coordinator/options.js';
import { kafka, mqtt } from '../index.js'; // the public API, as a user's program (runtime/ imports no connector module itself)
import { createLogger } from '../log.js';
import { parseDuration } from './duration.js';
import { StatusLine } from './status-line.js';
import { parseListen, TOKEN_ENV } from '../http/options.js';
import { redactText } from '../redact.js';

function intArg(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${v}'.`);
    return n;
  };
}

/** A duration flag: ms as a number or with a unit (500ms, 1s, 2m), at least `min` ms. */
function durationArg(name: string, min: number) {
  return (v: string): number => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min) throw new InvalidArgumentError(`${name} must be a duration of at least ${min} ms, such as 1000, 500ms, 1s or 2m, got '${v}'.`);
    return ms;
  };
}

const program = new Command()
  .name('weir')
  .description('Run weir stream topologies: supervised worker-thread actors with credit-based backpressure.')
  .exitOverride()
  .showHelpAfterError('(run weir --help for usage)');

program
  .command('run')
  .description('run a job module that default-exports a topology')
  .argument('<job>', 'path of the job module (.ts or .js)')
  .option('-w, --workers <n>', `worker threads (0 = inline on the main thread; default ${DEFAULTS.workers}, one per core)`, intArg('--workers', 0))
  .option('-p, --parallelism <n>', 'default parallelism of operators that set none (default 1)', intArg('--parallelism', 1))
  .option('--buffer-timeout <duration>', 'max time a record waits in a channel buffer while its actor is busy (ms, or 50ms, 1s); 0 = flush every record (default 100)', durationArg('--buffer-timeout', 0))
  .option('--batch-size <n>', 'records per channel buffer (default 256)', intArg('--batch-size', 1))
  .option('--export <name>', 'named export holding the topology, when the module has several')
  .option('--state <backend>', "state backend: memory, file:DIR or redis://host:port/db", 'file:.weir/state')
  .option('--checkpoint-interval <duration>', 'time between checkpoints (ms, or 500ms, 1s, 2m), the first at start; 0 = only at end of input and stop (default 1000)', durationArg('--checkpoint-interval', 0))
  .option('--job-id <id>', "names the job's checkpoints; a rerun with the same id resumes an unfinished run (default: the topology's name)")
  .option('--fresh', 'run the job again from scratch: a job whose sources ended refuses to run twice with the same job id without this (its earlier committed output stays)')
  .option('--from-savepoint <id>', 'restore from this savepoint or checkpoint id of the job', intArg('--from-savepoint', 1))
  .option('--log-level <level>', 'log level on stderr: fatal, error, warn, info, debug, trace, silent', 'warn')
  .option('--no-status', 'no live status line, even on a terminal')
  .option('--http <[host:]port>', 'serve Prometheus /metrics, the JSON API and the dashboard (default host 127.0.0.1; another host needs a token)', httpArg)
  .option('--http-token <token>', `token every HTTP request must carry (prefer the ${TOKEN_ENV} environment variable: arguments show in ps)`)
  .option('--create-topics', 'Kafka connectors create missing topics (1 partition) instead of failing')
  .option('--cluster <url>', 'run as one member of a cluster of processes: kafka://host:port[,host:port][/prefix] (see docs/scale-out.md)')
  .option('--repartition-partitions <n>', 'cluster mode: partitions of the repartition topics weir creates (default: the task count upstream)', intArg('--repartition-partitions', 1))
  .option('--session-timeout <duration>', 'cluster mode: a member silent this long loses its tasks (default 10s, at least 6s)', durationArg('--session-timeout', 6000))
  .option('--repartition-purge <duration>', 'cluster mode: delete consumed records of repartition topics at most this often (default 30s; 0 = never)', durationArg('--repartition-purge', 0))
  .action(async (job: string, opts) => {
    if (opts.cluster !== undefined) return runMember(job, opts);
    const tty = process.stderr.isTTY && opts.status !== false;
    // Read by the Kafka connectors in every worker (workers inherit the environment).
    if (opts.createTopics) process.env.WEIR_CREATE_TOPICS = '1';
    const status = tty ? new StatusLine(process.stderr, process.stdout) : undefined;
    const handle = run(job, {
      workers: opts.workers,
      parallelism: opts.parallelism,
      bufferTimeout: opts.bufferTimeout,
      batchSize: opts.batchSize,
      exportName: opts.export,
      state: opts.state,
      checkpointInterval: opts.checkpointInterval,
      jobId: opts.jobId,
      fromSavepoint: opts.fromSavepoint,
      fresh: opts.fresh === true,
      logLevel: opts.logLevel,
      stdout: status ? ({ write: status.write } as unknown as NodeJS.WritableStream) : process.stdout,
      onMetrics: status ? (m) => status.update(m) : undefined,
      http: httpFrom(opts, 'dashboard and metrics at {url}'),
    });
    let signals = 0;
    const onSignal = (sig: string) => {
      signals++;
      if (signals === 1) process.stderr.write(`\nweir: ${sig}, draining (again to stop at once)\n`);
      void handle.stop().catch(() => {});
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    try {
      const result = await handle.done;
      status?.clear();
      if (result.deadLetters.length > 0) process.stderr.write(`weir: ${result.deadLetters.length} record(s) skipped by onError: 'skip'\n`);
      process.exitCode = 0;
    } catch (e) {
      status?.clear();
      report(e);
      process.exitCode = 1;
    }
  });

/** `weir run job.ts --cluster ...`: a cluster member until SIGINT/SIGTERM (graceful leave: tasks move after their transactions commit). */
async function runMember(job: string, opts: Record<string, any>): Promise<void> {
  const handle = runCluster(job, {
    cluster: opts.cluster,
    jobId: opts.jobId,
    exportName: opts.export,
    logLevel: opts.logLevel,
    repartitionPartitions: opts.repartitionPartitions,
    sessionTimeoutMs: opts.sessionTimeout,
    workers: opts.workers,
    repartitionPurgeIntervalMs: opts.repartitionPurge,
    http: httpFrom(opts, 'member metrics at {url}/metrics'),
  });
  let signals = 0;
  const onSignal = (sig: string) => {
    // A second signal stops at once, as for a single-process job; the next owners fence what was open.
    if (++signals > 1) {
      process.stderr.write(`\nweir: second ${sig}, exiting now\n`);
      process.exit(1);
    }
    process.stderr.write(`\nweir: ${sig}, leaving the cluster (tasks move to the other members)\n`);
    void handle.stop().catch(() => {});
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  try {
    await handle.done;
    process.exitCode = 0;
  } catch (e) {
    report(e);
    process.exitCode = 1;
  }
  // The member has left: clients a fenced task still holds must not keep the process alive.
  process.exit();
}

const clusterCmd = program.command('cluster').description('cluster mode (weir run --cluster): inspect a cluster job');
clusterCmd
  .command('status')
  .description('members of a cluster job, their tasks and each task\'s lag (records not yet committed, transaction markers included)')
  .requiredOption('--cluster <url>', 'kafka://host:port[,host:port][/prefix], as given to weir run')
  .requiredOption('--job <id>', "the job id (the topology's name unless --job-id was given)")
  .option('--json', 'print JSON instead of text')
  .option('--log-level <level>', 'log level on stderr', 'warn')
  .action(async (opts) => {
    const { clusterStatus } = await import('../cluster/status-command.js');
    process.stdout.write(`${await clusterStatus(opts.cluster, opts.job, opts.json === true, createLogger(opts.logLevel))}\n`);
  });

program
  .command('produce')
  .description('send messages made from a template to a Kafka topic (the reference producer)')
  .requiredOption('--brokers <list>', 'Kafka brokers, e.g. 127.0.0.1:9092')
  .requiredOption('--topic <name>', 'topic to send to')
  .option('--count <n>', 'number of messages', intArg('--count', 0), 100)
  .option('--template <text>', "message template; {i} is the message number", 'Message {i}')
  .option('--key <template>', 'message key template; {i} is the message number')
  .option('--create-topic [partitions]', 'create the topic when missing (default 1 partition)')
  .option('--log-level <level>', 'log level on stderr', 'warn')
  .action(async (opts) => {
    const partitions = opts.createTopic === undefined ? undefined : opts.createTopic === true ? 1 : intArg('--create-topic', 1)(String(opts.createTopic));
    const n = await kafka.produce(
      { brokers: opts.brokers, topic: opts.topic, count: opts.count, template: opts.template, keyTemplate: opts.key, createTopic: partitions },
      createLogger(opts.logLevel),
    );
    process.stderr.write(`weir: sent ${n} message(s) to ${opts.topic}\n`);
  });

program
  .command('publish')
  .description('play temperature sensors: JSON readings {device, temperature, ts} to sensors/<device>/temperature (QoS 1)')
  .requiredOption('--mqtt <url>', 'MQTT broker URL, e.g. mqtt://127.0.0.1:1883')
  .option('--devices <n>', 'number of devices (dev-0 .. dev-N-1)', intArg('--devices', 1), 10)
  .option('--rate <n>', 'readings per second over all devices', intArg('--rate', 1), 10)
  .option('--count <n>', 'stop after this many readings (default: until Ctrl-C)', intArg('--count', 1))
  .option('--seed <n>', 'seed of the readings', intArg('--seed', 0), 1)
  .option('--topic-prefix <prefix>', "first topic level instead of 'sensors'", 'sensors')
  .option('--log-level <level>', 'log level on stderr', 'warn')
  .action(async (opts) => {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    const n = await mqtt.publishSensors({ url: opts.mqtt, devices: opts.devices, rate: opts.rate, count: opts.count, seed: opts.seed, topicPrefix: opts.topicPrefix, signal: stop.signal }, createLogger(opts.logLevel));
    process.stderr.write(`weir: published ${n} reading(s) from ${opts.devices} device(s)\n`);
  });
/** --http and --http-token as the `http` option; `said` is printed with {url} once it listens. */
function httpFrom(opts: Record<string, any>, said: string) {
  return opts.http && { ...opts.http, token: opts.httpToken, onListening: (url: string) => process.stderr.write(`weir: ${said.replace('{url}', url)}\n`) };
}

function httpArg(v: string): { host?: string; port: number } {
  try {
    return parseListen(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function report(e: unknown): void {
  if (e instanceof WeirError) {
    process.stderr.write(`weir: ${redactText(e.message)}\n`);
    if (e.code === 'USER_FUNCTION_FAILED' && e.stack) process.stderr.write(`${e.stack}\n`);
    const cause = e.cause as WeirError | undefined;
    if (cause instanceof Error && (cause as WeirError).code === 'USER_FUNCTION_FAILED' && cause.stack) process.stderr.write(`${cause.stack}\n`);
  } else if (e instanceof Error) {
    process.stderr.write(`weir: ${redactText(e.stack ?? e.message)}\n`);
  } else {
    process.stderr.write(`weir: ${String(e)}\n`);
  }
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    report(e);
    process.exitCode = 1;
  }
}
