/**
 * `stdout()`: prints one line per record (strings as they are, other values as
 * JSON). At-least-once: after a failure and rollback, lines printed since the
 * last checkpoint may be printed again. Writes wait for the stream, so a slow
 * terminal or pipe backpressures the job.
 */
import type { SinkConnector, SinkWriter } from '../actors/contract.js';
import { toLines } from './format.js';

export function stdout(): SinkConnector<unknown> {
  return {
    role: 'sink',
    type: 'stdout',
    guarantee: 'at-least-once',
    open(): SinkWriter<unknown> {
      return {
        write(records) {
          const text = toLines(records);
          return new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
        },
      };
    },
  };
}
