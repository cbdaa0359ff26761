/**
 * One error root for weir, as kafkajs does: every error weir raises is a
 * `WeirError` with a stable `code`, a `retriable` flag and structured context.
 * Code branches on `code`/class, never on message text.
 */
export interface ErrorContext {
  /** Operator name (the user's name or the generated stable id). */
  operator?: string;
  /** Instance index of the operator (0-based). */
  instance?: number;
  /** The record being processed, when there was one. */
  record?: unknown;
  /**
   * A connector that already retried for its own budget (e.g. a Kafka
   * connector's connectTimeoutMs) and gave up: when its open() fails so
   * during a region restart, the supervisor stops the job at once instead of
   * restarting the region again (which would multiply the budget).
   */
  budgetExhausted?: boolean;
  [key: string]: unknown;
}

export class WeirError extends Error {
  override name = 'WeirError';
  readonly code: string;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: string, message: string, opts: { retriable?: boolean; context?: ErrorContext; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.context = opts.context ?? {};
  }
}

/** The topology is malformed; raised while building or planning. */
export class TopologyError extends WeirError {
  override name = 'TopologyError';
  constructor(message: string, context: ErrorContext = {}) {
    super('TOPOLOGY_INVALID', message, { context });
  }
}

/** A user function threw while processing a record. */
export class UserFunctionError extends WeirError {
  override name = 'UserFunctionError';
  constructor(context: Required<Pick<ErrorContext, 'operator' | 'instance'>> & ErrorContext, cause: unknown) {
    super(
      'USER_FUNCTION_FAILED',
      `operator '${context.operator}' (instance ${context.instance}) threw on record ${preview(context.record)}: ${causeMessage(cause)}`,
      { context, cause },
    );
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n  caused by ${cause.stack}`;
  }
}

/** A record could not be encoded for the wire (msgpack). */
export class EncodeError extends WeirError {
  override name = 'EncodeError';
  constructor(context: ErrorContext & { valueType: string }, cause?: unknown) {
    super(
      'RECORD_UNENCODABLE',
      `operator '${context.operator}' (instance ${context.instance}) emitted a value of type ${context.valueType} that msgpack cannot encode` +
        ` (records crossing workers must be msgpack data: strings, numbers, booleans, null, arrays, plain objects, Date, Uint8Array, Set).` +
        ` Fix: emit plain data instead${cause ? `; ${causeMessage(cause)}` : ''}`,
      { context, cause },
    );
  }
}

/** The job module could not be loaded or holds no topology. */
export class JobLoadError extends WeirError {
  override name = 'JobLoadError';
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('JOB_LOAD_FAILED', message, { context, cause });
  }
}

/** Bad options or arguments given by the user. */
export class ConfigError extends WeirError {
  override name = 'ConfigError';
  constructor(message: string, context: ErrorContext = {}) {
    super('CONFIG_INVALID', message, { context });
  }
}

export function causeMessage(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** A short, safe rendering of a record for error messages. */
export function preview(value: unknown, max = 200): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
