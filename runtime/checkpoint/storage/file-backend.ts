/**
 * The file state backend, the embedded default. Layout:
 *
 *   <dir>/<job>/chk-<id>/<blob file>     one per blob (see `blobFileName`)
 *   <dir>/<job>/chk-<id>/_metadata       JSON CheckpointMeta; present = committed
 *   <dir>/<job>/_result                  JSON JobResultRecord (job-result.ts)
 *
 * Durability protocol (every write is temp file + fsync + rename):
 * - putBlob writes `.tmp-<random>`, fsyncs it and renames it to the blob file;
 * - commit fsyncs the checkpoint directory (making the blob renames durable),
 *   then writes `_metadata` the same way, and fsyncs the checkpoint, job and
 *   root directories. The rename of `_metadata` is the one atomic step that
 *   commits: a crash before it leaves a directory without `_metadata`, which
 *   `list` ignores and `gc` removes once a newer checkpoint is committed.
 * - gc deletes `_metadata` first, then the directory.
 * - putResult writes `_result` the same way and fsyncs the job directory;
 *   deleteResult unlinks it and fsyncs the job directory.
 * Blob file names never start with '.' or '_', so they cannot collide with
 * `_metadata` or temp files.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, WeirError } from '../../../actors/errors.js';
import type { CheckpointMeta, JobResultRecord, StateBackend } from './backend.js';
import { decodeMeta, encodeMeta, validateMeta } from './checkpoint-meta.js';
import { StateBackendClosedError, StateBackendError, StateBackendUnavailableError } from './errors.js';
import { planGc } from './gc-plan.js';
import { decodeResult, encodeResult, validateResult } from './job-result.js';
import { validateBlobName, validateCheckpointId, validateJob, validateKeep } from './names.js';

const METADATA = '_metadata';
const RESULT = '_result';
const CHECKPOINT_DIR = /^chk-(0|[1-9][0-9]*)$/;
/** fs error codes worth retrying: the disk or the process is out of a resource for now. */
const TRANSIENT = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ENOSPC', 'EINTR']);

/**
 * A state backend storing checkpoints under `dir` (created on first write;
 * relative paths are resolved against the current directory).
 */
export function fileBackend(dir: string): StateBackend {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ConfigError(`fileBackend needs a directory, got ${JSON.stringify(dir)}`);
  }
  return new FileBackend(path.resolve(dir));
}

/**
 * The file name of a blob: UTF-8 bytes outside [A-Za-z0-9-] are percent-encoded
 * ('counter/0' -> 'counter%2F0'), except '.' and '_' after the first byte.
 * Injective, never starts with '.' or '_', never contains a path separator.
 */
export function blobFileName(name: string): string {
  validateBlobName(name);
  const bytes = Buffer.from(name, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const plain =
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || (i > 0 && (b === 0x2e || b === 0x5f));
    out += plain ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > 255) {
    throw new ConfigError(`blob name ${JSON.stringify(name)} is too long for the file backend (encoded as ${out.length} bytes, the limit is 255)`, {
      blob: name,
    });
  }
  return out;
}

class FileBackend implements StateBackend {
  readonly kind = 'file' as const;
  readonly description: string;
  private closed = false;

  constructor(private readonly root: string) {
    this.description = `file:${root}`;
  }

  async putBlob(job: string, checkpointId: number, name: string, bytes: Uint8Array): Promise<void> {
    this.check('putBlob', job);
    validateCheckpointId(checkpointId);
    const file = blobFileName(name);
    const dir = this.checkpointDir(job, checkpointId);
    await this.io('putBlob', dir, async () => {
      await mkdir(dir, { recursive: true });
      await writeDurably(dir, file, bytes);
    });
  }

  async getBlob(job: string, checkpointId: number, name: string): Promise<Uint8Array | undefined> {
    this.check('getBlob', job);
    validateCheckpointId(checkpointId);
    const file = path.join(this.checkpointDir(job, checkpointId), blobFileName(name));
    const buf = await this.io('getBlob', file, () => readIfExists(file));
    return buf === undefined ? undefined : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async commit(meta: CheckpointMeta): Promise<void> {
    this.check('commit', meta?.job);
    validateMeta(meta);
    const jobDir = this.jobDir(meta.job);
    const dir = this.checkpointDir(meta.job, meta.id);
    await this.io('commit', dir, async () => {
      await mkdir(dir, { recursive: true });
      await fsyncDir(dir);
      await writeDurably(dir, METADATA, Buffer.from(encodeMeta(meta), 'utf8'));
      await fsyncDir(dir);
      await fsyncDir(jobDir);
      await fsyncDir(this.root);
    });
  }

  async list(job: string): Promise<CheckpointMeta[]> {
    this.check('list', job);
    const { committed } = await this.scan('list', job);
    return committed.sort((a, b) => b.id - a.id);
  }

  async gc(job: string, keep: number): Promise<void> {
    this.check('gc', job);
    validateKeep(keep);
    const { committed, ids } = await this.scan('gc', job);
    const plan = planGc(committed, ids, keep);
    await this.io('gc', this.jobDir(job), async () => {
      for (const id of plan.dropCommitted) {
        const dir = this.checkpointDir(job, id);
        // Tolerate a concurrent gc having removed it already.
        await unlink(path.join(dir, METADATA)).catch(ignoreMissing);
        await fsyncDir(dir).catch(ignoreMissing);
        await rm(dir, { recursive: true, force: true });
      }
      for (const id of plan.dropUncommitted) await rm(this.checkpointDir(job, id), { recursive: true, force: true });
    });
  }

  async putResult(result: JobResultRecord): Promise<void> {
    this.check('putResult', result?.job);
    validateResult(result);
    const jobDir = this.jobDir(result.job);
    await this.io('putResult', jobDir, async () => {
      await mkdir(jobDir, { recursive: true });
      await writeDurably(jobDir, RESULT, Buffer.from(encodeResult(result), 'utf8'));
      await fsyncDir(jobDir);
      await fsyncDir(this.root);
    });
  }

  async getResult(job: string): Promise<JobResultRecord | undefined> {
    this.check('getResult', job);
    const file = path.join(this.jobDir(job), RESULT);
    const buf = await this.io('getResult', file, () => readIfExists(file));
    return buf === undefined ? undefined : decodeResult(buf.toString('utf8'));
  }

  async deleteResult(job: string): Promise<void> {
    this.check('deleteResult', job);
    const jobDir = this.jobDir(job);
    await this.io('deleteResult', jobDir, async () => {
      await unlink(path.join(jobDir, RESULT)).catch(ignoreMissing);
      await fsyncDir(jobDir).catch(ignoreMissing);
    });
  }

  async clear(job: string): Promise<void> {
    this.check('clear', job);
    const dir = this.jobDir(job);
    await this.io('clear', dir, () => rm(dir, { recursive: true, force: true }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Committed metas (valid `_metadata` naming this job and id) and all checkpoint ids on disk. */
  private async scan(operation: string, job: string): Promise<{ committed: CheckpointMeta[]; ids: number[] }> {
    const jobDir = this.jobDir(job);
    return this.io(operation, jobDir, async () => {
      let entries: string[];
      try {
        entries = await readdir(jobDir);
      } catch (err) {
        if (isMissing(err)) return { committed: [], ids: [] };
        throw err;
      }
      const ids = entries.flatMap((e) => {
        const m = CHECKPOINT_DIR.exec(e);
        return m && Number.isSafeInteger(Number(m[1])) ? [Number(m[1])] : [];
      });
      const metas = await Promise.all(
        ids.map(async (id) => {
          const buf = await readIfExists(path.join(this.checkpointDir(job, id), METADATA));
          const meta = buf === undefined ? undefined : decodeMeta(buf.toString('utf8'));
          return meta !== undefined && meta.job === job && meta.id === id ? meta : undefined;
        }),
      );
      return { committed: metas.filter((m): m is CheckpointMeta => m !== undefined), ids };
    });
  }

  private jobDir(job: string): string {
    return path.join(this.root, job);
  }

  private checkpointDir(job: string, id: number): string {
    return path.join(this.root, job, `chk-${id}`);
  }

  private check(operation: string, job: unknown): void {
    if (this.closed) throw new StateBackendClosedError(this.description, operation);
    validateJob(job);
  }

  private async io<T>(operation: string, where: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WeirError) throw err;
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code !== undefined && TRANSIENT.has(code)) throw new StateBackendUnavailableError(this.description, operation, err, { context: { path: where } });
      throw new StateBackendError(this.description, operation, err, { path: where });
    }
  }
}

/** Writes `dir/name` as temp file + fsync + rename; the caller fsyncs `dir` when durability of the name matters. */
async function writeDurably(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = path.join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path.join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    // Some platforms (Windows) and file systems cannot fsync a directory; nothing more can be done there.
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close();
  }
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function ignoreMissing(err: unknown): void {
  if (!isMissing(err)) throw err;
}
