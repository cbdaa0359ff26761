/** Run options: one DEFAULTS constant and a validator that names the bad field. */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../actors/errors.js';
import { DEFAULT_CHANNEL_OPTIONS } from '../host/actor-host.js';
import type { JobMetrics } from './metrics.js';

export interface RunOptions {
  /** Worker threads; default one per core. 0 runs every actor inline on the calling thread. */
  workers?: number;
  /** Parallelism of operators that do not set their own (default 1). */
  parallelism?: number;
  /** Max ms a record waits in an output buffer while its actor is busy; 0 flushes every record (default 100). */
  bufferTimeout?: number;
  /** Records per channel buffer (default 256). */
  batchSize?: number;
  /** Buffers per channel, i.e. the sender's credit (default 4). */
  credits?: number;
  /** pino level for logs on stderr (default 'warn'). */
  logLevel?: string;
  /** How often workers report metrics, ms (default 1000; 0 = only at the end). */
  metricsIntervalMs?: number;
  /** Called with fresh metrics every interval. */
  onMetrics?: (m: JobMetrics) => void;
  /** Where records printed by workers (stdout()) go; default process.stdout. */
  stdout?: NodeJS.WritableStream;
  /** Named export holding the topology, when the module has several. */
  exportName?: string;
}

export type ResolvedOptions = Required<Omit<RunOptions, 'onMetrics' | 'exportName' | 'stdout'>> & Pick<RunOptions, 'onMetrics' | 'exportName' | 'stdout'>;

export const DEFAULTS = {
  workers: availableParallelism(),
  parallelism: 1,
  bufferTimeout: DEFAULT_CHANNEL_OPTIONS.bufferTimeout,
  batchSize: DEFAULT_CHANNEL_OPTIONS.batchSize,
  credits: DEFAULT_CHANNEL_OPTIONS.credits,
  logLevel: 'warn',
  metricsIntervalMs: 1000,
} as const;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function resolveOptions(o: RunOptions = {}): ResolvedOptions {
  const r = { ...DEFAULTS, ...stripUndefined(o) } as ResolvedOptions;
  int(r.workers, 'workers', 0, 1024, 'one per core by default; 0 runs inline');
  int(r.parallelism, 'parallelism', 1, 32768);
  int(r.bufferTimeout, 'bufferTimeout', 0, 3_600_000, 'ms; 0 flushes every record');
  int(r.batchSize, 'batchSize', 1, 1 << 20);
  int(r.credits, 'credits', 1, 1024);
  int(r.metricsIntervalMs, 'metricsIntervalMs', 0, 3_600_000);
  if (!LEVELS.includes(r.logLevel)) throw new ConfigError(`logLevel '${r.logLevel}' is not a log level. Fix: use one of ${LEVELS.join(', ')}`, { field: 'logLevel' });
  return r;
}

function int(v: unknown, field: string, min: number, max: number, hint = ''): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${field} is ${String(v)}. Fix: give an integer from ${min} to ${max}${hint ? ` (${hint})` : ''}`, { field });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
