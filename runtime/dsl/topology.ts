/**
 * The topology DSL. Building is eager and deterministic: `topology()` runs the
 * build function once, validates the graph and freezes it. Every worker
 * imports the same module and gets the same graph, finding each operator (and
 * its inline lambdas) by stable id; no code is serialized.
 *
 * @example
 * export default topology('real-time-processing', (t) =>
 *   t.source('in', generator({ count: 100 }))
 *    .map((v) => `Processed: ${v}`)
 *    .sink('out', stdout()));
 */
import type { OnError, SinkConnector, SourceConnector } from '../../actors/contract.js';
import { isSinkConnector, isSourceConnector } from '../../actors/contract.js';
import { TopologyError } from '../../actors/errors.js';
import { DEFAULT_MAX_PARALLELISM, type Key } from '../../actors/key-groups.js';
import type { ProcessFn, ProcessHandlers } from '../../actors/operators/process.js';
import type { TimestampOptions } from '../../actors/operators/timestamps.js';
import type { AnyStateMachine, EventFromLogic } from 'xstate';
import { machineHandlers, type MachineOptions, type MachineOutput } from '../../actors/operators/machine/machine-handlers.js';
import { validateMachine } from '../../actors/operators/machine/validate-machine.js';
import type { Aggregator, Window, WindowAssigner, WindowFunction, WindowProcessContext, WindowSpec } from '../../actors/windows/window-spec.js';
import { validateTimestampOptions, validateWindow } from './validate-time.js';
import type { LogicalEdge, LogicalGraph, LogicalNode, NodeKind, Partitioning } from './graph.js';
import { validateGraph, validateName, validateParallelism } from './validate.js';
import { fingerprint } from './fingerprint.js';

export interface OperatorOptions {
  /** Stable name; defaults to `<kind>-<n>` in build order. It names state and metrics. */
  name?: string;
  /** Number of parallel instances; defaults to the job's default parallelism. */
  parallelism?: number;
  /** What a throwing user function does: restart from the last checkpoint (default), skip the record to the dead-letter sink, or stop the job. */
  onError?: OnError;
}

export interface TopologyOptions {
  /** Number of key groups, the upper bound for any operator's parallelism (default 128). */
  maxParallelism?: number;
}

const BRAND = Symbol.for('weir.topology');

export interface Topology {
  readonly [BRAND]: true;
  readonly name: string;
  readonly graph: LogicalGraph;
  /** Hash of ids, kinds and edges: equal across deterministic builds. */
  readonly fingerprint: string;
  /** The module that defined it, when it could be determined (used to start workers). */
  readonly moduleUrl: string | undefined;
}

export function isTopology(x: unknown): x is Topology {
  return typeof x === 'object' && x !== null && (x as Topology)[BRAND] === true;
}

/** Internal builder state shared by all streams of one topology. */
class Builder {
  readonly nodes: LogicalNode[] = [];
  private readonly counters = new Map<NodeKind, number>();
  constructor(readonly name: string) {}

  add(kind: NodeKind, opts: OperatorOptions, inputs: LogicalEdge[], extra: Partial<LogicalNode>, fixedName?: string): LogicalNode {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const id = fixedName ?? (opts.name === undefined ? `${kind}-${n}` : validateName(opts.name, kind));
    validateParallelism(opts.parallelism, id);
    if (opts.onError !== undefined && !['restart', 'skip', 'stop'].includes(opts.onError)) {
      throw new TopologyError(`operator '${id}' has onError ${JSON.stringify(opts.onError)}. Fix: use 'restart', 'skip' or 'stop'`, { operator: id });
    }
    const node: LogicalNode = { id, kind, parallelism: opts.parallelism, onError: opts.onError ?? 'restart', inputs, ...extra };
    this.nodes.push(node);
    return node;
  }
}

function requireFn(fn: unknown, op: string): void {
  if (typeof fn !== 'function') throw new TopologyError(`${op}() needs a function, got ${typeof fn}. Fix: pass (value) => ...`, { operator: op });
}

/** A stream of records of type T flowing out of one operator. */
export class Stream<T> {
  /** @internal */
  constructor(
    protected readonly b: Builder,
    protected readonly node: LogicalNode,
    protected readonly partitioning: Partitioning = 'auto',
    protected readonly keySelector?: (value: T) => Key,
    /** Event time of this stream's records (assignTimestamps upstream, through operators that keep records as they are). */
    protected readonly timestampFn?: (value: T) => number,
  ) {}

  protected edge(): LogicalEdge {
    return { from: this.node.id, partitioning: this.partitioning, keySelector: this.keySelector };
  }

  protected next<O>(kind: NodeKind, opts: OperatorOptions, extra: Partial<LogicalNode>, keepTimestamps = false): Stream<O> {
    const node = this.b.add(kind, opts, [this.edge()], { ...extra, keySelector: this.keySelector, timestampFn: this.timestampFn });
    return new Stream<O>(this.b, node, 'auto', undefined, keepTimestamps ? (this.timestampFn as never) : undefined);
  }

  /**
   * Event time: `fn(record)` is the record's timestamp (ms), and watermarks
   * trail the newest timestamp by `outOfOrderness` ms (bounded
   * out-of-orderness, as Flink's WatermarkStrategy). Downstream, event-time
   * windows and timers use them; the timestamp stays with the records through
   * filter, keyBy, rebalance, broadcast and union (operators that change
   * records need assignTimestamps again). An instance without records for
   * `idleTimeout` ms stops holding back event time.
   */
  assignTimestamps(fn: (value: T) => number, opts: TimestampOptions & OperatorOptions = {}): Stream<T> {
    requireFn(fn, 'assignTimestamps');
    const { outOfOrderness, idleTimeout, interval, ...op } = opts;
    const timestamps: TimestampOptions = { outOfOrderness, idleTimeout, interval };
    const node = this.b.add('timestamps', op, [this.edge()], { fn, keySelector: this.keySelector, timestamps });
    validateTimestampOptions(timestamps, node.id);
    return new Stream<T>(this.b, node, 'auto', undefined, fn);
  }

  /** Windows need a keyed stream: this explains the fix. */
  window(_assigner: WindowAssigner): WindowedStream<T> {
    throw new TopologyError(`window() after '${this.node.id}' needs a keyed stream: windows hold state per key. Fix: keyBy(...) before window(...)`, { operator: this.node.id });
  }

  map<O>(fn: (value: T) => O, opts: OperatorOptions = {}): Stream<O> {
    requireFn(fn, 'map');
    return this.next('map', opts, { fn });
  }

  filter(fn: (value: T) => boolean, opts: OperatorOptions = {}): Stream<T> {
    requireFn(fn, 'filter');
    return this.next('filter', opts, { fn }, true);
  }

  flatMap<O>(fn: (value: T) => Iterable<O>, opts: OperatorOptions = {}): Stream<O> {
    requireFn(fn, 'flatMap');
    return this.next('flatMap', opts, { fn });
  }

  /**
   * The general operator: `fn(record, ctx)`, or `{ onRecord, onTimer }` with
   * timers on a keyed stream (`ctx.timers.eventTime(ts)`, `processingTime(ts)`).
   */
  process<O>(fn: ProcessFn<T, O> | ProcessHandlers<T, O>, opts: OperatorOptions = {}): Stream<O> {
    if (typeof fn === 'object' && fn !== null) {
      requireFn(fn.onRecord, 'process');
      if (fn.onTimer !== undefined) requireFn(fn.onTimer, 'process');
      return this.next('process', opts, { fn: fn.onRecord, handlers: fn });
    }
    requireFn(fn, 'process');
    return this.next('process', opts, { fn });
  }

  /** Partition by key: records with equal keys reach the same instance of the next operator. */
  keyBy(selector: (value: T) => Key): KeyedStream<T> {
    requireFn(selector, 'keyBy');
    return new KeyedStream<T>(this.b, this.node, 'hash', selector, this.timestampFn);
  }

  /** Round-robin records over all instances of the next operator. */
  rebalance(): Stream<T> {
    return new Stream<T>(this.b, this.node, 'rebalance', undefined, this.timestampFn);
  }

  /** Send every record to every instance of the next operator. */
  broadcast(): Stream<T> {
    return new Stream<T>(this.b, this.node, 'broadcast', undefined, this.timestampFn);
  }

  /** Merge this stream with others of the same type into one; options may come last: `a.union(b, c, { name: 'all' })`. */
  union(...others: Stream<T>[]): Stream<T>;
  union(...args: [...Stream<T>[], OperatorOptions]): Stream<T>;
  union(...args: (Stream<T> | OperatorOptions)[]): Stream<T> {
    const last = args[args.length - 1];
    const opts: OperatorOptions = typeof last === 'object' && last !== null && !(last instanceof Stream) ? (args.pop() as OperatorOptions) : {};
    const others = args as Stream<T>[];
    const inputs = [this.edge()];
    for (const o of others) {
      if (!(o instanceof Stream) || o.b !== this.b) {
        throw new TopologyError(`union() takes streams of the same topology '${this.b.name}'. Fix: build all streams inside one topology() callback`, { operator: this.node.id });
      }
      inputs.push(o.edge());
    }
    // Records keep their timestamps only if every input has the same timestamp function.
    const fns = new Set([this, ...others].map((o) => o.timestampFn));
    const ts = fns.size === 1 ? this.timestampFn : undefined;
    const node = this.b.add('union', opts, inputs, { timestampFn: ts });
    return new Stream<T>(this.b, node, 'auto', undefined, ts);
  }

  /** End the stream in a sink. */
  sink(name: string, connector: SinkConnector<T>, opts: Omit<OperatorOptions, 'name'> = {}): void {
    validateName(name, 'sink');
    if (!isSinkConnector(connector)) {
      throw new TopologyError(`sink '${name}' needs a sink connector such as stdout(), file.sink(path) or collect(). Got ${typeof connector}`, { operator: name });
    }
    this.b.add('sink', opts, [this.edge()], { sink: connector as SinkConnector, keySelector: this.keySelector }, name);
  }
}

/** A stream partitioned by key; the next operator sees records grouped by key, with keyed state. */
export class KeyedStream<T> extends Stream<T> {
  override keyBy(selector: (value: T) => Key): KeyedStream<T> {
    return super.keyBy(selector);
  }

  /** Rolling aggregate per key: folds each record into its key's aggregate (checkpointed state) and emits the new aggregate. */
  reduce(fn: (accumulator: T, value: T) => T, opts: OperatorOptions = {}): Stream<T> {
    requireFn(fn, 'reduce');
    return this.next('reduce', opts, { fn });
  }

  /**
   * Every key runs the xstate v5 statechart `definition`: records become
   * events (`toEvent`, default the record itself), its state is keyed state
   * (checkpointed, restored, rescaled), delays are processing-time timers.
   * Outputs: `{ kind: 'emit', key, event }` per `emit(...)`, and with
   * `transitions: true` `{ kind: 'transition', key, from, to, event }`.
   * `stateTtl` (ms): a key idle that long drops its state (keyed state TTL).
   */
  machine<M extends AnyStateMachine>(
    definition: M,
    // Records that are not the machine's events need toEvent (a type error otherwise).
    ...[opts]: [T] extends [EventFromLogic<M>] ? [opts?: MachineOptions<T, EventFromLogic<M>> & OperatorOptions] : [opts: MachineOptions<T, EventFromLogic<M>> & OperatorOptions & { toEvent: (record: T) => EventFromLogic<M> }]
  ): Stream<MachineOutput<M>> {
    const { toEvent, transitions, unhandled, stateTtl, ...op } = opts ?? {};
    validateMachine(definition, op.name ?? 'machine');
    if (toEvent !== undefined) requireFn(toEvent, 'machine');
    if (unhandled !== undefined && unhandled !== 'ignore' && unhandled !== 'error') {
      throw new TopologyError(`machine() has unhandled ${JSON.stringify(unhandled)}. Fix: use 'ignore' or 'error'`, { operator: op.name ?? 'machine' });
    }
    if (stateTtl !== undefined && (typeof stateTtl !== 'number' || !Number.isFinite(stateTtl) || stateTtl <= 0)) {
      throw new TopologyError(`machine() has stateTtl ${String(stateTtl)}. Fix: give a positive number of ms (how long an idle key keeps its state), or leave it out to keep state forever`, { operator: op.name ?? 'machine' });
    }
    const handlers = machineHandlers<T, M>(definition, { toEvent, transitions, unhandled, stateTtl });
    return this.next('machine', op, { fn: handlers.onRecord as never, handlers: handlers as never });
  }

  /**
   * Group each key's records into windows: `tumbling(size)`, `sliding(size,
   * slide)` or `session(gap)`, on event time (the default when timestamps are
   * assigned) or processing time (`tumbling(size, { time: 'processing' })`);
   * then `.reduce`, `.aggregate` or `.process` what each window holds.
   */
  override window(assigner: WindowAssigner): WindowedStream<T> {
    return new WindowedStream<T>(this.b, this.edge(), this.keySelector!, this.timestampFn, assigner);
  }
}

/** A keyed stream with a window assigner: choose lateness, the late side output and the window function. */
export class WindowedStream<T> {
  private lateness = 0;
  private lateName: string | undefined;
  /** @internal */
  constructor(
    private readonly b: Builder,
    private readonly input: LogicalEdge,
    private readonly keySelector: (value: T) => Key,
    private readonly timestampFn: ((value: T) => number) | undefined,
    private readonly assigner: WindowAssigner,
  ) {}

  /** Keep windows this many ms (event time) after they fired: late records update and re-fire them. */
  allowedLateness(ms: number): this {
    this.lateness = ms;
    return this;
  }

  /** Records too late for any window go to a side output named `name`: read it with `.sideOutput(name)`. */
  lateRecords(name: string): this {
    validateName(name, 'side output');
    this.lateName = name;
    return this;
  }

  /** Fold each window's records with `fn`; emits one result per window. */
  reduce(fn: (a: T, b: T) => T, opts: OperatorOptions = {}): WindowResultStream<T, T> {
    requireFn(fn, 'reduce');
    return this.build({ kind: 'reduce', fn: fn as never }, opts);
  }

  /** An accumulator per window (create, add, merge for sessions, result); emits result(acc, key, window). */
  aggregate<A, R>(agg: Aggregator<T, A, R>, opts: OperatorOptions = {}): WindowResultStream<R, T> {
    if (typeof agg !== 'object' || agg === null) throw new TopologyError('aggregate() needs { create, add, result } (and merge for session windows)');
    return this.build({ kind: 'aggregate', agg: agg as never }, opts);
  }

  /** `fn(key, window, records, ctx)` with every record of the window; emit with ctx.emit. */
  process<O>(fn: (key: Key, window: Window, records: T[], ctx: WindowProcessContext<O>) => void, opts: OperatorOptions = {}): WindowResultStream<O, T> {
    requireFn(fn, 'process');
    return this.build({ kind: 'process', fn: fn as never }, opts);
  }

  private build<O>(fn: WindowFunction, opts: OperatorOptions): WindowResultStream<O, T> {
    const time = this.assigner?.time ?? 'event';
    const spec: WindowSpec = { assigner: this.assigner, time, allowedLateness: this.lateness, lateOutput: this.lateName !== undefined, fn };
    const node = this.b.add('window', opts, [this.input], { keySelector: this.keySelector, timestampFn: this.timestampFn, window: spec });
    validateWindow(spec, node.id, this.timestampFn !== undefined, this.assigner?.time !== undefined);
    if (this.lateName === undefined) return new WindowResultStream<O, T>(this.b, node, node.id, new Map());
    const results = this.b.add('select', { name: `${node.id}.results`, parallelism: opts.parallelism }, [{ from: node.id, partitioning: 'forward' }], { tag: 0 });
    const late = this.b.add('select', { name: this.lateName, parallelism: opts.parallelism }, [{ from: node.id, partitioning: 'forward' }], { tag: 1, timestampFn: this.timestampFn });
    return new WindowResultStream<O, T>(this.b, results, node.id, new Map([[this.lateName, new Stream<T>(this.b, late, 'auto', undefined, this.timestampFn)]]));
  }
}

/** The results of a window function, with its late side output if one was named. */
export class WindowResultStream<O, T> extends Stream<O> {
  /** @internal */
  constructor(
    b: Builder,
    node: LogicalNode,
    private readonly windowId: string,
    private readonly sides: Map<string, Stream<T>>,
  ) {
    super(b, node);
  }

  /** The side output `name` (late records, named with lateRecords(name)). Consume it, e.g. with .sink(...). */
  sideOutput(name: string): Stream<T> {
    const s = this.sides.get(name);
    if (!s) {
      throw new TopologyError(
        `window '${this.windowId}' has no side output '${name}'${this.sides.size ? ` (it has ${[...this.sides.keys()].map((k) => `'${k}'`).join(', ')})` : ''}. Fix: name it with .lateRecords('${name}') before .reduce/.aggregate/.process`,
        { operator: this.node.id },
      );
    }
    return s;
  }
}

export interface TopologyBuilder {
  source<T = unknown>(name: string, connector: SourceConnector<T>, opts?: Omit<OperatorOptions, 'name'>): Stream<T>;
}

export function topology(name: string, build: (t: TopologyBuilder) => unknown): Topology;
export function topology(name: string, options: TopologyOptions, build: (t: TopologyBuilder) => unknown): Topology;
export function topology(name: string, a: TopologyOptions | ((t: TopologyBuilder) => unknown), b?: (t: TopologyBuilder) => unknown): Topology {
  const build = typeof a === 'function' ? a : b;
  const options: TopologyOptions = typeof a === 'function' ? {} : a ?? {};
  validateName(name, 'topology');
  if (typeof build !== 'function') {
    throw new TopologyError(`topology('${name}') needs a build function. Fix: topology('${name}', (t) => t.source(...).map(...).sink(...))`);
  }
  const builder = new Builder(name);
  const t: TopologyBuilder = {
    source<T>(sourceName: string, connector: SourceConnector<T>, opts: Omit<OperatorOptions, 'name'> = {}): Stream<T> {
      validateName(sourceName, 'source');
      if (!isSourceConnector(connector)) {
        throw new TopologyError(`source '${sourceName}' needs a source connector such as generator(), file.source(path) or kafka.source(...). Got ${typeof connector}`, { operator: sourceName });
      }
      const node = builder.add('source', opts, [], { source: connector as SourceConnector }, sourceName);
      const ts = connector.timestamps;
      if (ts) {
        // The connector's own event time (Kafka record timestamps): an assigner chained right after it.
        const name = `${sourceName}.timestamps`;
        const assigner = builder.add('timestamps', { name, parallelism: opts.parallelism }, [{ from: sourceName, partitioning: 'forward' }], { fn: ts.of, timestamps: ts.options, split: ts.split as LogicalNode['split'] });
        validateTimestampOptions(ts.options, name);
        return new Stream<T>(builder, assigner, 'auto', undefined, ts.of);
      }
      return new Stream<T>(builder, node);
    },
  };
  build(t);
  const graph: LogicalGraph = { name, nodes: builder.nodes, maxParallelism: options.maxParallelism ?? DEFAULT_MAX_PARALLELISM };
  validateGraph(graph);
  return Object.freeze({ [BRAND]: true as const, name, graph, fingerprint: fingerprint(graph), moduleUrl: callerModule() });
}

/** The file that called topology(): the first stack frame outside this file. */
function callerModule(): string | undefined {
  const stack = new Error().stack?.split('\n') ?? [];
  const self = import.meta.url;
  for (const line of stack.slice(1)) {
    const m = /\(?((?:file|data):\/\/\/?[^\s)]+?|\/[^\s)]+?):\d+:\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const loc = m[1].startsWith('/') ? `file://${m[1]}` : m[1];
    if (loc === self) continue;
    return loc;
  }
  return undefined;
}
