/**
 * Puts three fixed kafkajs (exactly 2.2.4) internals in place before kafkajs
 * is loaded, through the CommonJS module cache under the modules' file names
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
 * Patching the installed package on disk instead would not survive
 * `npm install`, and a fork of kafkajs for one function is worse than this.
 *
 * A patch takes only when the kafkajs module that binds it (batch.js,
 * sendMessages.js, requests/produce/v3) is not loaded yet, and only on the
 * version it was written for: package.json pins kafkajs to exactly 2.2.4.
 * installKafkajsFix() says which patches are in place and why not, loading
 * no kafkajs module (every worker thread runs it as it imports weir);
 * requireKafkajsFix() checks the filter by running kafkajs' own Batch on
 * records it used to get wrong, and refuses a read_committed reader without
 * it, since it could deliver records of aborted transactions.
 */
import { createRequire, Module } from 'node:module';
import path from 'node:path';
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import { filterAborted } from './aborted-filter.js';
import { encodeRecord, type RecordFields } from './record-encoder.js';

/** The kafkajs release whose internals the patches replace. */
export const KAFKAJS_VERSION = '2.2.4';

const ownRequire = createRequire(import.meta.url);
/** Marks weir's replacements, also when another copy of weir (the bundle vs the sources) placed them. */
const FIXED = Symbol.for('weir.kafkajs.fixed');

export type KafkajsPatch = 'filter' | 'grouping' | 'encoder';

/** What installKafkajsFix() found: which patches are in effect on the kafkajs it resolved, and why not. */
export interface KafkajsFixReport {
  /** kafkajs' directory, as resolved from weir (null: not resolvable). */
  dir: string | null;
  /** Its package.json version (null: not resolvable). */
  version: string | null;
  /** Patches in effect. */
  inPlace: Record<KafkajsPatch, boolean>;
  /** Why a patch is not in effect, one line each. */
  problems: string[];
}

/** kafkajs file (under src/) of each patch, and the kafkajs files that bind it when they load. */
const PATCHES: Record<KafkajsPatch, { file: string; boundBy: string }> = {
  filter: { file: 'consumer/filterAbortedMessages.js', boundBy: 'consumer/batch.js' },
  grouping: { file: 'producer/groupMessagesPerPartition.js', boundBy: 'producer/sendMessages.js' },
  // kafkajs loads its Produce v3 request (the one that binds record/v0) on the first produce only.
  encoder: { file: 'protocol/recordBatch/record/v0/index.js', boundBy: 'protocol/requests/produce/v3/request.js' },
};

const reports = new Map<string, KafkajsFixReport>();

/**
 * Installs the patches into the kafkajs that `req` resolves (default: weir's own), once per
 * kafkajs copy, and reports which are in effect. Never throws.
 */
export function installKafkajsFix(req: NodeJS.Require = ownRequire): KafkajsFixReport {
  let pkgFile: string;
  try {
    pkgFile = req.resolve('kafkajs/package.json');
  } catch (e) {
    return { dir: null, version: null, inPlace: { filter: false, grouping: false, encoder: false }, problems: [`kafkajs cannot be resolved (${(e as Error).message})`] };
  }
  const known = reports.get(pkgFile);
  if (known) return known;
  const dir = path.dirname(pkgFile);
  const version = (req(pkgFile) as { version?: string }).version ?? null;
  const report: KafkajsFixReport = { dir, version, inPlace: { filter: false, grouping: false, encoder: false }, problems: [] };
  reports.set(pkgFile, report);
  if (version !== KAFKAJS_VERSION) {
    report.problems.push(`kafkajs ${version} is installed in ${dir}, but weir's fixes replace internals of kafkajs ${KAFKAJS_VERSION} (another version, or a second copy of kafkajs resolved by weir)`);
    return report;
  }
  const src = (file: string) => path.join(dir, 'src', file);
  const replacements: Record<KafkajsPatch, () => unknown> = {
    filter: () => Object.assign((args: Parameters<typeof filterAborted>[0]) => filterAborted(args), { [FIXED]: true }),
    grouping: () => Object.assign(groupMessagesPerPartition, { [FIXED]: true }),
    encoder: () => fastRecordEncoder(req, src(PATCHES.encoder.file)),
  };
  for (const name of Object.keys(PATCHES) as KafkajsPatch[]) {
    const { file, boundBy } = PATCHES[name];
    const cached = req.cache[src(file)];
    if (cached && (cached.exports as Record<symbol, unknown>)[FIXED]) {
      report.inPlace[name] = true; // placed by another copy of weir (the bundle and the sources share kafkajs)
    } else if (req.cache[src(boundBy)]) {
      report.problems.push(`kafkajs was loaded before weir, so the ${name} fix cannot take (its ${boundBy} already holds kafkajs' own ${file})`);
    } else {
      place(req, src(file), replacements[name]());
      report.inPlace[name] = true;
    }
  }
  // The filter's effect is checked through kafkajs' own Batch, which loads part of kafkajs: on the
  // first read_committed reader (requireKafkajsFix), not here, since every thread imports weir.
  if (report.inPlace.filter) unverified.set(report, () => batchFiltersInterleavedAborts(req, src(PATCHES.filter.boundBy)));
  return report;
}
/** Reports whose placed filter is not checked yet, with the check. */
const unverified = new WeakMap<KafkajsFixReport, () => boolean>();

/** Runs a report's pending filter check once: a filter that does not take is no longer in place. */
function verifyFilter(report: KafkajsFixReport): void {
  const check = unverified.get(report);
  if (!check) return;
  unverified.delete(report);
  if (!check()) {
    report.inPlace.filter = false;
    report.problems.push(`the filter fix is not in effect: kafkajs' Batch (${PATCHES.filter.boundBy}) still delivers records of an aborted transaction listed out of first-offset order`);
  }
}

/**
 * Refuses a kafkajs client that would be unsafe, warns once about one that is only slower:
 * with `readCommitted` (every kafka.source), a missing aborted-record filter is a
 * KAFKAJS_UNFIXED WeirError naming the cause and the fix.
 */
export function requireKafkajsFix(who: string, opts: { readCommitted: boolean; log?: Logger }, report: KafkajsFixReport = installKafkajsFix()): void {
  if (opts.readCommitted) verifyFilter(report);
  if (opts.readCommitted && !report.inPlace.filter) {
    throw new WeirError(
      'KAFKAJS_UNFIXED',
      `${who} refuses to start: kafkajs' read_committed filter is not weir's, so records of aborted transactions could reach the job. Cause: ${report.problems.join('; ')}. ` +
        `Fix: install kafkajs ${KAFKAJS_VERSION} exactly (npm install kafkajs@${KAFKAJS_VERSION}, one copy: npm ls kafkajs) and load weir before kafkajs (import 'weir' before any import of kafkajs)`,
      { context: { kafkajsVersion: report.version, kafkajsDir: report.dir } },
    );
  }
  const slow = (['grouping', 'encoder'] as const).filter((p) => !report.inPlace[p]);
  if (slow.length > 0 && opts.log && !warned.has(report)) {
    warned.add(report);
    opts.log.warn({ kafkajs: report.version, patches: slow }, `kafka: kafkajs runs without weir's ${slow.join(' and ')} fix (${report.problems.join('; ')}); large sends are slower. Fix: kafkajs ${KAFKAJS_VERSION} exactly, loaded after weir`);
  }
}
const warned = new WeakSet<KafkajsFixReport>();

/**
 * True when kafkajs' Batch drops a record of an aborted transaction whose entry comes second
 * in the broker's list: producer 1's transaction starts at offset 0 but is listed after
 * producer 2's (offset 1), the order kafkajs' own filter gets wrong.
 */
function batchFiltersInterleavedAborts(req: NodeJS.Require, batchFile: string): boolean {
  const Batch = req(batchFile) as new (topic: string, fetchedOffset: string, data: unknown) => { messages: unknown[] };
  const record = (offset: string, producerId: string) => ({ offset, key: Buffer.from('k'), value: Buffer.from('v'), isControlRecord: false, batchContext: { producerId, inTransaction: true } });
  const batch = new Batch('weir-probe', '0', {
    partition: 0,
    highWatermark: '2',
    abortedTransactions: [
      { producerId: '2', firstOffset: '1' },
      { producerId: '1', firstOffset: '0' },
    ],
    messages: [record('0', '1'), record('1', '2')],
  });
  return batch.messages.length === 0;
}

/** kafkajs' Encoder, as far as a record needs it: its bytes are `buf` up to `offset`. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}

/** record/v0's replacement: weir's exact-size encoder, kafkajs' own for what it does not take. */
function fastRecordEncoder(req: NodeJS.Require, file: string): unknown {
  // Both load on the first record (kafkajs has loaded them by then), not as weir loads.
  let original: ((fields: RecordFields) => KafkajsEncoder) | undefined;
  let Encoder: { prototype: KafkajsEncoder } | undefined;
  return Object.assign(
    (fields: RecordFields): KafkajsEncoder => {
      const buf = encodeRecord(fields);
      if (buf === undefined) return (original ??= loadOriginal(req, file) as (fields: RecordFields) => KafkajsEncoder)(fields);
      Encoder ??= req(path.join(path.dirname(file), '../../../encoder.js')) as { prototype: KafkajsEncoder };
      const e = Object.create(Encoder.prototype) as KafkajsEncoder;
      e.buf = buf;
      e.offset = buf.length;
      return e;
    },
    { [FIXED]: true },
  );
}

/** kafkajs' own module at `file`, whose cache entry holds weir's replacement: loaded aside, the replacement kept. */
function loadOriginal(req: NodeJS.Require, file: string): unknown {
  const mine = req.cache[file];
  delete req.cache[file];
  try {
    return req(file);
  } finally {
    req.cache[file] = mine;
  }
}

/** Makes `file`'s cache entry export `exports` (a fresh entry when the module is not loaded). */
function place(req: NodeJS.Require, file: string, exports: unknown): void {
  const cached = req.cache[file];
  if (cached) {
    cached.exports = exports;
    return;
  }
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = exports;
  req.cache[file] = m;
}

/** kafkajs' producer/groupMessagesPerPartition, linear: partition -> its messages, in order. */
function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: { topic: string; partitionMetadata: unknown[]; messages: M[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: M }) => number }): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) (result[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
  return result;
}
