/**
 * Puts two fixed kafkajs (2.2.4) internals in place before kafkajs is
 * loaded, through the CommonJS module cache under the modules' file names
 * (kafkajs binds them when it first loads):
 * - consumer/filterAbortedMessages: weir's read_committed filter
 *   (aborted-filter.ts); kafkajs' own delivers records of aborted
 *   transactions when the broker lists them out of first-offset order;
 * - producer/groupMessagesPerPartition: the same grouping in linear time;
 *   kafkajs copies the partition's array for every message (quadratic), which
 *   made a 10k-message send cost more than its round trip;
 * - protocol/recordBatch/record/v0: records encoded at their exact size by
 *   record-encoder.ts (the same bytes, ~8x faster), kafkajs' own encoder
 *   for the records it does not take (headers, big deltas).
 * Patching the installed package on disk instead
 * would not survive `npm install`, and a fork of kafkajs for one function
 * is worse than this.
 *
 * Returns false when kafkajs' consumer was already loaded with the original
 * filter (something imported kafkajs first): then the fix cannot take and
 * read_committed consumers may see aborted records in the case the filter
 * module describes.
 */
import { createRequire, Module } from 'node:module';
import { filterAborted } from './aborted-filter.js';
import { encodeRecord, type RecordFields } from './record-encoder.js';

const require = createRequire(import.meta.url);
const FIXED = Symbol.for('weir.kafkajs.filterAborted');

let state: boolean | undefined;

export function installKafkajsFix(): boolean {
  if (state !== undefined) return state;
  let filterFile: string;
  let batchFile: string;
  try {
    filterFile = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
    batchFile = require.resolve('kafkajs/src/consumer/batch.js');
  } catch {
    return (state = false); // another kafkajs layout: its filter is used as it is
  }
  const cached = require.cache[filterFile];
  if (cached && (cached.exports as Record<symbol, unknown>)[FIXED]) return (state = true);
  if (require.cache[batchFile]) return (state = false);
  preload(filterFile, Object.assign((args: Parameters<typeof filterAborted>[0]) => filterAborted(args), { [FIXED]: true }));
  preload(require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js'), groupMessagesPerPartition);
  installRecordEncoder();
  return (state = true);
}

/** kafkajs' Encoder, as far as a record needs it: its bytes are `buf` up to `offset`. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}

function installRecordEncoder(): void {
  const file = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js');
  // Loads only the record module and the Encoder, not kafkajs; its cache entry then serves the fast one.
  const original = require(file) as (fields: RecordFields) => KafkajsEncoder;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: KafkajsEncoder };
  const fast = (fields: RecordFields): KafkajsEncoder => {
    const buf = encodeRecord(fields);
    if (buf === undefined) return original(fields);
    const e = Object.create(Encoder.prototype) as KafkajsEncoder;
    e.buf = buf;
    e.offset = buf.length;
    return e;
  };
  require.cache[file]!.exports = fast;
}

function preload(file: string, exports: unknown): void {
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = exports;
  require.cache[file] = m;
}

/** kafkajs' producer/groupMessagesPerPartition, linear: partition -> its messages, in order. */
function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: { topic: string; partitionMetadata: unknown[]; messages: M[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: M }) => number }): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) (result[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
  return result;
}
