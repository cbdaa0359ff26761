/**
 * The worker-thread side of a worker host (the coordinator side is
 * runtime/coordinator/worker-handle.ts). It imports the job module, builds
 * the actors the plan placed here, wires peer ports and runs the scheduler.
 * Everything it exchanges with the coordinator is declared in protocol.ts.
 */
import { parentPort } from 'node:worker_threads';
import { JobLoadError } from '../../actors/errors.js';
import { loadTopology } from '../load/load-topology.js';
import { createLogger } from '../log.js';
import { ActorHost } from './actor-host.js';
import { realClock, realTimers } from './env.js';
import { PortRouter } from './port-router.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { serializeError } from './serialize-error.js';

const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const pendingPeers: { peer: number; port: import('node:worker_threads').MessagePort }[] = [];
let router: PortRouter | undefined;
let host: ActorHost | undefined;
let failed = false;
let metricsTimer: NodeJS.Timeout | undefined;

function fail(actor: number | undefined, e: unknown): void {
  if (failed) return;
  failed = true;
  host?.dispose().catch(() => {});
  send({ t: 'failed', actor, error: serializeError(e) });
}

async function init(init: WorkerInit): Promise<void> {
  const log = createLogger(init.logLevel, { job: init.plan.job, worker: init.worker });
  const topology = await loadTopology(init.moduleUrl, init.exportName);
  if (topology.fingerprint !== init.plan.fingerprint) {
    throw new JobLoadError(
      `topology '${topology.name}' built differently in worker ${init.worker} than in the coordinator (fingerprint ${topology.fingerprint} != ${init.plan.fingerprint}). ` +
        'Fix: make the build function deterministic (no Math.random(), Date.now() or environment-dependent operators in it)',
    );
  }
  router = new PortRouter(init.plan, init.worker, (e) => fail(undefined, e));
  for (const p of pendingPeers.splice(0)) router.addPeer(p.peer, p.port);
  host = new ActorHost({
    plan: init.plan,
    graph: topology.graph,
    worker: init.worker,
    channel: init.channel,
    remote: router,
    log,
    clock: realClock,
    timers: realTimers,
    defer: setImmediate,
    events: {
      fail: (actor, e) => fail(actor, e),
      publish: (actor, data) => send({ t: 'publish', actor, data }),
      deadLetter: (actor, record, error) => {
        log.warn({ operator: init.plan.actors[actor].operator, err: error }, 'record skipped (onError: skip)');
        send({ t: 'dead-letter', actor, record, error: serializeError(error) });
      },
      sinkFinished: (actor) => send({ t: 'sink-finished', actor }),
    },
  });
  router.attach(host);
  await host.open();
  if (init.metricsIntervalMs > 0) {
    metricsTimer = setInterval(() => host && send({ t: 'metrics', tasks: host.metrics(), heapUsed: process.memoryUsage().heapUsed }), init.metricsIntervalMs);
    metricsTimer.unref();
  }
  send({ t: 'ready' });
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
      host!.start();
      return;
    case 'stop':
      host?.requestStop();
      return;
    case 'shutdown':
      void shutdown();
      return;
  }
});

async function shutdown(): Promise<void> {
  if (metricsTimer) clearInterval(metricsTimer);
  if (host) send({ t: 'metrics', tasks: host.metrics(), heapUsed: process.memoryUsage().heapUsed });
  await host?.dispose();
  router?.close();
  send({ t: 'closed' });
  port.close();
}
