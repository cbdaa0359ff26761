/**
 * weir/testing's fault injector for real threads, plugged into the job
 * through `RunOptions.injector` (the runtime never imports this): the
 * harness rewrites the graph (array inputs, capture sinks), the state
 * backend misbehaves on schedule, worker crashes and hangs happen at their
 * times, and actor faults are armed in the workers by the worker side
 * (worker-injector.ts, bundled as dist/bundle/testing-worker.js).
 */
import path from 'node:path';
import type { FaultInjector } from '../coordinator/fault-injector.js';
import type { SupervisionStep } from '../coordinator/failover.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { Fault } from './faults.js';
import { faultyBackend } from './faulty-backend.js';
import { applyHarness, type HarnessSpec } from './harness.js';

/** The worker side, as every worker imports it (workers run weir's bundled JS). */
export const TESTING_WORKER = path.join(PACKAGE_ROOT, 'dist', 'bundle', 'testing-worker.js');

/** What the coordinator side tells the worker side. */
export type InjectorMessage = { disarm: number } | { hang: number };

export function threadInjector(faults: readonly Fault[], harness: HarnessSpec, observe?: (s: SupervisionStep) => void): FaultInjector {
  return {
    graph: (g) => applyHarness(g, harness),
    backend: faults.length ? (b, now) => faultyBackend(b, { now }, faults) : undefined,
    started(c) {
      for (const f of faults) {
        if (f.kind === 'worker-crash') setTimeout(() => c.running() && c.crashWorker(f.worker), f.atMs).unref();
        if (f.kind === 'worker-hang') setTimeout(() => c.running() && c.tellWorkers({ hang: f.forMs } satisfies InjectorMessage, f.worker), f.atMs).unref();
      }
    },
    failed(error, c) {
      // An armed actor fault fired: it fires once (a replay must not fire it again).
      if (error.code === 'INJECTED_FAULT') c.tellWorkers({ disarm: Number(error.context.fault) } satisfies InjectorMessage);
    },
    observe,
    worker: { module: TESTING_WORKER, data: harness },
  };
}
