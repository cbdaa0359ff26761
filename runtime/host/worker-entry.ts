/**
 * The worker-thread side of a worker host (the coordinator side is
 * runtime/coordinator/worker-handle.ts). It imports the job module, builds
 * the actors the plan placed here, wires peer ports and runs the scheduler;
 * it serves checkpoint triggers and completions, region resets, and
 * heartbeats. Everything it exchanges is declared in protocol.ts.
 */
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { JobLoadError } from '../../actors/errors.js';
import { loadTopology } from '../load/load-topology.js';
import { lazyLogger } from '../log.js';
import { ActorHost } from './actor-host.js';
import { realClock, realTimers } from './env.js';
import { PortRouter } from './port-router.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import type { LogicalGraph } from '../dsl/graph.js';
import { serializeError } from './serialize-error.js';
import type { WorkerInjector, WorkerInjectorFactory } from './worker-injector.js';
import { WeirError } from '../../actors/errors.js';
import { idleThreadStats, threadStatsSampler, type ThreadStatsSampler } from './thread-stats.js';

const port = parentPort!;
const send = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
const pendingPeers: { peer: number; port: import('node:worker_threads').MessagePort }[] = [];
let router: PortRouter | undefined;
let host: ActorHost | undefined;
let metricsTimer: NodeJS.Timeout | undefined;
let injector: WorkerInjector | undefined;
/** Cluster mode: this worker hosts task chains (runtime/cluster/worker-tasks.ts), not actors. */
let clusterTasks: import('../cluster/worker-tasks.js').WorkerTasks | undefined;
/** Task messages that arrived while the job module was still loading. */
const earlyTasks: import('./protocol.js').ToClusterTask[] = [];

function fail(actor: number | undefined, e: unknown, epoch?: number): void {
  send({ t: 'failed', actor, epoch, error: serializeError(e) });
}

/** Heap, event-loop utilisation and delay; its delay monitor runs only when metrics are reported. */
let threadStats: ThreadStatsSampler | undefined;
const metrics = (): FromWorker => ({ t: 'metrics', tasks: host!.metrics(), ...(threadStats?.() ?? idleThreadStats()) });

async function init(init: WorkerInit): Promise<void> {
  const log = lazyLogger(init.logLevel, { job: init.job, worker: init.worker });
  if (init.injector) {
    const m = (await import(init.injector.module.startsWith('file:') ? init.injector.module : pathToFileURL(init.injector.module).href)) as { workerInjector?: WorkerInjectorFactory };
    if (typeof m.workerInjector !== 'function') throw new JobLoadError(`fault injector module ${init.injector.module} exports no workerInjector(data) function`);
    injector = m.workerInjector(init.injector.data);
  }
  const graph = await jobGraph(init);
  router = new PortRouter(init.plan, init.worker, (e) => fail(undefined, e));
  for (const p of pendingPeers.splice(0)) router.addPeer(p.peer, p.port);
  host = new ActorHost({
    plan: init.plan,
    graph: injector?.graph ? injector.graph(graph) : graph,
    worker: init.worker,
    job: init.job,
    channel: init.channel,
    remote: router,
    log,
    clock: realClock,
    timers: realTimers,
    defer: setImmediate,
    epochs: init.epochs,
    restore: init.restore,
    restoredFrom: init.restoredFrom,
    poisoned: init.poisoned,
    events: {
      fail: (actor, e, epoch) => fail(actor, e, epoch),
      publish: (actor, data) => send({ t: 'publish', actor, data }),
      deadLetter: (actor, record, error) => {
        log.warn({ operator: init.plan.actors[actor].operator, err: error }, 'record skipped (onError: skip)');
        send({ t: 'dead-letter', actor, record, error: serializeError(error) });
      },
      ack: (actor, id, epoch, snapshot) => send({ t: 'ack', actor, id, epoch, snapshot }, [snapshot.buffer as ArrayBuffer]),
      finished: (actor, epoch, snapshot) => send({ t: 'finished', actor, epoch, snapshot }, [snapshot.buffer as ArrayBuffer]),
    },
  });
  router.attach(host);
  await host.open();
  if (init.metricsIntervalMs > 0) {
    threadStats = threadStatsSampler();
    metricsTimer = setInterval(() => host && send(metrics()), init.metricsIntervalMs);
    metricsTimer.unref();
  }
  const h = host;
  injector?.attach?.({ worker: init.worker, plan: init.plan, metrics: () => h.metrics(), epochOfActor: (a) => h.epochOfActor(a), fail });
  send({ t: 'ready' });
}

/**
 * The job's graph. A worker the plan gives no actor (`--workers 2` for a job of parallelism 1) never
 * hosts one (placement is fixed for a run): it skips importing the job, whose module graph and
 * topology build took CPU from the threads that start the job (about a quarter of the start-up CPU
 * of the reference job), and memory.
 */
async function jobGraph(init: WorkerInit): Promise<LogicalGraph> {
  if (!init.plan.actors.some((a) => a.worker === init.worker)) return { name: init.job, nodes: [], maxParallelism: 1 };
  const topology = await loadTopology(init.moduleUrl, init.exportName);
  if (topology.fingerprint !== init.plan.fingerprint) {
    throw new JobLoadError(
      `topology '${topology.name}' built differently in worker ${init.worker} than in the coordinator (fingerprint ${topology.fingerprint} != ${init.plan.fingerprint}). ` +
        'Fix: make the build function deterministic (no Math.random(), Date.now() or environment-dependent operators in it)',
    );
  }
  return topology.graph;
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'init':
      init(m.init).catch((e) => fail(undefined, e));
      return;
    case 'peer':
      if (router) router.addPeer(m.peer, m.port);
      else pendingPeers.push({ peer: m.peer, port: m.port });
      return;
    case 'start':
    case 'start-regions':
      host!.start();
      return;
    case 'stop':
      host?.requestStop();
      return;
    case 'trigger':
      host?.triggerCheckpoint(m.id);
      return;
    case 'complete':
      // A replacement worker still initializing has no task that was part of checkpoint m.id.
      if (!host) {
        send({ t: 'committed', id: m.id });
        return;
      }
      host.checkpointComplete(m.id).then(
        () => send({ t: 'committed', id: m.id }),
        (e) => fail(undefined, e),
      );
      return;
    case 'reset':
      host!.resetRegions(m.regions, m.epochs, m.restore, m.restoredFrom, m.poisoned).then(
        () => send({ t: 'reset-done' }),
        (e) => send({ t: 'reset-failed', error: serializeError(e) }),
      );
      return;
    case 'inject':
      injector?.message?.(m.data);
      return;
    case 'ping':
      send({ t: 'pong', n: m.n });
      return;
    case 'shutdown':
      void shutdown();
      return;
    case 'cluster-init': {
      const { init } = m;
      import('../cluster/worker-tasks.js')
        .then((c) => c.clusterWorker(init, lazyLogger(init.logLevel, { job: init.job, worker: init.worker }), (x, transfer) => send({ t: 'task', m: x }, transfer)))
        .then(
          (w) => {
            clusterTasks = w;
            for (const early of earlyTasks.splice(0)) w.handle(early);
            send({ t: 'ready' });
          },
          (e) => fail(undefined, e),
        );
      return;
    }
    case 'task':
      if (clusterTasks) clusterTasks.handle(m.m);
      else earlyTasks.push(m.m);
      return;
  }
});

async function shutdown(): Promise<void> {
  if (metricsTimer) clearInterval(metricsTimer);
  if (host) send(metrics());
  await host?.dispose();
  clusterTasks?.dispose();
  router?.close();
  send({ t: 'closed' });
  port.close();
}
