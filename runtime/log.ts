/**
 * Structured logs (pino) to stderr, so stdout carries only records. Workers
 * write synchronously to fd 2: a crashing worker loses no log line.
 *
 * pino is loaded on first use (createRequire: synchronous), not at import:
 * it costs a worker thread ~25 ms to load, and most workers never log
 * (see lazyLogger).
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Logger as ActorLogger } from '../actors/contract.js';
import { redactText, redactValue } from './redact.js';

export type { Logger };

const require = createRequire(import.meta.url);
let pinoModule: typeof import('pino') | undefined;

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  const { pino } = (pinoModule ??= require('pino') as typeof import('pino'));
  return pino(
    {
      level,
      base: { ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Credentials never reach a log line: secret-named fields, user:password in URLs (runtime/redact.ts).
      formatters: { log: (o) => redactValue(o) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

// pino's levels (pino.levels.values), restated: reading them would load pino, which lazyLogger avoids.
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** A logger that creates its pino logger on the first line at or above `level`. */
export function lazyLogger(level: string, bindings: Record<string, unknown> = {}): ActorLogger {
  const min = LEVELS[level] ?? LEVELS.info;
  let real: Logger | undefined;
  const at = (n: number, method: 'debug' | 'info' | 'warn' | 'error') => (obj: object | string, msg?: string) => {
    if (n < min) return;
    real ??= createLogger(level, bindings);
    if (typeof obj === 'string') real[method](obj);
    else real[method](obj, msg);
  };
  return { debug: at(20, 'debug'), info: at(30, 'info'), warn: at(40, 'warn'), error: at(50, 'error') };
}
