/**
 * The worker-thread side of cluster tasks: a member's worker (the same
 * worker entry single-process mode uses) imports the job module, checks it
 * builds the member's topology, and hosts the chains of the tasks placed on
 * it. It does no I/O: batches come in as msgpack rows and go back as
 * TaskOutputs (task-batch.ts), buffers transferred. The main side is
 * task-workers.ts.
 */
import { JobLoadError } from '../../actors/errors.js';
import type { Logger } from '../../actors/contract.js';
import type { LogicalGraph } from '../dsl/graph.js';
import type { ClusterWorkerInit, FromClusterTask, ToClusterTask } from '../host/protocol.js';
import { serializeError } from '../host/serialize-error.js';
import { loadTopology } from '../load/load-topology.js';
import { tasksOfNode, type ClusterPlan } from './subtopologies.js';
import { encodeTaskOutput, runTaskBatch } from './task-batch.js';
import { TaskChain, type ChainSetup } from './task-chain.js';

type Send = (m: FromClusterTask, transfer?: ArrayBuffer[]) => void;

export async function clusterWorker(init: ClusterWorkerInit, log: Logger, send: Send): Promise<WorkerTasks> {
  const topology = await loadTopology(init.moduleUrl, init.exportName);
  if (topology.fingerprint !== init.fingerprint) {
    throw new JobLoadError(
      `topology '${topology.name}' built differently in worker ${init.worker} than in the cluster member (fingerprint ${topology.fingerprint} != ${init.fingerprint}). ` +
        'Fix: make the build function deterministic (no Math.random(), Date.now() or environment-dependent operators in it)',
    );
  }
  return new WorkerTasks(topology.graph, init.plan as ClusterPlan, log, send);
}

export class WorkerTasks {
  private readonly chains = new Map<number, TaskChain>();
  private setup: ChainSetup | undefined;

  constructor(
    private readonly graph: LogicalGraph,
    private readonly plan: ClusterPlan,
    private readonly log: Logger,
    private readonly send: Send,
  ) {}

  handle(m: ToClusterTask): void {
    if (m.t === 'layout') {
      this.setup = { graph: this.graph, repartitionPartitions: new Map(m.repartitionPartitions), tasksOfNode: tasksOfNode(this.plan, new Map(m.tasks)), log: this.log };
      return;
    }
    if (m.t === 'open') {
      try {
        if (!this.setup) throw new Error('bug: a task opened before the layout arrived');
        this.chains.set(m.h, new TaskChain(this.setup, this.plan.subtopologies[m.sub], m.partition, m.partitions, m.state as never));
        this.send({ t: 'opened', h: m.h });
      } catch (e) {
        this.send({ t: 'failed', h: m.h, error: serializeError(e) });
      }
      return;
    }
    const chain = this.chains.get(m.h);
    if (!chain) return; // closed meanwhile, or failed before
    if (m.t === 'close') {
      this.chains.delete(m.h);
      chain.close();
      return;
    }
    try {
      const out = encodeTaskOutput(runTaskBatch(chain, this.graph, m.topic, m.rows, m.offsets, Date.now()), { operator: `task ${chain.sub.id}.${chain.partition}`, instance: chain.partition });
      this.send({ t: 'out', h: m.h, seq: m.seq, out }, [out.buffer as ArrayBuffer]);
    } catch (e) {
      // A failed chain is dropped: the task restarts from its last commit with a new one.
      this.chains.delete(m.h);
      chain.close();
      this.send({ t: 'failed', h: m.h, error: serializeError(e) });
    }
  }

  dispose(): void {
    for (const c of this.chains.values()) c.close();
    this.chains.clear();
  }
}
