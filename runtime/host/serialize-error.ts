/** Errors cross threads as plain data and are rebuilt as WeirErrors on the other side. */
import { WeirError, preview } from '../../actors/errors.js';
import type { SerializedError } from './protocol.js';

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const context: Record<string, unknown> = {};
    const ctx = (e as WeirError).context;
    if (ctx && typeof ctx === 'object') {
      for (const [k, v] of Object.entries(ctx)) context[k] = k === 'record' ? preview(v) : safe(v);
    }
    return { name: e.name, message: e.message, stack: e.stack, code: (e as WeirError).code, context };
  }
  return { name: 'Error', message: String(e) };
}

function safe(v: unknown): unknown {
  if (v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v)) return v;
  return preview(v);
}

export function deserializeError(s: SerializedError, extra: Record<string, unknown> = {}): WeirError {
  const e = new WeirError(s.code ?? 'INTERNAL', s.message, { context: { ...(s.context ?? {}), ...extra } });
  e.name = s.name;
  if (s.stack) e.stack = s.stack;
  return e;
}
