/**
 * A sink that tells the bench, as it happens, when records arrive: for each
 * write it publishes one `Arrival` through `ctx.publish` (the coordinator
 * receives it at once, so arrivals of a worker that dies later are not
 * lost). `openedAt` tells apart the writer instances: a restarted region
 * opens new ones.
 */
import type { SinkConnector, SinkWriter } from 'weir';

export interface Arrival {
  instance: number;
  /** Wall-clock ms (performance.timeOrigin + performance.now()) when this writer was opened. */
  openedAt: number;
  /** Wall-clock ms of the write. */
  at: number;
  /** Records in the write. */
  n: number;
}

const wallNow = (): number => performance.timeOrigin + performance.now();

export function arrivalSink(): SinkConnector<unknown> {
  return {
    role: 'sink',
    type: 'bench-arrival',
    guarantee: 'none',
    open(ctx): SinkWriter<unknown> {
      const openedAt = wallNow();
      return {
        write(records) {
          const a: Arrival = { instance: ctx.instance, openedAt, at: wallNow(), n: records.length };
          ctx.publish([a]);
        },
      };
    },
  };
}
