/**
 * A member of a weir cluster: one process running the job's tasks that the
 * group assigns to it (`weir run job.ts --cluster kafka://...`).
 *
 * It joins the consumer group `<prefix><job>` with weir's task assignor
 * (group-assignor.ts). The group consumer never fetches (its partitions stay
 * paused): it only holds membership and receives assignments. Each task reads
 * its input on a consumer of its own (task-runner.ts), so when kafkajs
 * rebalances eagerly (kafkajs 2.2.4 has no cooperative protocol), the tasks a
 * member keeps go on running; only tasks that move stop and start.
 *
 * A member whose topology differs from the cluster's is given no task and
 * fails with the difference named (it reads the other members' metadata).
 *
 * A task that fails is restarted from its last committed transaction under a
 * restart budget, as a supervisor in one process (supervision/restart-strategy.ts:
 * at most maxRestarts within withinMs, exponential backoff); past it the
 * member fails with the task and the cause named, and leaves the group.
 */
import { availableParallelism, hostname } from 'node:os';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../../actors/contract.js';
import { ConfigError, WeirError } from '../../actors/errors.js';
import { decide, restartStrategy, type RestartStrategy } from '../../supervision/restart-strategy.js';
import type { RunOptions } from '../coordinator/options.js';
import { resolveHttpOptions, type HttpOptions } from '../http/options.js';
import { connectOrExplain, createKafka } from '../../connectors/kafka/client.js';
import { graphShape } from '../dsl/fingerprint.js';
import { shapeDifferences } from '../dsl/shape-diff.js';
import type { Topology } from '../dsl/topology.js';
import { parseClusterUrl } from './cluster-url.js';
import { prepareTopics } from './cluster-topics.js';
import { kafkaConnectorTopics } from './endpoints.js';
import { decodeMemberMeta, taskAssigner, tasksOf, type MemberMeta } from './group-assignor.js';
import { clusterFingerprint, parseTaskId } from './sticky-assignment.js';
import { planCluster, tasksOfNode, type ClusterPlan } from './subtopologies.js';
import { TaskRunner, type TaskStats } from './task-runner.js';
import { inlineTasks, type TaskPlacement } from './task-executor.js';
import { TaskWorkers } from './task-workers.js';
import { TaskMeters, type TaskMeter } from './task-meters.js';
import type { LagRow } from './cluster-prometheus.js';
import type { MemberEndpoint } from './member-http.js';
import { RepartitionPurger, type CommittedPosition } from './repartition-purge.js';
import { readCommittedAdmin, stableOffsets } from './stable-offsets.js';

export interface ClusterOptions {
  /** `kafka://host:port[,host:port...][/prefix]` */
  cluster: string;
  /** Names the group, internal topics and transactional ids (default: the topology's name). */
  jobId?: string;
  log: Logger;
  /** Partitions of repartition topics (default: the task count of the sub-topology writing them). */
  repartitionPartitions?: number;
  /** A member silent this long leaves the group and its tasks move (default 10000; the broker's minimum is 6000). */
  sessionTimeoutMs?: number;
  /** How long an unreachable broker is retried at start (default 30000). */
  connectTimeoutMs?: number;
  /** Worker threads running the tasks' operator chains (default: one per core); 0 runs them on the main thread. */
  workers?: number;
  /** The job module the workers import (required when workers > 0), and their log level. */
  module?: { url: string; exportName?: string; logLevel?: string };
  /** Batches a task ships to its chain ahead of its commits, at most (default 4): a full window holds its reader. */
  inFlightBatches?: number;
  /** Restart budget of each task, as run()'s `restart` (default 10 within 60 s, backoff from 50 ms); repeatedFailure does not apply. */
  restart?: RunOptions['restart'];
  /** Serve Prometheus /metrics (per task) and /api/status, as run()'s `http`. */
  http?: HttpOptions;
  /** Delete consumed records of repartition topics at most this often (default 30000, as Kafka Streams; 0 = never). */
  repartitionPurgeIntervalMs?: number;
}

export interface MemberStatus {
  job: string;
  group: string;
  memberId: string | undefined;
  tasks: Record<string, TaskStats & { meter?: TaskMeter }>;
  /** Where the member's /metrics are served (the `http` option). */
  metricsUrl?: string;
}

export interface ClusterMember {
  /** Resolves after stop(); rejects when the member fails (e.g. another topology, brokers gone). */
  readonly done: Promise<void>;
  /** Graceful leave: running transactions finish, then the member leaves the group and its tasks move at once. */
  stop(): Promise<void>;
  status(): MemberStatus;
}

export async function startMember(topology: Topology, o: ClusterOptions): Promise<ClusterMember> {
  const address = parseClusterUrl(o.cluster);
  const restart = restartStrategy(o.restart);
  const http = o.http && resolveHttpOptions(o.http);
  const purgeMs = o.repartitionPurgeIntervalMs ?? 30_000;
  if (!Number.isFinite(purgeMs) || purgeMs < 0) {
    throw new ConfigError(`repartitionPurgeIntervalMs is ${String(purgeMs)}. Fix: a number of ms >= 0 (0 = never purge; default 30000)`, { field: 'repartitionPurgeIntervalMs' });
  }
  const job = o.jobId ?? topology.name;
  const group = `${address.prefix}${job}`;
  const plan = planCluster(topology.graph, job, address.prefix, kafkaConnectorTopics);
  // The worker threads load the job while the member connects and checks its topics.
  const pool = spawnWorkers(topology, plan, job, o);
  try {
    const conn = { brokers: address.brokers, connectTimeoutMs: o.connectTimeoutMs ?? 30_000 };
    const kafka = await createKafka(`weir-${job}-member`, conn, o.log, 'weir cluster', { readCommitted: true });
    const admin = kafka.admin();
    await connectOrExplain(() => admin.connect(), conn, `weir cluster (job '${job}')`);
    let layout;
    try {
      layout = await prepareTopics(admin, plan, { repartitionPartitions: o.repartitionPartitions, maxParallelism: topology.graph.maxParallelism });
    } finally {
      await admin.disconnect();
    }
    let placement: TaskPlacement;
    if (pool) {
      await pool.ready();
      pool.setLayout({ tasks: [...layout.tasks], repartitionPartitions: [...layout.repartitionPartitions] });
      placement = pool;
    } else placement = inlineTasks({ graph: topology.graph, repartitionPartitions: layout.repartitionPartitions, tasksOfNode: tasksOfNode(plan, layout.tasks), log: o.log });
    return await new Member(kafka, topology, plan, layout.tasks, layout.repartitionPartitions, group, address.prefix, job, { ...o, repartitionPurgeIntervalMs: purgeMs, http }, restart, placement).start();
  } catch (e) {
    await pool?.shutdown();
    throw e;
  }
}

/** The member's worker pool, or none when the chains run inline (workers: 0). */
function spawnWorkers(topology: Topology, plan: ClusterPlan, job: string, o: ClusterOptions): TaskWorkers | undefined {
  const count = o.workers ?? availableParallelism();
  if (count === 0) return undefined;
  if (!o.module) throw new WeirError('JOB_MODULE_UNKNOWN', `weir cluster: the tasks run on ${count} worker thread(s), which import the job's module, and none was given. Fix: pass the job's path (runCluster('job.ts', ...)), or workers: 0`);
  return new TaskWorkers({ count, init: { moduleUrl: o.module.url, exportName: o.module.exportName, job, logLevel: o.module.logLevel ?? 'warn', fingerprint: topology.fingerprint, plan }, log: o.log });
}

class Member implements ClusterMember {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (e: Error) => void;
  private readonly running = new Map<string, TaskRunner>();
  /** Tasks assigned by the last rebalance. */
  private assigned = new Set<string>();
  private consumer!: Consumer;
  private memberId: string | undefined;
  private stopping = false;
  /** Assignment changes are applied one at a time, in order. */
  private applying: Promise<void> = Promise.resolve();
  private readonly name = `${hostname()}:${process.pid}`;
  readonly meters = new TaskMeters();
  /** Per task, when its restarts happened (the restart budget's window). */
  private readonly restarts = new Map<string, number[]>();
  private admin: Promise<Admin> | undefined;
  private purger: RepartitionPurger | undefined;
  private endpoint: MemberEndpoint | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topology: Topology,
    private readonly plan: ClusterPlan,
    private readonly tasks: ReadonlyMap<number, number>,
    private readonly repartitionPartitions: ReadonlyMap<string, number>,
    private readonly group: string,
    private readonly prefix: string,
    private readonly job: string,
    private readonly o: Omit<ClusterOptions, 'http'> & { http?: ReturnType<typeof resolveHttpOptions> },
    private readonly restart: RestartStrategy,
    private readonly placement: TaskPlacement,
  ) {
    placement.onFatal = (e) => void this.fail(e);
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => {});
  }

  private meta = (): MemberMeta => ({ fingerprint: this.topology.fingerprint, shape: graphShape(this.topology.graph), owned: [...this.running.keys()], name: this.name });

  async start(): Promise<this> {
    const { AssignerProtocol } = await import('kafkajs');
    const topics = this.plan.subtopologies.flatMap((s) => s.inputs.map((i) => i.topic));
    this.consumer = this.kafka.consumer({
      groupId: this.group,
      partitionAssigners: [taskAssigner(this.plan, this.tasks, this.meta, AssignerProtocol)],
      sessionTimeout: this.o.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.max(500, Math.floor((this.o.sessionTimeoutMs ?? 10_000) / 6)),
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: 500,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.memberId = e.payload.memberId;
      this.consumer.pause(topics.map((topic) => ({ topic })));
      const mine = tasksOf(this.plan, e.payload.memberAssignment as Record<string, number[]>);
      this.o.log.info({ member: this.memberId, leader: e.payload.isLeader, tasks: mine }, `weir cluster: joined group '${this.group}' with ${mine.length} task(s)`);
      this.applying = this.applying.then(() => this.apply(new Set(mine), AssignerProtocol));
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      if (!e.payload.restart && !this.stopping) void this.fail(e.payload.error);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics });
    // The group consumer only holds membership: it never fetches (paused on every join).
    await this.consumer.run({ autoCommit: false, eachBatch: async () => {} });
    this.consumer.pause(topics.map((topic) => ({ topic })));
    if (this.o.repartitionPurgeIntervalMs && this.plan.subtopologies.some((s) => s.inputs.some((i) => i.kind === 'repartition'))) {
      this.purger = new RepartitionPurger(() => this.sharedAdmin(), () => this.repartitionPositions(), this.o.repartitionPurgeIntervalMs, this.o.log);
    }
    if (this.o.http) {
      const { serveMember } = await import('./member-http.js');
      this.endpoint = await serveMember(this.o.http, { job: this.job, member: this.name, meters: this.meters, running: () => [...this.running.keys()], lag: () => this.lag() }, () => this.status(), this.o.log).catch(async (e: Error) => {
        await this.fail(e);
        throw e;
      });
    }
    return this;
  }

  /** One read_committed admin per member, for the lag and the purge, connected on first use. */
  private sharedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const a = readCommittedAdmin(this.kafka);
      await a.connect();
      return a;
    })();
    return this.admin;
  }

  /** The committed positions of the repartition inputs of the tasks running here. */
  private repartitionPositions(): CommittedPosition[] {
    const out: CommittedPosition[] = [];
    for (const r of this.running.values()) {
      const sub = this.plan.subtopologies[parseTaskId(r.id).subtopology];
      for (const i of sub.inputs) {
        const offset = r.stats.offsets[i.topic];
        if (i.kind === 'repartition' && offset !== undefined) out.push({ topic: i.topic, partition: parseTaskId(r.id).partition, offset });
      }
    }
    return out;
  }

  /** Per running task and input partition: read_committed end minus the committed position. */
  async lag(): Promise<LagRow[]> {
    const admin = await this.sharedAdmin();
    const ends = new Map<string, Map<number, { low: number; end: number }>>();
    const rows: LagRow[] = [];
    for (const r of [...this.running.values()]) {
      const { subtopology, partition } = parseTaskId(r.id);
      for (const { topic } of this.plan.subtopologies[subtopology].inputs) {
        if (!ends.has(topic)) ends.set(topic, await stableOffsets(admin, topic));
        const at = ends.get(topic)!.get(partition);
        if (!at) continue;
        rows.push({ task: r.id, topic, partition, lag: Math.max(0, at.end - (r.stats.offsets[topic] ?? at.low)) });
      }
    }
    return rows;
  }

  /** Stop the tasks that moved away, start the ones that came. */
  private async apply(next: Set<string>, AssignerProtocol: typeof import('kafkajs').AssignerProtocol): Promise<void> {
    if (this.stopping) return;
    this.assigned = next;
    if (next.size === 0) await this.checkTopology(AssignerProtocol);
    const gone = [...this.running.keys()].filter((t) => !next.has(t));
    await Promise.all(gone.map((t) => this.stopTask(t)));
    for (const t of next) if (!this.running.has(t)) this.startTask(t);
  }

  /** A member given nothing may run another topology: name the difference and fail. */
  private async checkTopology(AssignerProtocol: typeof import('kafkajs').AssignerProtocol): Promise<void> {
    const g = await this.consumer.describeGroup();
    const metas = g.members.map((m) => ({ memberId: m.memberId, meta: decodeMemberMeta(AssignerProtocol, m.memberMetadata as Buffer) }));
    const winner = clusterFingerprint(metas.map((m) => ({ memberId: m.memberId, fingerprint: m.meta?.fingerprint ?? '?', owned: m.meta?.owned ?? [] })));
    if (winner === this.topology.fingerprint) return;
    const other = metas.find((m) => m.meta?.fingerprint === winner)?.meta;
    const diff = other ? shapeDifferences(graphShape(this.topology.graph), other.shape) : [];
    await this.fail(
      new WeirError(
        'CLUSTER_TOPOLOGY_MISMATCH',
        `weir cluster: this member's topology differs from the one group '${this.group}' runs (fingerprint ${this.topology.fingerprint} here, ${winner} on ${other?.name ?? 'the other members'}): ${diff.join('; ') || 'same operators, other build'}. ` +
          `Fix: run the same job code on every member, or give a changed job another --job-id (it then starts from scratch)`,
        { context: { fingerprint: this.topology.fingerprint, cluster: winner, differences: diff } },
      ),
    );
  }

  private startTask(t: string): void {
    const { subtopology, partition } = parseTaskId(t);
    const runner: TaskRunner = new TaskRunner({
      kafka: this.kafka,
      graph: this.topology.graph,
      sub: this.plan.subtopologies[subtopology],
      partition,
      partitions: this.tasks.get(subtopology)!,
      placement: this.placement,
      inFlight: this.o.inFlightBatches ?? 4,
      group: this.group,
      transactionalId: `${this.prefix}${this.job}-task-${t}`,
      log: this.o.log,
      meter: this.meters.report(t),
      onFailed: (err, fenced) => {
        if (this.running.get(t) !== runner) return;
        this.running.delete(t);
        void runner.close();
        if (fenced) {
          this.o.log.warn({ task: t }, `weir cluster: task ${t} was fenced (another member runs it now); it stays stopped here until the group assigns it again`);
          return;
        }
        this.onTaskFailed(t, err);
      },
    });
    this.running.set(t, runner);
    // A start that fails (e.g. its restore timed out) is a task failure too.
    runner.start().catch((err: Error) => runner.fail(err));
  }

  /** Restart the task within its budget (OTP intensity/period), else fail the member naming the task and the cause. */
  private onTaskFailed(t: string, err: Error): void {
    const d = decide(this.restarts.get(t) ?? [], Date.now(), this.restart, Math.random);
    if (d.action === 'escalate') {
      this.o.log.error({ task: t, err, restarts: d.restarts }, `weir cluster: task ${t} failed again (${err.message}); its restart budget is spent`);
      void this.fail(
        new WeirError(
          'CLUSTER_TASK_FAILED',
          `weir cluster: task ${t} of job '${this.job}' failed ${d.restarts + 1} times within ${this.restart.withinMs} ms, past its restart budget (maxRestarts ${this.restart.maxRestarts}); this member leaves the group. Last cause: ${err.message}. ` +
            `Fix: correct the cause (onError: 'skip' skips records an operator throws on), or allow more restarts (restart: { maxRestarts, withinMs }); its output stays committed up to its last transaction`,
          { cause: err, context: { task: t, restarts: d.restarts } },
        ),
      );
      return;
    }
    this.restarts.set(t, d.history);
    this.meters.meter(t).restarts++;
    this.o.log.warn({ task: t, err, delayMs: d.delayMs }, `weir cluster: task ${t} failed (${err.message}); restarting it from its last committed transaction in ${d.delayMs} ms (restart ${d.history.length} of ${this.restart.maxRestarts} within ${this.restart.withinMs} ms)`);
    setTimeout(() => {
      this.applying = this.applying.then(() => {
        if (!this.stopping && this.assigned.has(t) && !this.running.has(t)) this.startTask(t);
      });
    }, d.delayMs);
  }

  private async stopTask(t: string): Promise<void> {
    const r = this.running.get(t);
    this.running.delete(t);
    await r?.close();
  }

  private async fail(e: Error): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.shutdown();
    this.rejectDone(e);
  }

  private async shutdown(): Promise<void> {
    await this.purger?.close();
    await Promise.all([...this.running.keys()].map((t) => this.stopTask(t)));
    await this.consumer.disconnect().catch(() => {});
    await this.placement.shutdown();
    await this.endpoint?.close();
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => {});
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.done;
    this.stopping = true;
    // The graceful leave is bounded, as Kafka Streams' close(timeout): a task stuck in a broker call
    // must not keep the member alive. Leaving without it is safe: the next owner's transactional
    // producer fences whatever this member still has open, and restores from the last commit.
    const boundMs = this.o.sessionTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), boundMs)));
    const left = (async () => {
      await this.applying.catch(() => {});
      await this.shutdown();
      return 'left' as const;
    })();
    const how = await Promise.race([left, bounded]);
    clearTimeout(timer);
    if (how === 'timeout') this.o.log.warn({ boundMs }, `weir cluster: the graceful leave did not finish within ${boundMs} ms (the session timeout); leaving without it: the members that take the tasks over fence what was left open`);
    this.resolveDone();
  }

  status(): MemberStatus {
    const tasks: MemberStatus['tasks'] = {};
    for (const [t, r] of this.running) tasks[t] = { ...r.stats, offsets: { ...r.stats.offsets }, meter: { ...this.meters.meter(t) } };
    return { job: this.job, group: this.group, memberId: this.memberId, tasks, metricsUrl: this.endpoint?.url };
  }
}
