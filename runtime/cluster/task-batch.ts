/**
 * One fetched batch of a task on its way through the task's chain, as data,
 * so the chain can run on a worker thread while the member's main thread
 * keeps the Kafka I/O:
 * - the main thread encodes the fetched records as msgpack rows (encodeRows:
 *   value, key, timestamp, offset, headers), one buffer to transfer;
 * - the chain's thread decodes them, runs them through the chain
 *   (runTaskBatch) and returns a TaskOutput: the Kafka messages to send, by
 *   topic, ready for the producer, and for a stateful task its changelog
 *   record (input offsets after the batch, state after the batch);
 * - the main thread sends them in the task's transaction.
 * Pure: no I/O, no threads.
 */
import type { KafkaMessage } from 'kafkajs';
import { decodeBatch, encodeBatch } from '../channel/codec.js';
import type { LogicalGraph } from '../dsl/graph.js';
import { encodeChangelog, type Offsets } from './changelog.js';
import { sinkEndpoint, sourceEndpoint } from './endpoints.js';
import { decodeSourceValue, headerStrings } from './source-values.js';
import type { ChainOutput, TaskChain } from './task-chain.js';

/** One Kafka record on the wire to a task's chain. */
export type WireRow = [value: Uint8Array | null, key: Uint8Array | null, timestamp: number, offset: number, headers?: Record<string, string>];

/** A message to produce: [key, value, partition]; no partition: the producer's partitioner picks (sink topics). */
export type OutMessage = [key: string | Uint8Array | null, value: string | Uint8Array, partition?: number];

export interface TaskOutput {
  /** Topic -> messages, in the order the chain emitted them. */
  sends: [string, OutMessage[]][];
  /** Stateful tasks: the changelog record holding the state after this batch, keyed by the offsets after it. */
  changelog?: Uint8Array;
  /** When the chain next wants a tick (processing time, ms since the epoch). */
  next?: number;
  /** A tick that found nothing due: nothing changed, nothing to commit. */
  noop?: boolean;
}

export function encodeRows(messages: readonly KafkaMessage[], withHeaders: boolean, who: { operator: string; instance: number }): Uint8Array {
  const rows: WireRow[] = messages.map((m) => {
    const row: WireRow = [m.value, m.key ?? null, Number(m.timestamp), Number(m.offset)];
    const h = withHeaders ? headerStrings(m.headers) : undefined;
    if (h) row.push(h);
    return row;
  });
  return encodeBatch(rows, who);
}

export function encodeTaskOutput(o: TaskOutput, who: { operator: string; instance: number }): Uint8Array {
  return encodeBatch([o.sends, o.changelog ?? null, o.next ?? null, o.noop === true], who);
}

export function decodeTaskOutput(bytes: Uint8Array): TaskOutput {
  const [sends, changelog, next, noop] = decodeBatch(bytes) as [TaskOutput['sends'], Uint8Array | null, number | null, boolean];
  const o: TaskOutput = { sends };
  if (changelog) o.changelog = changelog;
  if (next !== null) o.next = next;
  if (noop) o.noop = true;
  return o;
}

/**
 * Runs one batch of `topic` (encoded rows) through the chain, or with no topic a tick of processing
 * time `now`; `offsets`: the task's input positions after it.
 */
export function runTaskBatch(chain: TaskChain, graph: LogicalGraph, topic: string | null, rows: Uint8Array | null, offsets: Offsets, now: number): TaskOutput {
  const { sub, partition } = chain;
  const outputs: ChainOutput[] = [];
  if (topic === null || rows === null) {
    if ((chain.nextProcessingTime() ?? Infinity) > now) return { sends: [], next: chain.nextProcessingTime(), noop: true };
    outputs.push(chain.tick(now));
    return finish(chain, graph, outputs, offsets);
  }
  const input = sub.inputs.find((i) => i.topic === topic);
  if (!input) throw new Error(`bug: task ${sub.id}.${partition} read topic '${topic}', not one of its inputs`);
  const wire = decodeBatch(rows) as WireRow[];
  if (input.kind === 'source') {
    const ep = sourceEndpoint(graph.nodes.find((n) => n.id === input.node)!)!;
    outputs.push(chain.process(input.node, 0, wire.map((r) => decodeSourceValue(ep, topic, partition, r))));
  } else {
    // Consecutive records of one input index (a union shares the topic) go through together.
    let run: unknown[] = [];
    let runIndex = -1;
    const flush = () => {
      if (run.length > 0) outputs.push(chain.process(input.node, runIndex, run));
      run = [];
    };
    for (const r of wire) {
      const [index, record, marker] = decodeBatch(r[0]!) as [number, unknown, [number, number, boolean]?];
      if (marker) {
        flush();
        outputs.push(chain.watermark(input.node, index, marker[0], marker[1], marker[2]));
        continue;
      }
      if (index !== runIndex) {
        flush();
        runIndex = index;
      }
      run.push(record);
    }
    flush();
  }
  return finish(chain, graph, outputs, offsets);
}

function finish(chain: TaskChain, graph: LogicalGraph, outputs: ChainOutput[], offsets: Offsets): TaskOutput {
  const byTopic = new Map<string, OutMessage[]>();
  const add = (t: string, m: OutMessage) => {
    const list = byTopic.get(t);
    if (list) list.push(m);
    else byTopic.set(t, [m]);
  };
  for (const o of outputs) {
    for (const [node, records] of o.sinks) {
      const ep = sinkEndpoint(graph.nodes.find((n) => n.id === node)!)!;
      for (const r of records) {
        const m = ep.toMessage(r as never);
        add(ep.topic, [m.key, m.value]);
      }
    }
    for (const r of o.repartition) add(r.topic, [null, r.value, r.partition]);
  }
  const out: TaskOutput = { sends: [...byTopic] };
  const next = chain.nextProcessingTime();
  if (next !== undefined) out.next = next;
  if (chain.sub.stateful) out.changelog = encodeChangelog(offsets, chain.snapshot(), { operator: chain.sub.changelog, instance: chain.partition });
  return out;
}
