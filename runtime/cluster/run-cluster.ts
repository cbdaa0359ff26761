/**
 * `runCluster(job, { cluster })`, also `run(job, { cluster })`: runs this
 * process as one member of the job's cluster (the public API of
 * `weir run job.ts --cluster ...`). A thin facade: the member and kafkajs
 * load on first use.
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../actors/errors.js';
import type { Topology } from '../dsl/topology.js';
import type { ClusterOptions, MemberStatus } from './member.js';

export interface ClusterRunOptions extends Omit<ClusterOptions, 'log' | 'module'> {
  /** pino level for logs on stderr (default 'warn'). */
  logLevel?: string;
  /** Named export holding the topology, when the module has several. */
  exportName?: string;
}

export interface ClusterHandle {
  /** Resolves once stop() has left the group; rejects with a WeirError when the member fails (also when it cannot start). */
  readonly done: Promise<void>;
  /** Graceful leave: in-flight transactions commit, then the member leaves and its tasks move to the others at once. */
  stop(): Promise<void>;
  /** This member's tasks and their committed positions; undefined until it has started. */
  status(): MemberStatus | undefined;
}

export function runCluster(job: string | URL | Topology, options: ClusterRunOptions): ClusterHandle {
  const started = (async () => {
    checkClusterOptions(options as unknown as Record<string, unknown>); // run(job, { cluster, ...single-process options }) lands here too
    const [{ startMember }, { loadJob }, { createLogger }] = await Promise.all([import('./member.js'), import('../coordinator/load.js'), import('../log.js')]);
    const workers = options.workers ?? availableParallelism();
    const loaded = await loadJob(job, { workers, exportName: options.exportName });
    const log = createLogger(options.logLevel ?? 'warn', { job: options.jobId ?? loaded.topology.name });
    const module = loaded.moduleUrl ? { url: loaded.moduleUrl, exportName: options.exportName, logLevel: options.logLevel } : undefined;
    // Workers (and their replacements) import the compiled module as long as the member runs.
    const member = await startMember(loaded.topology, { ...options, workers, module, log }).catch((e) => {
      loaded.compiled?.cleanup();
      throw e;
    });
    void member.done.finally(() => loaded.compiled?.cleanup()).catch(() => {});
    return member;
  })();
  let member: Awaited<typeof started> | undefined;
  void started.then((m) => (member = m), () => {});
  const done = started.then((m) => m.done);
  done.catch(() => {});
  return {
    done,
    stop: () => started.then((m) => m.stop()),
    status: () => member?.status(),
  };
}

/** The options a member takes; run(job, { cluster, ... }) refuses the others rather than ignore them. */
const CLUSTER_OPTIONS = new Set(['cluster', 'workers', 'jobId', 'repartitionPartitions', 'sessionTimeoutMs', 'connectTimeoutMs', 'restart', 'http', 'repartitionPurgeIntervalMs', 'logLevel', 'exportName']);

/** `run(job, { cluster, ... })`: an error naming an option that does not apply in cluster mode. */
function checkClusterOptions(options: Record<string, unknown>): void {
  if (typeof options.cluster !== 'string') throw new ConfigError(`run(): cluster is ${JSON.stringify(options.cluster)}. Fix: cluster: 'kafka://host:port[/prefix]'`, { field: 'cluster' });
  const other = Object.keys(options).filter((k) => !CLUSTER_OPTIONS.has(k) && options[k] !== undefined);
  if (other.length > 0) {
    throw new ConfigError(
      `run(): ${other.map((k) => `'${k}'`).join(', ')} ${other.length > 1 ? 'do' : 'does'} not apply with the cluster option (a member runs Kafka-transactional tasks: no state backend or checkpoints). ` +
        `Fix: remove ${other.length > 1 ? 'them' : 'it'}, or run without cluster; a member takes ${[...CLUSTER_OPTIONS].join(', ')}`,
      { field: other[0] },
    );
  }
}
