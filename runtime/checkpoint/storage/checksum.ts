/**
 * Blob checksums: every blob's size and sha256 go into the checkpoint meta
 * when it is written, and are checked when it is read back (see restore.ts).
 */
import { createHash } from 'node:crypto';
import type { BlobInfo } from './backend.js';

/** Size and hex sha256 of `bytes`, for `CheckpointMeta.blobs`. */
export function blobInfo(bytes: Uint8Array): BlobInfo {
  return { size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Why `bytes` do not match `expected` ('missing', 'truncated: ...', 'size
 * mismatch: ...', 'sha256 mismatch: ...'), or undefined when they match.
 */
export function verifyBlob(bytes: Uint8Array | undefined, expected: BlobInfo): string | undefined {
  if (bytes === undefined) return 'missing';
  if (bytes.byteLength < expected.size) return `truncated: ${bytes.byteLength} bytes, expected ${expected.size}`;
  if (bytes.byteLength > expected.size) return `size mismatch: ${bytes.byteLength} bytes, expected ${expected.size}`;
  const actual = blobInfo(bytes).sha256;
  if (actual !== expected.sha256) return `sha256 mismatch: ${actual}, expected ${expected.sha256}`;
  return undefined;
}
