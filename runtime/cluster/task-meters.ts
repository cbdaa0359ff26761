/**
 * What each task of this member has done, for its Prometheus metrics
 * (cluster-prometheus.ts) and `status()`: plain counters a task runner
 * reports into. A task's meter outlives its runner: a task restarted on this
 * member (or given back to it) goes on counting, so counters never go down.
 */
export interface TaskMeter {
  recordsIn: number;
  recordsOut: number;
  transactionsCommitted: number;
  transactionsAborted: number;
  /** Restarts after a failure (the restart budget counts these). */
  restarts: number;
  /** The last start's restore (offset fetch, changelog read), ms. */
  restoreMs: number | undefined;
  /** Bytes of the task's state as last written to its changelog (stateful tasks). */
  stateBytes: number | undefined;
}

/** What a task runner reports, one call per event. */
export interface TaskReport {
  committed(e: { recordsIn: number; recordsOut: number; latencyMs: number; stateBytes?: number }): void;
  aborted(): void;
  restored(ms: number): void;
}

export class TaskMeters {
  readonly byTask = new Map<string, TaskMeter>();
  private readonly commitListeners = new Set<(task: string, latencyMs: number) => void>();

  meter(task: string): TaskMeter {
    let m = this.byTask.get(task);
    if (!m) {
      m = { recordsIn: 0, recordsOut: 0, transactionsCommitted: 0, transactionsAborted: 0, restarts: 0, restoreMs: undefined, stateBytes: undefined };
      this.byTask.set(task, m);
    }
    return m;
  }

  report(task: string): TaskReport {
    const m = this.meter(task);
    return {
      committed: (e) => {
        m.recordsIn += e.recordsIn;
        m.recordsOut += e.recordsOut;
        m.transactionsCommitted++;
        if (e.stateBytes !== undefined) m.stateBytes = e.stateBytes;
        for (const l of this.commitListeners) l(task, e.latencyMs);
      },
      aborted: () => void m.transactionsAborted++,
      restored: (ms) => void (m.restoreMs = ms),
    };
  }

  /** Called with each commit's latency (the histogram); returns the unsubscribe. */
  onCommit(listener: (task: string, latencyMs: number) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }
}
