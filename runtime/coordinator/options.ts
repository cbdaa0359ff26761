/** Run options: one DEFAULTS constant and a validator that names the bad field. */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../actors/errors.js';
import type { StateBackend } from '../checkpoint/storage/backend.js';
import { DEFAULT_RESTART_STRATEGY, restartStrategy, type RestartStrategy } from '../../supervision/restart-strategy.js';
import { DEFAULT_CHANNEL_OPTIONS } from '../host/actor-host.js';
import type { FaultInjector } from './fault-injector.js';
import type { JobMetrics } from './metrics.js';
import { resolveHttpOptions, type HttpOptions, type ResolvedHttpOptions } from '../http/options.js';
import { DEFAULT_WORKER_YOUNG_MB, MAX_YOUNG_MB, YOUNG_MB_ENV, youngMbFromEnv } from './worker-limits.js';

export interface RunOptions {
  /** Worker threads; default one per core. 0 runs every actor inline on the calling thread. */
  workers?: number;
  /** Parallelism of operators that do not set their own (default 1). */
  parallelism?: number;
  /** Max ms a record waits in an output buffer while its actor is busy; 0 flushes every record (default 100). */
  bufferTimeout?: number;
  /** Records per channel buffer (default 256). */
  batchSize?: number;
  /** Buffers per channel, i.e. the sender's credit (default 16). */
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

  // ---- fault tolerance ----
  /** Job id: names the job's checkpoints; a rerun with the same id resumes (default: the topology's name). */
  jobId?: string;
  /** State backend: 'memory' (default for run()), 'file:DIR' (the CLI's default) or 'redis://host:port/db', or a backend object. */
  state?: string | StateBackend;
  /** Ms between checkpoints; 0 disables periodic checkpoints (end-of-input and stop still commit). Default 1000. */
  checkpointInterval?: number;
  /** A checkpoint not complete after this many ms is declined. Default 60000. */
  checkpointTimeout?: number;
  /** Consecutive failed checkpoints tolerated before the job fails; -1 = unlimited (default). */
  tolerableCheckpointFailures?: number;
  /** Completed checkpoints kept in the backend (savepoints are always kept). Default 3. */
  keepCheckpoints?: number;
  /**
   * Run from scratch: a job whose last run finished (its sources ended) refuses
   * to run again with the same job id unless this is set. Forgets that it
   * finished and resumes none of its checkpoints (savepoints stay, for
   * fromSavepoint). Output already committed stays where it is. Default false.
   */
  fresh?: boolean;
  /** Restore from this checkpoint or savepoint id of the job instead of the latest. */
  fromSavepoint?: number;
  /** How failed regions restart: OTP intensity (maxRestarts within withinMs) plus exponential backoff. */
  restart?: Partial<Omit<RestartStrategy, 'backoff'>> & { backoff?: Partial<RestartStrategy['backoff']> };
  /** Ms between heartbeats to workers; 0 disables. Default 1000. */
  heartbeatIntervalMs?: number;
  /** A worker silent this long is replaced. Default 10000. */
  heartbeatTimeoutMs?: number;
  /** V8 old-generation limit per worker (resourceLimits); a worker over it is replaced. */
  workerMemoryMb?: number;
  /**
   * V8 young-generation cap per worker in MB (resourceLimits). Default: the environment variable
   * WEIR_WORKER_YOUNG_MB, else 0 (V8's own sizing). A small cap (e.g. 6) trims idle RSS by a few MB
   * and costs busy workers more scavenges; see docs/performance.md.
   */
  workerYoungGenerationMb?: number;
  /** JSON-lines file for records skipped by onError: 'skip' (default: `<dir>/<job>/dead-letters.jsonl` with file state; none otherwise); false: none. */
  deadLetters?: string | false;
  /** Fault injection on real threads (weir/testing's runThreads plugs in here); see fault-injector.ts. */
  injector?: FaultInjector;
  /**
   * Serve Prometheus metrics, the JSON API and the dashboard (see the README's Observability).
   * Binds 127.0.0.1 by default; another address needs a token (http.token or WEIR_HTTP_TOKEN).
   */
  http?: HttpOptions;
}

type Optional = 'onMetrics' | 'exportName' | 'stdout' | 'jobId' | 'fromSavepoint' | 'workerMemoryMb' | 'workerYoungGenerationMb' | 'restart' | 'deadLetters' | 'injector' | 'http';
export type ResolvedOptions = Required<Omit<RunOptions, Optional>> &
  Pick<RunOptions, Exclude<Optional, 'restart' | 'http' | 'workerYoungGenerationMb'>> & { restart: RestartStrategy; http?: ResolvedHttpOptions; workerYoungGenerationMb: number };

export const DEFAULTS = {
  workers: availableParallelism(),
  parallelism: 1,
  bufferTimeout: DEFAULT_CHANNEL_OPTIONS.bufferTimeout,
  batchSize: DEFAULT_CHANNEL_OPTIONS.batchSize,
  credits: DEFAULT_CHANNEL_OPTIONS.credits,
  logLevel: 'warn',
  metricsIntervalMs: 1000,
  state: 'memory',
  checkpointInterval: 1000,
  checkpointTimeout: 60_000,
  tolerableCheckpointFailures: -1,
  keepCheckpoints: 3,
  fresh: false,
  heartbeatIntervalMs: 1000,
  heartbeatTimeoutMs: 10_000,
  restart: DEFAULT_RESTART_STRATEGY,
} as const;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function resolveOptions(o: RunOptions = {}): ResolvedOptions {
  const r = { ...DEFAULTS, ...stripUndefined(o), restart: restartStrategy(o.restart) } as ResolvedOptions;
  int(r.workers, 'workers', 0, 1024, 'one per core by default; 0 runs inline');
  int(r.parallelism, 'parallelism', 1, 32768);
  int(r.bufferTimeout, 'bufferTimeout', 0, 3_600_000, 'ms; 0 flushes every record');
  int(r.batchSize, 'batchSize', 1, 1 << 20);
  int(r.credits, 'credits', 1, 1024);
  int(r.metricsIntervalMs, 'metricsIntervalMs', 0, 3_600_000);
  int(r.checkpointInterval, 'checkpointInterval', 0, 86_400_000, 'ms; 0 = only at end of input and stop');
  int(r.checkpointTimeout, 'checkpointTimeout', 1, 86_400_000);
  int(r.tolerableCheckpointFailures, 'tolerableCheckpointFailures', -1, 1_000_000, '-1 = unlimited');
  int(r.keepCheckpoints, 'keepCheckpoints', 1, 1000);
  int(r.heartbeatIntervalMs, 'heartbeatIntervalMs', 0, 3_600_000);
  int(r.heartbeatTimeoutMs, 'heartbeatTimeoutMs', 1, 3_600_000);
  if (typeof r.fresh !== 'boolean') throw new ConfigError(`fresh is ${String(r.fresh)}. Fix: give true (run from scratch) or false`, { field: 'fresh' });
  if (r.fromSavepoint !== undefined) int(r.fromSavepoint, 'fromSavepoint', 1, Number.MAX_SAFE_INTEGER, 'a checkpoint id');
  if (r.workerMemoryMb !== undefined) int(r.workerMemoryMb, 'workerMemoryMb', 16, 1 << 20);
  r.workerYoungGenerationMb = youngGeneration(o.workerYoungGenerationMb);
  if (r.jobId !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(r.jobId)) {
    throw new ConfigError(`jobId ${JSON.stringify(r.jobId)} is invalid. Fix: use 1-100 characters from A-Z a-z 0-9 _ . -`, { field: 'jobId' });
  }
  if (o.http !== undefined) r.http = resolveHttpOptions(o.http);
  if (!LEVELS.includes(r.logLevel)) throw new ConfigError(`logLevel '${r.logLevel}' is not a log level. Fix: use one of ${LEVELS.join(', ')}`, { field: 'logLevel' });
  return r;
}

/** The option, else the environment's WEIR_WORKER_YOUNG_MB, else the default. */
function youngGeneration(option: number | undefined): number {
  if (option !== undefined) {
    int(option, 'workerYoungGenerationMb', 0, MAX_YOUNG_MB, '0 = V8 sizes it');
    return option;
  }
  const env = youngMbFromEnv();
  if (Number.isNaN(env)) {
    throw new ConfigError(`${YOUNG_MB_ENV} is ${JSON.stringify(process.env[YOUNG_MB_ENV])}. Fix: set it to an integer from 0 to ${MAX_YOUNG_MB} (MB of young generation per worker; 0 = V8 sizes it), or unset it`, { field: YOUNG_MB_ENV });
  }
  return env ?? DEFAULT_WORKER_YOUNG_MB;
}

function int(v: unknown, field: string, min: number, max: number, hint = ''): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${field} is ${String(v)}. Fix: give an integer from ${min} to ${max}${hint ? ` (${hint})` : ''}`, { field });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
