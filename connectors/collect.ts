/**
 * `collect()`: hands every record to the job's driver, where
 * `(await handle.done).outputs[sinkName]` holds them in arrival order per
 * instance. For tests and small results; it keeps everything in memory.
 */
import type { SinkConnector, SinkWriter } from '../actors/contract.js';

export function collect<T = unknown>(): SinkConnector<T> {
  return {
    role: 'sink',
    type: 'collect',
    guarantee: 'at-least-once',
    open(ctx): SinkWriter<T> {
      return {
        write(records) {
          ctx.publish(records.slice());
        },
      };
    },
  };
}
