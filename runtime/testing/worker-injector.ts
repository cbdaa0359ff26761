/**
 * The worker side of weir/testing's thread injector (thread-injector.ts):
 * each worker imports this module (bundled as dist/bundle/testing-worker.js)
 * and calls `workerInjector(harness)`. It rewrites the graph as the
 * coordinator does, fires armed actor faults once their actor has taken
 * enough records, and blocks the event loop on request (a hang).
 */
import { WeirError } from '../../actors/errors.js';
import type { InjectorHost, WorkerInjector } from '../host/worker-injector.js';
import { applyHarness, type HarnessSpec } from './harness.js';
import type { InjectorMessage } from './thread-injector.js';

export function workerInjector(data: unknown): WorkerInjector {
  const harness = data as HarnessSpec;
  let armed = (harness.faults ?? []).slice();
  return {
    graph: (g) => applyHarness(g, harness),
    attach(host: InjectorHost) {
      if (!armed.length) return;
      const timer = setInterval(() => {
        if (!armed.length) return;
        const m = host.metrics();
        for (const f of armed.slice()) {
          const a = host.plan.actors.find((x) => x.operator === f.operator && x.instance === f.instance && x.worker === host.worker);
          const t = a && m.find((x) => x.actor === a.id);
          if (!a || !t) continue;
          // An actor that finished before the (polled) count was seen can no longer fail: a fault
          // fired now would fail a job that is already ending, which no user function could do.
          if (t.finished) {
            armed = armed.filter((x) => x !== f);
            continue;
          }
          if (t.recordsIn < f.afterRecords) continue;
          armed = armed.filter((x) => x !== f);
          const err = new WeirError('INJECTED_FAULT', `injected fault: ${f.operator}[${f.instance}] fails after ${f.afterRecords} records`, {
            context: { operator: f.operator, instance: f.instance, fault: f.index },
          });
          host.fail(a.id, err, host.epochOfActor(a.id));
        }
      }, 2);
      timer.unref();
    },
    message(m) {
      const msg = m as InjectorMessage;
      if ('disarm' in msg) armed = armed.filter((f) => f.index !== msg.disarm);
      if ('hang' in msg) {
        const until = Date.now() + msg.hang;
        while (Date.now() < until); // deliberately stuck: the heartbeat must notice
      }
    },
  };
}
