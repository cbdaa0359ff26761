/**
 * `file.sink(path)`: writes one line per record (strings as they are, other
 * values as JSON), truncating the file when the job starts. With parallelism
 * p > 1, instance i writes `path.part-i`. At-least-once for now.
 */
import { open } from 'node:fs/promises';
import type { SinkConnector, SinkWriter } from '../../actors/contract.js';
import { ConfigError } from '../../actors/errors.js';
import { toLines } from '../format.js';

export function fileSink(path: string): SinkConnector<unknown> {
  if (typeof path !== 'string' || path.length === 0) throw new ConfigError(`file.sink needs a file path, got ${JSON.stringify(path)}`, { field: 'path' });
  return {
    role: 'sink',
    type: 'file',
    guarantee: 'at-least-once',
    async open(ctx): Promise<SinkWriter<unknown>> {
      const target = ctx.parallelism > 1 ? `${path}.part-${ctx.instance}` : path;
      let fh;
      try {
        fh = await open(target, 'w');
      } catch (e) {
        throw new ConfigError(`file.sink cannot open '${target}': ${(e as Error).message}. Fix: check that its folder exists and is writable`, { field: 'path' });
      }
      const handle = fh;
      return {
        async write(records) {
          await handle.write(toLines(records));
        },
        flush: () => handle.sync(),
        close: () => handle.close(),
      };
    },
  };
}
