/**
 * A stateful task's changelog: partition p of `<prefix><job>-<operator>-changelog`
 * (compacted) holds, per committed transaction of task s.p, one record
 * [inputOffsets, TaskState], written in the same transaction as the task's
 * output and its input offsets. So the changelog record that carries exactly
 * the offsets committed to the group is the state at that position: a new
 * owner reads the partition (read_committed) until it meets it.
 *
 * Why a changelog topic and not the Redis state backend: the state write is
 * then inside the Kafka transaction that commits the output and the input
 * offsets, so all three commit or abort together, and a fenced zombie's state
 * write is aborted with the rest. Redis cannot join a Kafka transaction; it
 * would need a second commit protocol (write state per transaction id, keep
 * the last committed id in the transaction) for the same guarantee.
 */
import type { Kafka } from 'kafkajs';
import { WeirError } from '../../actors/errors.js';
import { decodeBatch, encodeBatch } from '../channel/codec.js';
import { readPartition } from './partition-reader.js';
import type { TaskState } from './task-chain.js';

export type Offsets = Record<string, number>;

export const CHANGELOG_KEY = 'task-state';

export function encodeChangelog(offsets: Offsets, state: TaskState, who: { operator: string; instance: number }): Uint8Array {
  return encodeBatch([offsets, state], who);
}

export function decodeChangelog(value: Uint8Array): { offsets: Offsets; state: TaskState } {
  const [offsets, state] = decodeBatch(value) as [Offsets, TaskState];
  return { offsets, state };
}

export function sameOffsets(a: Offsets, b: Offsets): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The state of task `task` at the committed input `offsets`, from its changelog partition. */
export async function restoreTaskState(kafka: Kafka, o: { group: string; changelog: string; partition: number; partitions: number; offsets: Offsets; task: string; timeoutMs: number }): Promise<TaskState> {
  let found: (s: TaskState) => void = () => {};
  let failed: (e: Error) => void = () => {};
  const result = new Promise<TaskState>((res, rej) => {
    found = res;
    failed = rej;
  });
  let seen = 0;
  const reader = await readPartition(kafka, {
    group: `${o.group}.restore`,
    topics: [o.changelog],
    partition: o.partition,
    partitions: o.partitions,
    from: () => new Map(),
    onBatch: async (_topic, messages) => {
      for (const m of messages) {
        if (!m.value) continue;
        seen++;
        const r = decodeChangelog(m.value);
        if (sameOffsets(r.offsets, o.offsets)) found(r.state);
      }
    },
    onCrash: failed,
  });
  const timer = setTimeout(
    () =>
      failed(
        new WeirError(
          'CLUSTER_STATE_MISSING',
          `task ${o.task}: changelog '${o.changelog}' partition ${o.partition} has no state for the committed input offsets ${JSON.stringify(o.offsets)} (read ${seen} record(s) in ${o.timeoutMs} ms). ` +
            `Cause: the changelog was deleted or lost records while the group's offsets remained. Fix: restore the topic, or reset the job (delete the group '${o.group}', its changelog and repartition topics) to recompute from the input`,
          { context: { task: o.task, changelog: o.changelog } },
        ),
      ),
    o.timeoutMs,
  );
  try {
    return await result;
  } finally {
    clearTimeout(timer);
    await reader.close();
  }
}
