/**
 * `runInline(topology, options)`: the same actor code as a real job (the
 * ActorHost, tasks, channels, checkpointer and failover), run on one thread
 * on virtual time with a seeded scheduler. Several simulated workers are
 * joined by a simulated network. Same seed, same run, bit for bit: timers,
 * bufferTimeout and checkpoint intervals advance virtually, so a simulated
 * hour runs in milliseconds.
 *
 * Sources named in `inputs` read those arrays (replayable); every sink is an
 * in-memory two-phase-commit sink, so the result shows the committed output
 * (what an exactly-once sink makes visible) and the emitted output (what an
 * at-least-once sink would show) per sink. Faults (see faults.ts) are injected
 * on schedule.
 */
import type { Logger, SinkConnector, SourceConnector } from '../../actors/contract.js';
import { ConfigError, EncodeError, WeirError } from '../../actors/errors.js';
import { restartStrategy, type RestartStrategy } from '../../supervision/restart-strategy.js';
import type { SupervisorEvent } from '../../supervision/supervisor.js';
import { memoryBackend } from '../checkpoint/storage/memory-backend.js';
import { encodeBatch } from '../channel/codec.js';
import { Checkpointer } from '../coordinator/checkpointer.js';
import type { Engine } from '../coordinator/engines.js';
import { Failover, type SupervisionStep } from '../coordinator/failover.js';
import { deserializeError, serializeError } from '../host/serialize-error.js';
import type { LogicalGraph, LogicalNode } from '../dsl/graph.js';
import { isTopology, type Topology } from '../dsl/topology.js';
import { ActorHost, DEFAULT_CHANNEL_OPTIONS, type HostEvents } from '../host/actor-host.js';
import type { RestoreSet } from '../host/protocol.js';
import { plan as planTopology } from '../plan/planner.js';
import { faultyBackend } from './faulty-backend.js';
import { validateFaults, type Fault } from './faults.js';
import { RunProbe, type RunTimeline } from './run-probe.js';
import { SimNetwork } from './sim-network.js';
import { fromArray, txSink, type TxSinkOptions, type TxSinkStore } from './sim-connectors.js';
import { VirtualTime } from './virtual-time.js';

export interface InlineRunOptions {
  /** Records for sources, by source name (replacing their connectors). */
  inputs?: Record<string, readonly unknown[]>;
  /** Picks the interleaving (default 1). */
  seed?: number;
  /** Simulated workers (default 1). */
  workers?: number;
  /** Parallelism of operators that set none (default 1). */
  parallelism?: number;
  faults?: readonly Fault[];
  /** Virtual ms between checkpoints (default 50). */
  checkpointInterval?: number;
  batchSize?: number;
  credits?: number;
  bufferTimeout?: number;
  /** A hung worker is replaced after this many virtual ms (default 1000). */
  heartbeatTimeoutMs?: number;
  restart?: Partial<Omit<RestartStrategy, 'backoff'>> & { backoff?: Partial<RestartStrategy['backoff']> };
  /** Virtual ms one scheduler tick takes (default 1), and the actor steps it runs at most (default 4). */
  tickMs?: number;
  stepsPerTick?: number;
  /** Drain the job at this virtual time (for unbounded sources). */
  stopAtMs?: number;
  /** Give up after this many events (default 2,000,000) or virtual ms (default 3,600,000). */
  maxEvents?: number;
  maxTimeMs?: number;
  /** Every supervision step (event and effects), in order. */
  onSupervision?: (s: SupervisionStep) => void;
  /** A deliberately broken sink that publishes before its checkpoint completes (to see properties fail). */
  brokenSinkCommitsEarly?: boolean;
  /**
   * The simulated connectors, replaceable to test a connector of your own
   * against the simulation: `source` reads a source's input array (default
   * fromArray), `sink` records what it makes visible in `store` (default
   * txSink: two-phase, committed when the checkpoint completes).
   */
  connectors?: {
    source?: (values: readonly unknown[], onRestore: (emittedBefore: boolean) => void) => SourceConnector;
    sink?: (store: TxSinkStore, o: TxSinkOptions) => SinkConnector;
  };
}

export interface InlineResult {
  /** Committed output per sink (exactly-once view), in commit order. */
  outputs: Record<string, unknown[]>;
  /** Every record written per sink, including ones later rolled back (at-least-once view). */
  emitted: Record<string, unknown[]>;
  deadLetters: { operator: string; instance: number; record: unknown; error: string }[];
  restarts: number;
  checkpoints: number;
  /** What happened, with virtual times. */
  trace: string[];
  virtualTimeMs: number;
  events: number;
  /** Checkpoints, recoveries and per-actor record counts, with virtual times (weir/testing places faults within them). */
  timeline: RunTimeline;
  /** Set when the job failed (e.g. restarts exhausted); outputs hold what was committed until then. */
  error?: WeirError;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A topology, or a function that builds it (then checked for deterministic builds). */
export type TopologySource = Topology | (() => Topology);

export function resolveTopology(t: TopologySource): Topology {
  if (isTopology(t)) return t;
  if (typeof t !== 'function') throw new ConfigError('expected a topology or a function returning one. Fix: pass topology(...) or () => topology(...)');
  const a = t();
  const b = t();
  if (!isTopology(a) || !isTopology(b)) throw new ConfigError('the function did not return a topology. Fix: return topology(...) from it');
  if (a.fingerprint !== b.fingerprint) {
    const ids = (x: Topology) => x.graph.nodes.map((n) => n.id).join(', ');
    throw new ConfigError(
      `topology '${a.name}' is not deterministic: two builds differ (operators ${ids(a)} vs ${ids(b)}). Workers rebuild it from the module, so they would run different operators. Fix: build it without Math.random(), Date.now() or other changing inputs`,
    );
  }
  return a;
}

function prepare(graph: LogicalGraph, o: InlineRunOptions, stores: Record<string, TxSinkStore>, vt: VirtualTime, probe: RunProbe): LogicalGraph {
  const sources = graph.nodes.filter((n) => n.kind === 'source').map((n) => n.id);
  for (const [name, values] of Object.entries(o.inputs ?? {})) {
    if (!sources.includes(name)) throw new ConfigError(`inputs name source '${name}', which topology '${graph.name}' does not have. Fix: use one of ${sources.join(', ')}`);
    if (!Array.isArray(values)) throw new ConfigError(`inputs['${name}'] must be an array of records`);
    try {
      encodeBatch(values, { operator: name, instance: 0 });
    } catch (e) {
      const ee = e as EncodeError;
      throw new ConfigError(`inputs['${name}'] holds a value msgpack cannot encode (${String(ee.context?.valueType)}: ${ee.message}). Fix: generate plain data (strings, numbers, booleans, null, arrays, plain objects)`);
    }
  }
  const slow = new Map((o.faults ?? []).filter((f): f is Extract<Fault, { kind: 'slow-sink' }> => f.kind === 'slow-sink').map((f) => [f.sink, f.delayMs]));
  const nodes: LogicalNode[] = graph.nodes.map((n) => {
    if (n.kind === 'source' && o.inputs?.[n.id]) return { ...n, source: (o.connectors?.source ?? ((v, r) => fromArray(v, undefined, r)))(o.inputs[n.id], probe.sourceRestored) };
    if (n.kind === 'sink') {
      const store = (stores[n.id] = { committed: [], emitted: [] });
      return { ...n, sink: (o.connectors?.sink ?? txSink)(store, { delayMs: slow.get(n.id), timers: vt.timers(-1), commitEarly: o.brokenSinkCommitsEarly }) };
    }
    return n;
  });
  return { ...graph, nodes };
}

export async function runInline(t: TopologySource, o: InlineRunOptions = {}): Promise<InlineResult> {
  const topology = resolveTopology(t);
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new ConfigError(`workers is ${workers}. Fix: an integer >= 1`);
  const faults = o.faults ?? [];
  validateFaults(faults, topology.graph, workers, o.parallelism ?? 1);
  const vt = new VirtualTime(o.seed ?? 1);
  const stores: Record<string, TxSinkStore> = {};
  const probe = new RunProbe(faults, vt.now, (w, why) => {
    if (done || failed || ending) return false;
    log(`worker ${w} crashes (${why})`);
    failover.dispatch({ t: 'worker-failed', worker: w, how: 'exited', error: workerLost('WORKER_EXITED', `worker ${w} exited unexpectedly (${why})`, w) });
    return true;
  }, () => hosts.flatMap((h) => h.metrics().map((m) => ({ ...plan.actors[m.actor], recordsIn: m.recordsIn, recordsOut: m.recordsOut }))));
  const graph = prepare(topology.graph, o, stores, vt, probe);
  const plan = planTopology(graph, { workers, defaultParallelism: o.parallelism ?? 1, fingerprint: topology.fingerprint });
  const strategy = restartStrategy(o.restart);
  const heartbeatTimeout = o.heartbeatTimeoutMs ?? 1000;
  const trace: string[] = [];
  const log = (s: string) => trace.push(`${vt.now()}ms ${s}`);
  const deadLetters: InlineResult['deadLetters'] = [];
  let failed: WeirError | undefined;
  let done = false;
  let ending = false;

  const network = new SimNetwork(plan, vt);
  network.maxDelayMs = Math.max(0, ...faults.map((f) => (f.kind === 'channel-delay' ? f.maxMs : 0)));
  const events: HostEvents = {
    // Errors cross no thread here; they are given the shape a worker's would have, so both decide alike.
    fail: (actor, e, epoch) => failover.dispatch({ t: 'actor-failed', actor, epoch, error: failure(e) }),
    publish: () => {},
    deadLetter: (actor, record, error) => deadLetters.push({ operator: plan.actors[actor].operator, instance: plan.actors[actor].instance, record, error: error.message }),
    ack: (actor, id, epoch, snap) => {
      if (epoch === failover.epochOf(actor)) checkpointer.onAck(actor, id, snap);
    },
    finished: (actor, epoch, snap) => {
      if (epoch !== failover.epochOf(actor)) return;
      checkpointer.onFinished(actor, snap);
      if (checkpointer.tracker.allFinished() && !ending) finish();
    },
  };
  const hosts = Array.from(
    { length: workers },
    (_, w) =>
      new ActorHost({
        plan,
        graph,
        worker: w,
        job: topology.name,
        channel: {
          batchSize: o.batchSize ?? DEFAULT_CHANNEL_OPTIONS.batchSize,
          credits: o.credits ?? DEFAULT_CHANNEL_OPTIONS.credits,
          bufferTimeout: o.bufferTimeout ?? DEFAULT_CHANNEL_OPTIONS.bufferTimeout,
        },
        remote: network.linksFor(w),
        events,
        log: silent,
        clock: vt,
        processingClock: vt,
        timers: vt.timers(w),
        defer: vt.defer(w, o.tickMs ?? 1),
        epochs: new Array<number>(plan.regions).fill(0),
        restore: {},
        order: (ready) => shuffle(ready, vt.random),
        maxStepsPerTick: o.stepsPerTick ?? 4,
      }),
  );
  network.hosts.push(...hosts);

  const engine: Engine = {
    start: async () => {},
    stop: () => hosts.forEach((h) => h.requestStop()),
    trigger: (id) => (probe.trigger(id), hosts.forEach((h) => h.triggerCheckpoint(id))),
    complete: async (id, wait) => {
      const crashed = probe.durable(id, wait);
      const all = Promise.all(hosts.filter((_, w) => !crashed.has(w)).map((h) => h.checkpointComplete(id))).then(() => probe.committed(id));
      if (wait) await all;
      else all.catch((e) => (failed ??= new WeirError('SINK_COMMIT_FAILED', String(e))));
    },
    // A simulated worker is not replaced: its regions are rebuilt like any other's.
    recover: async (regions, epochs, restore, _crashed, from, poisoned) => {
      probe.restoring(from);
      await Promise.all(hosts.map((h, w) => h.resetRegions(regions, epochs, only(restore, plan.actors.filter((a) => a.worker === w).map((a) => a.id)), from, poisoned)));
      hosts.forEach((h) => h.start());
      probe.restored();
    },
    shutdown: async () => {},
    kill: async () => {},
  };
  const backend = faultyBackend(memoryBackend(), vt, faults);
  const checkpointer = new Checkpointer({
    backend,
    job: topology.name,
    plan,
    engine,
    log: silent,
    intervalMs: o.checkpointInterval ?? 50,
    timeoutMs: 10_000,
    tolerable: -1,
    keep: 2,
    nextId: 1,
    restoredFrom: undefined,
    onFatal: (e) => (failed ??= e),
    onCompleted: (id) => failover.dispatch({ t: 'checkpoint-completed', id }),
    clock: vt,
    timers: vt.timers(-1),
  });

  // ---- supervision: production's supervisor core and interpreter, on virtual time ----
  const failover: Failover = new Failover({
    plan,
    strategy,
    restoredFrom: undefined,
    checkpointer,
    engine,
    log: silent,
    now: () => vt.now(),
    random: vt.random,
    timers: vt.timers(-1),
    escalate: (e) => {
      failed ??= e;
      log(`job failed: ${e.message}`);
    },
    observe: (s) => {
      o.onSupervision?.(s);
      for (const e of s.effects) {
        if (e.t === 'bump-epochs') log(`restart region(s) ${e.regions.join(',')} after: ${failover ? describe(s.event) : ''}`);
        if (e.t === 'restore') log(`region(s) ${e.regions.join(',')} restore from checkpoint ${e.from ?? 'none'}`);
      }
    },
  });
  const failure = (e: unknown): WeirError => (e instanceof WeirError ? deserializeError(serializeError(e)) : new WeirError('INTERNAL', String(e)));

  function finish(): void {
    ending = true;
    failover.dispatch({ t: 'job-ending' });
    probe.finishing();
    checkpointer.final('final').then(
      (id) => {
        log(`final checkpoint ${id} committed`);
        checkpointer.stop();
        done = true;
      },
      (e) => (failed ??= e),
    );
  }

  // A fault due once the job is ending (every actor finished) does not happen: there is nothing left for it to hit.
  const over = () => done || failed !== undefined || ending;
  for (const f of faults) {
    if (f.kind === 'worker-crash') {
      vt.at(f.atMs, () => {
        log(`worker ${f.worker} crashes`);
        if (!over()) failover.dispatch({ t: 'worker-failed', worker: f.worker, how: 'exited', error: workerLost('WORKER_EXITED', `worker ${f.worker} exited unexpectedly`, f.worker) });
      });
    }
    if (f.kind === 'worker-hang') {
      vt.at(f.atMs, () => {
        log(`worker ${f.worker} hangs for ${f.forMs} ms`);
        vt.hold(f.worker, f.atMs + f.forMs);
        if (f.forMs >= heartbeatTimeout) {
          vt.at(heartbeatTimeout, () => {
            vt.release(f.worker);
            if (over()) return;
            const error = workerLost('WORKER_UNRESPONSIVE', `worker ${f.worker} did not answer heartbeats for ${heartbeatTimeout} ms`, f.worker);
            failover.dispatch({ t: 'worker-failed', worker: f.worker, how: 'hung', error });
          });
        }
      });
    }
  }
  if (o.stopAtMs !== undefined) vt.at(o.stopAtMs, () => (log('stop requested (drain)'), engine.stop()));
  const throws = faults.filter((f): f is Extract<Fault, { kind: 'actor-throws' }> => f.kind === 'actor-throws').map((f) => ({ f, fired: false }));
  const checkThrows = () => {
    for (const x of throws) {
      if (x.fired) continue;
      const a = plan.actors.find((p) => p.operator === x.f.operator && p.instance === x.f.instance);
      if (!a) continue;
      const m = hosts[a.worker].metrics().find((t) => t.actor === a.id);
      if (m && over()) x.fired = true;
      else if (m && m.recordsIn >= x.f.afterRecords) {
        x.fired = true;
        const error = new WeirError('INJECTED_FAULT', `injected fault: ${x.f.operator}[${x.f.instance}] fails after ${x.f.afterRecords} records`, { context: { operator: x.f.operator, instance: x.f.instance } });
        failover.dispatch({ t: 'actor-failed', actor: a.id, epoch: failover.epochOf(a.id), error });
      }
    }
  };

  await Promise.all(hosts.map((h) => h.open()));
  hosts.forEach((h) => h.start());
  checkpointer.start();
  const status = await vt.run(
    () => {
      if (throws.length) checkThrows();
      return done || failed !== undefined;
    },
    { maxEvents: o.maxEvents ?? 2_000_000, maxTimeMs: o.maxTimeMs ?? 3_600_000 },
  );
  checkpointer.stop();
  probe.ended();
  await Promise.allSettled(hosts.map((h) => h.dispose()));
  if (!done && !failed) {
    failed = new WeirError(
      'SIMULATION_STUCK',
      status === 'idle'
        ? `the simulated job went idle at ${vt.now()} ms before finishing: nothing left to run (a deadlock)`
        : `the simulated job did not finish within ${status === 'max-events' ? `${o.maxEvents ?? 2_000_000} events` : `${o.maxTimeMs ?? 3_600_000} virtual ms`} (unbounded source? use stopAtMs)`,
    );
  }
  const outputs: Record<string, unknown[]> = {};
  const emitted: Record<string, unknown[]> = {};
  for (const [k, s] of Object.entries(stores)) {
    outputs[k] = s.committed;
    emitted[k] = s.emitted;
  }
  return { outputs, emitted, deadLetters, restarts: failover.restarts, checkpoints: checkpointer.stats.completed, timeline: probe.timeline, trace, virtualTimeMs: vt.now(), events: vt.events, error: failed };
}

function workerLost(code: string, message: string, worker: number): WeirError {
  return new WeirError(code, message, { context: { worker }, retriable: true });
}

function describe(e: SupervisorEvent): string {
  if (e.t === 'actor-failed' || e.t === 'worker-failed' || e.t === 'recovery-failed') return e.error.message;
  return e.t;
}

function only(r: RestoreSet, ids: number[]): RestoreSet {
  const out: RestoreSet = {};
  for (const id of ids) if (r[id]) out[id] = r[id];
  return out;
}

/** Fisher-Yates with the simulation's random source. */
function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
