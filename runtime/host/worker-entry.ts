/**
 * The worker-thread side of a worker host (the coordinator side is
 * runtime/coordinator/worker-handle.ts). It imports the job module, builds
 * the actors the plan placed here, wires peer ports and runs the scheduler;
 * it serves checkpoint triggers and completions, region resets, and
 * heartbeats. Everything it exchanges is declared in protocol.ts.
 */
import { parentPort } from 'node:worker_threads';
import { JobLoadError } from '../../actors/errors.js';
import { loadTopology } from '../load/load-topology.js';
import { lazyLogger } from '../log.js';
import { ActorHost } from './actor-host.js';
import { realClock, realTimers } from './env.js';
import { PortRouter } from './port-router.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { serializeError } from './serialize-error.js';
import { applyHarness } from '../testing/harness.js';
import { WeirError } from '../../actors/errors.js';
import { idleThreadStats, threadStatsSampler, type ThreadStatsSampler } from './thread-stats.js';

const port = parentPort!;
const send = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
const pendingPeers: { peer: number; port: import('node:worker_threads').MessagePort }[] = [];
let router: PortRouter | undefined;
let host: ActorHost | undefined;
let metricsTimer: NodeJS.Timeout | undefined;

function fail(actor: number | undefined, e: unknown, epoch?: number): void {
  send({ t: 'failed', actor, epoch, error: serializeError(e) });
}

/** Heap, event-loop utilisation and delay; its delay monitor runs only when metrics are reported. */
let threadStats: ThreadStatsSampler | undefined;
const metrics = (): FromWorker => ({ t: 'metrics', tasks: host!.metrics(), ...(threadStats?.() ?? idleThreadStats()) });

async function init(init: WorkerInit): Promise<void> {
  const log = lazyLogger(init.logLevel, { job: init.job, worker: init.worker });
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
    graph: applyHarness(topology.graph, init.harness),
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
  armFaults(init);
  send({ t: 'ready' });
}

/** weir/testing: fire an armed actor fault once its actor has taken enough records. */
let armed: NonNullable<NonNullable<WorkerInit['harness']>['faults']> = [];
function armFaults(init: WorkerInit): void {
  armed = (init.harness?.faults ?? []).slice();
  if (!armed.length) return;
  const timer = setInterval(() => {
    if (!host || !armed.length) return;
    const m = host.metrics();
    for (const f of armed.slice()) {
      const a = init.plan.actors.find((x) => x.operator === f.operator && x.instance === f.instance && x.worker === init.worker);
      const t = a && m.find((x) => x.actor === a.id);
      if (!a || !t) continue;
      // An actor that finished before the (polled) count was seen can no longer fail: a fault
      // fired now would fail a job that is already ending, which no user function could do.
      if (t.finished) {
        armed = armed.filter((x) => x !== f);
        continue;
      }
      if (t.recordsIn < f.afterRecords) continue;
      armed = armed.filter((x) => x !== f);
      const err = new WeirError('INJECTED_FAULT', `injected fault: ${f.operator}[${f.instance}] fails after ${f.afterRecords} records`, { context: { operator: f.operator, instance: f.instance, fault: f.index } });
      fail(a.id, err, host.epochOfActor(a.id));
    }
  }, 2);
  timer.unref();
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
      host!.checkpointComplete(m.id).then(
        () => send({ t: 'committed', id: m.id }),
        (e) => fail(undefined, e),
      );
      return;
    case 'reset':
      host!.resetRegions(m.regions, m.epochs, m.restore, m.restoredFrom).then(
        () => send({ t: 'reset-done' }),
        (e) => fail(undefined, e),
      );
      return;
    case 'disarm':
      armed = armed.filter((f) => f.index !== m.index);
      return;
    case 'hang': {
      const until = Date.now() + m.ms;
      while (Date.now() < until); // deliberately stuck: the heartbeat must notice
      return;
    }
    case 'ping':
      send({ t: 'pong', n: m.n });
      return;
    case 'shutdown':
      void shutdown();
      return;
  }
});

async function shutdown(): Promise<void> {
  if (metricsTimer) clearInterval(metricsTimer);
  if (host) send(metrics());
  await host?.dispose();
  router?.close();
  send({ t: 'closed' });
  port.close();
}
