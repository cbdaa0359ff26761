/**
 * The watermark of an operator with several input channels (Flink's
 * StatusWatermarkValve), as a pure function: the minimum over the inputs
 * that are not idle. A finished input counts with its last watermark: an
 * input that ended sent the end of event time (+Infinity) first, one that
 * was stopped for a savepoint did not, and must not fire windows that resume
 * after the restore. When every unfinished input is idle the operator is
 * idle itself. The caller keeps the result
 * monotonic: an output watermark never goes below what was already emitted
 * (nor below the watermark restored from a checkpoint).
 */
export interface InputWatermark {
  ts: number;
  idle: boolean;
  finished: boolean;
}

export interface ValveOutput {
  /** Minimum over inputs that are not idle; undefined when every input is idle. */
  ts: number | undefined;
  /** Every unfinished input is idle (and at least one is unfinished). */
  idle: boolean;
}

export function combineWatermarks(inputs: readonly InputWatermark[]): ValveOutput {
  let min: number | undefined;
  let unfinished = 0;
  let idle = 0;
  for (const i of inputs) {
    if (i.finished) {
      if (min === undefined || i.ts < min) min = i.ts;
      continue;
    }
    unfinished++;
    if (i.idle) {
      idle++;
      continue;
    }
    if (min === undefined || i.ts < min) min = i.ts;
  }
  return { ts: min, idle: unfinished > 0 && idle === unfinished };
}
