/**
 * Wire codec for cross-worker batches: one msgpackr message per batch,
 * copied into its own ArrayBuffer so it can be transferred (not cloned) over
 * a MessagePort. Same-worker channels never encode.
 */
import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';
import { EncodeError } from '../../actors/errors.js';

class FunctionValue extends Error {}

// msgpackr is loaded on first use (synchronously), not at import: it costs a worker thread
// ~25 ms to load, and a worker whose channels all stay in-thread may never encode.
const require = createRequire(import.meta.url);

function newPackr(): Packr {
  const { Packr: P } = require('msgpackr') as typeof import('msgpackr');
  return new P({
    useRecords: false,
    moreTypes: true,
    // msgpackr would silently encode a function as nil; a record that loses
    // fields on the wire is a bug, so refuse it.
    writeFunction: () => {
      throw new FunctionValue('a function');
    },
  });
}

let packrInstance: Packr | undefined;
const packrOf = (): Packr => (packrInstance ??= newPackr());

export interface EncodeContext {
  operator: string;
  instance: number;
}

export function encodeBatch(records: readonly unknown[], ctx: EncodeContext): Uint8Array {
  let packed: Uint8Array;
  try {
    packed = packrOf().pack(records);
  } catch (e) {
    throw encodeError(records, ctx, e);
  }
  return new Uint8Array(packed); // own buffer: packr reuses its internal one
}

export function decodeBatch(bytes: Uint8Array): unknown[] {
  return packrOf().unpack(bytes) as unknown[];
}

/** Find the first record that does not encode and name its type. */
function encodeError(records: readonly unknown[], ctx: EncodeContext, cause: unknown): EncodeError {
  for (const r of records) {
    try {
      packrOf().pack(r);
    } catch (e) {
      return new EncodeError({ ...ctx, record: r, valueType: typeName(r, e) }, e);
    }
  }
  return new EncodeError({ ...ctx, valueType: 'unknown' }, cause);
}

function typeName(value: unknown, e: unknown): string {
  if (e instanceof FunctionValue) return typeof value === 'function' ? 'function' : `${describe(value)} containing a function`;
  return describe(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/**
 * Snapshots (checkpoint blobs) use the same msgpack settings; a separate
 * Packr keeps snapshot encoding from sharing buffers with channel encoding.
 */
let snapshotPackrInstance: Packr | undefined;
const snapshotPackr = (): Packr => (snapshotPackrInstance ??= newPackr());

export function encodeSnapshot(value: unknown, ctx: EncodeContext): Uint8Array {
  try {
    return new Uint8Array(snapshotPackr().pack(value));
  } catch (e) {
    throw new EncodeError({ ...ctx, valueType: 'state', record: undefined }, e);
  }
}

export function decodeSnapshot(bytes: Uint8Array): unknown {
  return snapshotPackr().unpack(bytes);
}
