/**
 * `file.sink(dir)`: exactly-once text output (one line per record: strings
 * as they are, other values as JSON), by two-phase commit with checkpoints,
 * as Flink's FileSink:
 *
 * - instance i appends to a hidden in-progress file `.part-i-<uuid>.inprogress`;
 * - at barrier n it fsyncs that file and renames it to `.part-i-n-<uuid>.pending`
 *   (phase 1; the list of pending files is its snapshot);
 * - when checkpoint n completes it renames pending files of checkpoints <= n
 *   to the visible `part-i-n-<uuid>` (phase 2, idempotent). The uuid keeps
 *   names unique even if a checkpoint id is seen twice across restarts;
 * - on start, pending files named in the restored state are committed
 *   (their checkpoint completed), and every other hidden file of the
 *   instance is deleted: output of an epoch that never completed vanishes,
 *   and the replay writes it again exactly once;
 * - when the job restored from an older checkpoint than the newest it had
 *   committed (the newest was damaged), committed files of later
 *   checkpoints are retracted, since the replay writes their records again.
 *
 * Readers take the visible `part-*` files (ignoring dot files). Use one
 * directory per sink.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { SinkConnector, SinkWriter } from '../../actors/contract.js';
import { ConfigError } from '../../actors/errors.js';
import { toLines } from '../format.js';

interface Pending {
  /** Checkpoint id. */
  n: number;
  /** Visible name once committed. */
  name: string;
}

interface FileSinkState {
  i: number;
  /** Pending files awaiting commit. */
  pending: Pending[];
}

const HIDDEN = /^\.part-(\d+)-.*\.(pending|inprogress)$/;
const COMMITTED = /^part-(\d+)-(\d+)-[0-9a-f]+$/;

export function fileSink(dir: string): SinkConnector<unknown> {
  if (typeof dir !== 'string' || dir.length === 0) throw new ConfigError(`file.sink needs a directory path, got ${JSON.stringify(dir)}`, { field: 'dir' });
  return {
    role: 'sink',
    type: 'file',
    guarantee: 'exactly-once',
    async open(ctx): Promise<SinkWriter<unknown>> {
      const me = ctx.instance;
      const pendingPath = (p: Pending) => path.join(dir, `.${p.name}.pending`);
      try {
        await mkdir(dir, { recursive: true });
      } catch (e) {
        throw new ConfigError(`file.sink cannot create directory '${dir}': ${(e as Error).message}. Fix: choose a writable path`, { field: 'dir' });
      }
      const syncDir = async () => {
        const d = await open(dir, 'r');
        try {
          await d.sync();
        } finally {
          await d.close();
        }
      };
      const commitFile = async (p: Pending) => {
        try {
          await rename(pendingPath(p), path.join(dir, p.name));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // already committed
        }
      };

      // Recovery: finish the commits of completed checkpoints, drop everything else.
      const restored = (ctx.restored ?? []) as FileSinkState[];
      for (const s of restored) for (const p of s.pending) await commitFile(p);
      const mine = (i: number) => i === me || (me === 0 && i >= ctx.parallelism);
      const from = ctx.restoredCheckpoint;
      for (const f of await readdir(dir)) {
        const m = HIDDEN.exec(f);
        if (m && mine(Number(m[1]))) await rm(path.join(dir, f), { force: true });
        const c = COMMITTED.exec(f);
        if (c && from !== undefined && Number(c[2]) > from && mine(Number(c[1]))) {
          ctx.log.warn({ file: f, restoredCheckpoint: from }, `file.sink: retracting ${f}, committed after checkpoint ${from}, which the job restored from`);
          await rm(path.join(dir, f), { force: true });
        }
      }
      await syncDir();

      let current: { fh: FileHandle; file: string; bytes: number; id: string } | undefined;
      let pending: Pending[] = [];
      return {
        async write(records) {
          if (!current) {
            const id = randomUUID().slice(0, 8);
            const file = path.join(dir, `.part-${me}-${id}.inprogress`);
            current = { fh: await open(file, 'wx'), file, bytes: 0, id };
          }
          const text = toLines(records);
          await current.fh.write(text);
          current.bytes += text.length;
        },
        async flush() {
          await current?.fh.sync();
        },
        async snapshot(n): Promise<FileSinkState> {
          if (current) {
            const c = current;
            current = undefined;
            await c.fh.sync();
            await c.fh.close();
            const p: Pending = { n, name: `part-${me}-${n}-${c.id}` };
            await rename(c.file, pendingPath(p));
            await syncDir();
            pending.push(p);
          }
          return { i: me, pending: pending.slice() };
        },
        async commit(n) {
          const due = pending.filter((p) => p.n <= n);
          if (due.length === 0) return;
          for (const p of due) await commitFile(p);
          await syncDir();
          pending = pending.filter((p) => p.n > n);
        },
        async close() {
          await current?.fh.close();
          current = undefined;
        },
      };
    },
  };
}

/** The committed lines of a file.sink directory, in commit order per instance (for tests and tools). */
export async function readCommitted(dir: string): Promise<string[]> {
  const files = (await readdir(dir))
    .map((f) => /^part-(\d+)-(\d+)-[0-9a-f]+$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[2]) - Number(b[2]) || Number(a[1]) - Number(b[1]));
  const { readFile } = await import('node:fs/promises');
  const lines: string[] = [];
  for (const m of files) {
    const text = await readFile(path.join(dir, m[0]), 'utf8');
    if (text) lines.push(...text.slice(0, -1).split('\n'));
  }
  return lines;
}
