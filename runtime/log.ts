/**
 * Structured logs (pino) to stderr, so stdout carries only records. Workers
 * write synchronously to fd 2: a crashing worker loses no log line.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
}
