/**
 * Puts weir's read_committed filter (aborted-filter.ts) in place of kafkajs'
 * own before kafkajs is loaded: kafkajs' consumer binds the filter module
 * when it first loads, so the fix goes into the CommonJS module cache under
 * that module's file name. Patching the installed package on disk instead
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

const require = createRequire(import.meta.url);
const FIXED = Symbol.for('weir.kafkajs.filterAborted');

let state: boolean | undefined;

export function installKafkajsFix(): boolean {
  if (state !== undefined) return state;
  const filterFile = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
  const batchFile = require.resolve('kafkajs/src/consumer/batch.js');
  const cached = require.cache[filterFile];
  if (cached && (cached.exports as Record<symbol, unknown>)[FIXED]) return (state = true);
  if (require.cache[batchFile]) return (state = false);
  const fixed = Object.assign((args: Parameters<typeof filterAborted>[0]) => filterAborted(args), { [FIXED]: true });
  const m = new Module(filterFile);
  m.filename = filterFile;
  m.loaded = true;
  m.exports = fixed;
  require.cache[filterFile] = m;
  return (state = true);
}
