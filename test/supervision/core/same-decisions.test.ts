/**
 * One supervisor, two interpreters: the same fault schedule run in the
 * simulation (runInline, virtual time) and on real worker threads
 * (runThreads) must lead the supervisor to the same decisions, effect by
 * effect. Checkpoint ids and backoff delays depend on timing (and jitter),
 * so they are left out of the comparison; what is restarted, at which epoch,
 * which worker is replaced, and in which order, is compared.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SupervisorEffect } from '../../../supervision/supervisor.js';
import type { SupervisionStep } from '../../../runtime/coordinator/failover.js';
import type { Fault } from '../../../runtime/testing/faults.js';
import { runInline } from '../../../runtime/testing/run-inline.js';
import { runThreads } from '../../../runtime/testing/run-threads.js';
import twoRegions from '../../fixtures/two-regions.js';

const MODULE = fileURLToPath(new URL('../../fixtures/two-regions.ts', import.meta.url));
// Small batches: the simulated run lasts long enough for the fault to land mid-run.
const inputs = { in: Array.from({ length: 400 }, (_, i) => `r${i}`) };

/** An effect without what depends on timing. */
function decision(e: SupervisorEffect): string {
  switch (e.t) {
    case 'wait':
      return 'wait';
    case 'restore':
      return `restore regions=${e.regions} actors=${e.actors} epochs=${e.epochs}`;
    case 'escalate':
      return `escalate ${e.error.code}`;
    case 'pause-checkpoints':
      return `pause-checkpoints actors=${e.actors}`;
    case 'bump-epochs':
      return `bump-epochs regions=${e.regions} epochs=${e.epochs}`;
    case 'replace-worker':
      return `replace-worker ${e.worker}`;
    default:
      return e.t;
  }
}

const decisions = (steps: SupervisionStep[]) => steps.flatMap((s) => s.effects.map(decision));

async function both(faults: Fault[]): Promise<{ sim: string[]; threads: string[]; restarts: [number, number] }> {
  const simSteps: SupervisionStep[] = [];
  const sim = await runInline(twoRegions, { workers: 2, batchSize: 8, inputs, faults, onSupervision: (s) => simSteps.push(s) });
  expect(sim.error).toBeUndefined();
  const threadSteps: SupervisionStep[] = [];
  const threads = await runThreads(MODULE, { workers: 2, batchSize: 8, inputs, faults, inputRatePerSec: 2000, onSupervision: (s) => threadSteps.push(s) });
  expect(threads.error).toBeUndefined();
  return { sim: decisions(simSteps), threads: decisions(threadSteps), restarts: [sim.restarts, threads.restarts] };
}

describe('the simulation and real threads take the same supervision decisions', () => {
  it('an actor that throws: its region alone restarts', { timeout: 120_000 }, async () => {
    const r = await both([{ kind: 'actor-throws', operator: 'double', instance: 1, afterRecords: 50 }]);
    expect(r.sim).toEqual([
      'pause-checkpoints actors=1,3,5',
      'bump-epochs regions=1 epochs=0,1',
      'wait',
      'settle-checkpoint',
      'restore regions=1 actors=1,3,5 epochs=0,1',
      'resume-checkpoints',
    ]);
    expect(r.threads).toEqual(r.sim);
    expect(r.restarts).toEqual([1, 1]);
  });

  it('a worker that crashes: the regions it hosts restart and it is replaced', { timeout: 120_000 }, async () => {
    const r = await both([{ kind: 'worker-crash', worker: 1, atMs: 2 }]);
    expect(r.sim).toEqual([
      'pause-checkpoints actors=1,3,5',
      'bump-epochs regions=1 epochs=0,1',
      'wait',
      'settle-checkpoint',
      'replace-worker 1',
      'restore regions=1 actors=1,3,5 epochs=0,1',
      'resume-checkpoints',
    ]);
    expect(r.threads).toEqual(r.sim);
    expect(r.restarts).toEqual([1, 1]);
  });
});
