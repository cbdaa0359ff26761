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
import type { ProcessFn } from '../../actors/operators/process.js';
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
  ) {}

  protected edge(): LogicalEdge {
    return { from: this.node.id, partitioning: this.partitioning, keySelector: this.keySelector };
  }

  protected next<O>(kind: NodeKind, opts: OperatorOptions, extra: Partial<LogicalNode>): Stream<O> {
    const node = this.b.add(kind, opts, [this.edge()], { ...extra, keySelector: this.keySelector });
    return new Stream<O>(this.b, node);
  }

  map<O>(fn: (value: T) => O, opts: OperatorOptions = {}): Stream<O> {
    requireFn(fn, 'map');
    return this.next('map', opts, { fn });
  }

  filter(fn: (value: T) => boolean, opts: OperatorOptions = {}): Stream<T> {
    requireFn(fn, 'filter');
    return this.next('filter', opts, { fn });
  }

  flatMap<O>(fn: (value: T) => Iterable<O>, opts: OperatorOptions = {}): Stream<O> {
    requireFn(fn, 'flatMap');
    return this.next('flatMap', opts, { fn });
  }

  process<O>(fn: ProcessFn<T, O>, opts: OperatorOptions = {}): Stream<O> {
    requireFn(fn, 'process');
    return this.next('process', opts, { fn });
  }

  /** Partition by key: records with equal keys reach the same instance of the next operator. */
  keyBy(selector: (value: T) => Key): KeyedStream<T> {
    requireFn(selector, 'keyBy');
    return new KeyedStream<T>(this.b, this.node, 'hash', selector);
  }

  /** Round-robin records over all instances of the next operator. */
  rebalance(): Stream<T> {
    return new Stream<T>(this.b, this.node, 'rebalance');
  }

  /** Send every record to every instance of the next operator. */
  broadcast(): Stream<T> {
    return new Stream<T>(this.b, this.node, 'broadcast');
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
    const node = this.b.add('union', opts, inputs, {});
    return new Stream<T>(this.b, node);
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
