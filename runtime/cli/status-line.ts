/**
 * The live one-line status a job shows on a terminal: records/s per operator
 * and where backpressure is. Record lines printed by workers pass through
 * `write`, which clears the status line first and redraws it after, so the
 * two never tear each other. Not used when stderr is not a TTY.
 */
import type { JobMetrics } from '../coordinator/metrics.js';

export function formatStatus(m: JobMetrics, width = 160): string {
  const parts = m.operators.map((o) => {
    const rate = o.kind === 'sink' ? o.inRate : o.outRate;
    const bp = o.backpressure >= 0.05 ? ` bp ${Math.round(o.backpressure * 100)}%` : '';
    return `${o.operator} ${fmtRate(rate)}/s${bp}`;
  });
  const line = `weir ${(m.elapsedMs / 1000).toFixed(0)}s | ${parts.join(' > ')}`;
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

function fmtRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(1)}M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k`;
  return r.toFixed(0);
}

export class StatusLine {
  private text = '';
  constructor(
    private readonly term: NodeJS.WriteStream,
    private readonly out: NodeJS.WritableStream,
  ) {}

  update(m: JobMetrics): void {
    this.text = formatStatus(m, (this.term.columns || 160) - 1);
    this.term.write(`\r\x1b[2K${this.text}`);
  }

  /** A writable for record output that keeps the status line at the bottom. */
  readonly write = (chunk: Buffer | string): boolean => {
    if (this.text) this.term.write('\r\x1b[2K');
    const ok = this.out.write(chunk);
    if (this.text) this.term.write(this.text);
    return ok;
  };

  clear(): void {
    if (this.text) this.term.write('\r\x1b[2K');
    this.text = '';
  }
}
