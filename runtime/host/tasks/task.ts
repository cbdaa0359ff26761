/**
 * A task is the runtime shell of one actor: it owns the actor's input and
 * output channels and runs the actor's step when the cooperative scheduler
 * asks. A step does a bounded amount of work and never blocks.
 */
import type { ActorPlan } from '../../plan/plan.js';
import type { InputChannel } from '../../channel/input-channel.js';
import type { TaskMetrics } from '../env.js';

export interface Task {
  readonly actor: ActorPlan;
  readonly finished: boolean;
  /** Has work it can do now (input present and output credit, or a source with credit). */
  ready(): boolean;
  step(): void;
  open(): Promise<void>;
  /** Release resources on shutdown or failure; idempotent. */
  dispose(): Promise<void>;
  metrics(): TaskMetrics;
  /** Sources stop reading and end their streams (a drain). */
  requestStop?(): void;
  /** Sources: inject barrier `id` (record position, forward the barrier, ack). */
  triggerCheckpoint?(id: number): void;
  /** Checkpoint `id` completed everywhere: sinks commit, sources may publish offsets. */
  checkpointComplete?(id: number): Promise<void>;
}

/** Round-robin choice of the next input with data. */
export function nextInput(inputs: readonly InputChannel[], cursor: { i: number }): InputChannel | undefined {
  const n = inputs.length;
  for (let k = 0; k < n; k++) {
    const ch = inputs[(cursor.i + k) % n];
    if (ch.hasData()) {
      cursor.i = (cursor.i + k + 1) % n;
      return ch;
    }
  }
  return undefined;
}

export function queuedRecords(inputs: readonly InputChannel[]): number {
  let n = 0;
  for (const ch of inputs) n += ch.queuedRecords;
  return n;
}
