/**
 * Where a task starts reading an input partition the job's group has no
 * committed offset for (a fresh cluster job, or a new input): as kafka.source
 * does in one process, its `startFrom` decides, once.
 *
 * - repartition topics: from their start (weir wrote every record of them);
 * - 'earliest': the partition's low offset;
 * - 'latest': its end (read_committed, the last stable offset): records
 *   produced before the task first started are skipped;
 * - 'committed' (the default): the offset committed to the source's own
 *   `groupId` (a single-process run of the job commits there after each
 *   checkpoint, so a job moved to cluster mode goes on where it stopped),
 *   else the low offset.
 *
 * The task commits the chosen positions at once (an offsets-only
 * transaction) before reading: a restart or takeover then resumes from the
 * group's offsets, so 'latest' is decided once, not again on every start.
 *
 * `chooseStart` is pure; `startOffsets` is its I/O shell.
 */
import type { Admin } from 'kafkajs';
import type { StartFrom } from '../../connectors/kafka/source.js';
import type { LogicalGraph } from '../dsl/graph.js';
import { sourceEndpoint } from './endpoints.js';
import { stableOffsets } from './stable-offsets.js';
import type { TopicInput } from './subtopologies.js';

export interface InputStart {
  topic: string;
  kind: 'source' | 'repartition';
  /** kafka.source's startFrom (sources only). */
  startFrom?: StartFrom;
}

export interface PartitionOffsets {
  low: number;
  /** read_committed end (last stable offset). */
  end: number;
  /** Offset committed to the source's own groupId, if any. */
  sourceGroup?: number;
}

export function chooseStart(input: InputStart, at: PartitionOffsets): number {
  if (input.kind === 'repartition') return at.low;
  switch (input.startFrom ?? 'committed') {
    case 'latest':
      return at.end;
    case 'earliest':
      return at.low;
    default:
      // A committed offset below the low one was deleted by retention: start from what is there.
      return at.sourceGroup !== undefined && at.sourceGroup >= 0 ? Math.max(at.low, Math.min(at.sourceGroup, at.end)) : at.low;
  }
}

/** Start offsets of partition `partition` of `inputs` (none committed to the job's group); `admin` reads read_committed ends. */
export async function startOffsets(admin: Admin, graph: LogicalGraph, inputs: TopicInput[], partition: number): Promise<Record<string, number>> {
  const starts: Record<string, number> = {};
  for (const input of inputs) {
    const at = (await stableOffsets(admin, input.topic)).get(partition) ?? { low: 0, end: 0 };
    const node = graph.nodes.find((n) => n.id === input.node);
    const ep = input.kind === 'source' && node ? sourceEndpoint(node) : undefined;
    let sourceGroup: number | undefined;
    if (ep && ep.startFrom === 'committed') {
      const [t] = await admin.fetchOffsets({ groupId: ep.groupId ?? `weir-${input.node}`, topics: [input.topic] });
      const c = t?.partitions.find((p) => p.partition === partition);
      if (c && Number(c.offset) >= 0) sourceGroup = Number(c.offset);
    }
    starts[input.topic] = chooseStart({ topic: input.topic, kind: input.kind, startFrom: ep?.startFrom }, { ...at, sourceGroup });
  }
  return starts;
}
