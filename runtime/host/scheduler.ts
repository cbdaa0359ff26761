/**
 * The cooperative scheduler of one worker. A tick runs every ready task one
 * bounded step at a time, round-robin, until nothing is ready or the time
 * slice is used up; then it yields to the event loop (so port messages,
 * timers and I/O get their turn) and, if work remains, schedules the next
 * tick. Nothing blocks the event loop for longer than one step.
 *
 * `order` lets deterministic simulation pick the interleaving from a seed.
 */
import type { Clock } from '../../actors/contract.js';
import type { Task } from './tasks/task.js';

export interface SchedulerOptions {
  clock: Clock;
  /** Schedule `fn` on the next turn of the event loop (setImmediate, or a virtual queue). */
  defer: (fn: () => void) => void;
  /** Max ms of work per tick before yielding. */
  sliceMs: number;
  /** Called when a step throws. */
  onError: (task: Task, error: unknown) => void;
  /** Max steps per tick (simulation: a virtual clock does not advance within a tick); default unlimited. */
  maxStepsPerTick?: number;
  /** Chooses the order of ready tasks within a round; default: plan order. */
  order?: (ready: Task[]) => Task[];
}

export class Scheduler {
  private scheduled = false;
  private stopped = false;
  private readonly tasks: Task[] = [];

  constructor(private readonly opts: SchedulerOptions) {}

  add(task: Task): void {
    this.tasks.push(task);
  }

  remove(task: Task): void {
    const i = this.tasks.indexOf(task);
    if (i >= 0) this.tasks.splice(i, 1);
  }

  wake = (): void => {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.opts.defer(this.tick);
  };

  stop(): void {
    this.stopped = true;
  }

  private readonly tick = (): void => {
    this.scheduled = false;
    if (this.stopped) return;
    const { clock, sliceMs, onError, order } = this.opts;
    const start = clock.now();
    let budget = this.opts.maxStepsPerTick ?? Infinity;
    let progressed = true;
    while (progressed) {
      progressed = false;
      let round = this.tasks.filter((t) => t.ready());
      if (order) round = order(round);
      for (const task of round) {
        if (this.stopped) return;
        if (!task.ready()) continue; // an earlier step in this round may have changed it
        try {
          task.step();
        } catch (e) {
          onError(task, e);
          return;
        }
        progressed = true;
        if (--budget <= 0) break;
      }
      if (budget <= 0 || clock.now() - start >= sliceMs) break;
    }
    if (progressed) this.wake();
  };
}
