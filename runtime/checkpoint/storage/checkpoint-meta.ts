/**
 * Validation and the stored encoding of `CheckpointMeta`. Metadata is stored
 * as JSON (UTF-8): small, and readable with `cat` or `redis-cli`. Decoding is
 * total: anything that is not a well-formed meta decodes to `undefined`, so a
 * damaged metadata record reads as "not committed" instead of crashing restore.
 */
import { ConfigError } from '../../../actors/errors.js';
import type { BlobInfo, CheckpointMeta } from './backend.js';
import { validateBlobName, validateCheckpointId, validateJob } from './names.js';

const KINDS: ReadonlySet<string> = new Set(['checkpoint', 'savepoint', 'final']);
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Throws ConfigError naming the first bad field. */
export function validateMeta(meta: CheckpointMeta): void {
  if (typeof meta !== 'object' || meta === null) throw new ConfigError(`invalid checkpoint meta: expected an object, got ${String(meta)}`);
  validateJob(meta.job);
  validateCheckpointId(meta.id);
  const bad = (field: string, expected: string): never => {
    throw new ConfigError(`invalid checkpoint meta (job '${meta.job}', id ${meta.id}): ${field} must be ${expected}`, {
      job: meta.job,
      checkpointId: meta.id,
      field,
    });
  };
  if (!KINDS.has(meta.kind)) bad('kind', "'checkpoint', 'savepoint' or 'final'");
  if (typeof meta.createdAt !== 'number' || !Number.isFinite(meta.createdAt)) bad('createdAt', 'a finite number (ms)');
  if (typeof meta.fingerprint !== 'string') bad('fingerprint', 'a string');
  if (!isPlainRecord(meta.parallelism)) bad('parallelism', 'an object of operator -> parallelism');
  for (const [op, p] of Object.entries(meta.parallelism)) {
    if (!Number.isSafeInteger(p) || p < 1) bad(`parallelism['${op}']`, 'a positive integer');
  }
  if (!isPlainRecord(meta.blobs)) bad('blobs', 'an object of blob name -> { size, sha256 }');
  for (const [name, info] of Object.entries(meta.blobs)) {
    validateBlobName(name);
    if (!isBlobInfo(info)) bad(`blobs['${name}']`, '{ size: non-negative integer, sha256: 64 lowercase hex digits }');
  }
}

export function encodeMeta(meta: CheckpointMeta): string {
  return JSON.stringify({
    job: meta.job,
    id: meta.id,
    kind: meta.kind,
    createdAt: meta.createdAt,
    fingerprint: meta.fingerprint,
    parallelism: meta.parallelism,
    blobs: meta.blobs,
  });
}

/** The meta, or undefined when `text` is not a valid encoded meta. */
export function decodeMeta(text: string): CheckpointMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  try {
    validateMeta(value as CheckpointMeta);
  } catch {
    return undefined;
  }
  return value as CheckpointMeta;
}

/** A deep copy, so stored metas cannot be changed through a caller's reference. */
export function copyMeta(meta: CheckpointMeta): CheckpointMeta {
  return decodeMeta(encodeMeta(meta)) ?? structuredClone(meta);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBlobInfo(value: unknown): value is BlobInfo {
  if (!isPlainRecord(value)) return false;
  const { size, sha256 } = value as Partial<BlobInfo>;
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 && typeof sha256 === 'string' && SHA256_HEX.test(sha256);
}
