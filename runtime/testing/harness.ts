/**
 * The test harness a real (threaded) run can carry, so weir/testing's
 * properties also run on real worker threads: sources fed from arrays,
 * sinks replaced by capture sinks that publish what they commit (the
 * coordinator keeps each commit once), and actor faults armed in workers.
 * Applied identically in the coordinator and every worker (through the fault
 * injector seam: thread-injector.ts and worker-injector.ts), so plans match.
 */
import { appendFileSync } from 'node:fs';
import type { SinkConnector, SinkWriter } from '../../actors/contract.js';
import type { CommitRecord } from '../coordinator/outputs.js';
import type { LogicalGraph, LogicalNode } from '../dsl/graph.js';
import { fromArray } from './sim-connectors.js';

export interface HarnessSpec {
  /** Source name -> records replacing its connector. */
  inputs?: Record<string, unknown[]>;
  /** Pace each array source to this many records per second (so timed faults land mid-run). */
  inputRatePerSec?: number;
  /** Replace every sink with a capture sink (committed output reaches the run's result). */
  captureSinks?: boolean;
  /** A file each array source appends '1' (restored past emitted records: a mid-run restore) or '0' to at a restored open. */
  restoreLog?: string;
  /** Actor faults, armed in workers until one fires (see Fault 'actor-throws'). */
  faults?: { index: number; operator: string; instance: number; afterRecords: number }[];
}


let seq = 0;

/** Two-phase commit into the driver: epoch n's records are published once checkpoint n completed. */
function captureSink(): SinkConnector<unknown> {
  return {
    role: 'sink',
    type: 'capture',
    guarantee: 'exactly-once',
    open(ctx): SinkWriter<unknown> {
      type Pending = { n: number; key: string; records: unknown[] };
      // Restored epochs belong to a completed checkpoint: publish them (the driver drops repeats).
      for (const s of (ctx.restored ?? []) as { pending: Pending[] }[]) for (const p of s.pending) ctx.publish({ weirCommit: p.key, records: p.records } satisfies CommitRecord);
      let open: unknown[] = [];
      let pending: Pending[] = [];
      return {
        write(records) {
          open.push(...records);
        },
        snapshot(n) {
          pending.push({ n, key: `${ctx.instance}:${n}:${process.pid}:${++seq}:${Math.random().toString(36).slice(2)}`, records: open });
          open = [];
          return { pending: pending.slice() };
        },
        commit(n) {
          for (const p of pending) if (p.n <= n) ctx.publish({ weirCommit: p.key, records: p.records } satisfies CommitRecord);
          pending = pending.filter((p) => p.n > n);
        },
      };
    },
  };
}

export function applyHarness(graph: LogicalGraph, h: HarnessSpec | undefined): LogicalGraph {
  if (!h) return graph;
  const nodes: LogicalNode[] = graph.nodes.map((n) => {
    if (n.kind === 'source' && h.inputs?.[n.id]) return { ...n, source: fromArray(h.inputs[n.id], h.inputRatePerSec, h.restoreLog ? (midRun) => appendFileSync(h.restoreLog!, midRun ? '1\n' : '0\n') : undefined) };
    if (n.kind === 'sink' && h.captureSinks) return { ...n, sink: captureSink() };
    return n;
  });
  return { ...graph, nodes };
}
