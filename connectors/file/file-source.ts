/**
 * `file.source(path)`: the lines of a text file (UTF-8, '\n' or '\r\n'), read
 * in chunks as credit allows. Its position is a byte offset, so a restore
 * resumes mid-file. A file is one split: instance 0 reads it and other
 * instances end at once.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { PullResult, SourceConnector, SourceReader } from '../../actors/contract.js';
import { ConfigError } from '../../actors/errors.js';

const CHUNK = 64 * 1024;

export function fileSource(path: string): SourceConnector<string> {
  if (typeof path !== 'string' || path.length === 0) throw new ConfigError(`file.source needs a file path, got ${JSON.stringify(path)}`, { field: 'path' });
  return {
    role: 'source',
    type: 'file',
    async open(ctx): Promise<SourceReader<string>> {
      if (ctx.instance > 0) return { pull: () => ({ records: [], done: true }) };
      let fh: FileHandle;
      try {
        fh = await open(path, 'r');
      } catch (e) {
        throw new ConfigError(`file.source cannot open '${path}': ${(e as Error).message}. Fix: check the path and its permissions`, { field: 'path' });
      }
      // Resume after the last line emitted before the checkpoint.
      const old = (ctx.restored ?? []) as { i: number; offset: number }[];
      let offset = old.find((s) => s?.i === 0)?.offset ?? 0; // bytes of complete lines emitted so far
      let readAt = offset;
      let pending = Buffer.alloc(0);
      let eof = false;
      const lines: string[] = [];
      const decodeLine = (buf: Buffer) => {
        const s = buf.toString('utf8');
        return s.endsWith('\r') ? s.slice(0, -1) : s;
      };
      return {
        async pull(max): Promise<PullResult<string>> {
          while (lines.length < max && !eof) {
            const buf = Buffer.allocUnsafe(CHUNK);
            const { bytesRead } = await fh.read(buf, 0, CHUNK, readAt);
            readAt += bytesRead;
            if (bytesRead === 0) {
              eof = true;
              if (pending.length > 0) lines.push(decodeLine(pending));
              pending = Buffer.alloc(0);
              break;
            }
            pending = pending.length ? Buffer.concat([pending, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
            let start = 0;
            let nl: number;
            while ((nl = pending.indexOf(10, start)) >= 0) {
              lines.push(decodeLine(pending.subarray(start, nl)));
              start = nl + 1;
            }
            pending = pending.subarray(start);
          }
          const records = lines.splice(0, max);
          for (const r of records) offset += Buffer.byteLength(r) + 1;
          return { records, done: eof && lines.length === 0 };
        },
        position: () => ({ i: 0, offset }),
        close: () => fh.close(),
      };
    },
  };
}
