/**
 * Which snapshot blobs each actor restores from, given a completed
 * checkpoint. Pure.
 *
 * - Same parallelism as at snapshot time: an actor gets its own instance's
 *   blob.
 * - Different parallelism (rescale): every actor of the operator gets every
 *   old instance's blob; keyed state is then filtered by the new key-group
 *   range and operator state is merged by the operator (union redistribution).
 * - An operator absent from the checkpoint starts empty.
 */
import type { ActorPlan } from '../plan/plan.js';
import type { RestoreSet } from '../host/protocol.js';

export interface CheckpointData {
  id: number;
  parallelism: Record<string, number>;
  /** Blob name (`operator/instance`) -> bytes. */
  blobs: Map<string, Uint8Array>;
}

export const blobName = (operator: string, instance: number) => `${operator}/${instance}`;

export function restoreSet(checkpoint: CheckpointData | undefined, actors: readonly ActorPlan[]): RestoreSet {
  const out: RestoreSet = {};
  if (!checkpoint) return out;
  for (const a of actors) {
    const oldP = checkpoint.parallelism[a.operator];
    if (oldP === undefined) continue;
    const names = oldP === a.parallelism ? [blobName(a.operator, a.instance)] : Array.from({ length: oldP }, (_, i) => blobName(a.operator, i));
    const blobs = names.map((n) => checkpoint.blobs.get(n)).filter((b): b is Uint8Array => b !== undefined);
    if (blobs.length) out[a.id] = blobs;
  }
  return out;
}
