/** What a peer thread reports, the same shape as the weir count sink's CountReport (minus instance). */
export interface PeerReport {
  count: number;
  chars: number;
  /** Wall-clock ms (performance.timeOrigin + performance.now()) of the first and last record; -1 if none. */
  firstAt: number;
  lastAt: number;
}

/** One timed run of one side of a benchmark. */
export interface Sample {
  /** Wall ms from the start of the run (spawn / run()) to its end. */
  wallMs: number;
  /** Wall ms from the start to the first record reaching the sink. */
  firstRecordMs: number;
  /** Wall ms from the first to the last record at the sink (steady-state part). */
  steadyMs: number;
  count: number;
  chars: number;
}
