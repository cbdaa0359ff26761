#!/usr/bin/env node
/**
 * The `weir` executable. For `weir run` it starts the worker threads first
 * thing (see coordinator/prespawn.ts), then loads the CLI proper.
 */
import { availableParallelism } from 'node:os';
import { prespawn } from '../coordinator/prespawn.js';

const argv = process.argv.slice(2);
if (argv[0] === 'run') {
  // Workers inherit the environment when they start: settings read there must be in it first.
  if (argv.includes('--create-topics')) process.env.WEIR_CREATE_TOPICS = '1';
  const at = argv.findIndex((a) => a === '--workers' || a === '-w');
  const n = at >= 0 ? Number(argv[at + 1]) : availableParallelism();
  if (Number.isInteger(n) && n > 0 && n <= 64) prespawn(n);
}
await import('./main.js');
