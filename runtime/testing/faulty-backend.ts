/** A state backend that misbehaves on schedule: unavailable in time windows, or failing its nth commit. */
import { WeirError } from '../../actors/errors.js';
import type { StateBackend } from '../checkpoint/storage/backend.js';
import type { Fault } from './faults.js';
import type { Clock } from '../../actors/contract.js';

/** `clock` gives ms since the run started (virtual in simulation, real on threads). */
export function faultyBackend(inner: StateBackend, vt: Clock, faults: readonly Fault[]): StateBackend {
  const windows = faults.filter((f): f is Extract<Fault, { kind: 'backend-unavailable' }> => f.kind === 'backend-unavailable');
  const failing = new Set(faults.filter((f): f is Extract<Fault, { kind: 'checkpoint-fails' }> => f.kind === 'checkpoint-fails').map((f) => f.nth));
  let commits = 0;
  const check = (op: string) => {
    const t = vt.now();
    if (windows.some((w) => t >= w.atMs && t < w.atMs + w.forMs)) {
      throw new WeirError('STATE_BACKEND_UNAVAILABLE', `simulated state backend unavailable at ${t} ms (${op})`, { retriable: true });
    }
  };
  return {
    kind: inner.kind,
    description: `simulated ${inner.description}`,
    async putBlob(job, id, name, bytes) {
      check('putBlob');
      return inner.putBlob(job, id, name, bytes);
    },
    async getBlob(job, id, name) {
      check('getBlob');
      return inner.getBlob(job, id, name);
    },
    async commit(meta) {
      check('commit');
      if (failing.has(++commits)) throw new WeirError('STATE_BACKEND_FAILED', `simulated failure of checkpoint write #${commits}`, { retriable: true });
      return inner.commit(meta);
    },
    list: (job) => inner.list(job),
    gc: (job, keep) => inner.gc(job, keep),
    putResult: (r) => inner.putResult(r),
    getResult: (job) => inner.getResult(job),
    deleteResult: (job) => inner.deleteResult(job),
    clear: (job) => inner.clear(job),
    close: () => inner.close(),
  };
}
