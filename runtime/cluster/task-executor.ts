/**
 * Where a task's chain runs, seen from its runner on the member's main
 * thread: open() builds the chain (restoring its state) and returns an
 * executor that runs fetched batches, in the order given, and resolves with
 * their output. Two placements: a worker thread of the member's pool
 * (task-workers.ts, the default) and inline on the main thread (workers: 0,
 * as single-process mode's inline engine).
 */
import type { Offsets } from './changelog.js';
import type { SubTopology } from './subtopologies.js';
import { runTaskBatch, type TaskOutput } from './task-batch.js';
import { TaskChain, type ChainSetup, type TaskState } from './task-chain.js';

export interface OpenTask {
  task: string;
  sub: SubTopology;
  partition: number;
  partitions: number;
  state: TaskState | undefined;
  /** The chain failed outside a batch (its worker died): the task must restart. */
  onFailed(error: Error): void;
}

export interface TaskExecutor {
  /** Where the chain runs ('main thread', 'worker 1'), for logs. */
  readonly where: string;
  /** Runs one batch of `topic` (encoded rows, see task-batch.ts), or with no topic a tick; `offsets`: the task's positions after it. */
  process(topic: string | null, rows: Uint8Array | null, offsets: Offsets): Promise<TaskOutput>;
  close(): void;
}

export interface TaskPlacement {
  open(o: OpenTask): Promise<TaskExecutor>;
  /** Set by the member: the placement cannot go on (its workers failed past their restart budget). */
  onFatal?: (error: Error) => void;
  shutdown(): Promise<void>;
}

export function inlineTasks(setup: ChainSetup): TaskPlacement {
  return {
    async open(o) {
      const chain = new TaskChain(setup, o.sub, o.partition, o.partitions, o.state);
      return {
        where: 'main thread',
        process: async (topic, rows, offsets) => runTaskBatch(chain, setup.graph, topic, rows, offsets, Date.now()),
        close: () => chain.close(),
      };
    },
    async shutdown() {},
  };
}
