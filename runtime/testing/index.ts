/**
 * `weir/testing`: deterministic simulation and property-based fault
 * injection for your own topologies.
 *
 * @example
 * import fc from 'fast-check';
 * import { checkExactlyOnce } from 'weir/testing';
 * await checkExactlyOnce(myTopology, fc.array(fc.string()), { workers: 2, numRuns: 200 });
 */
export { runInline, resolveTopology, type InlineRunOptions, type InlineResult, type TopologySource } from './run-inline.js';
export { faultSchedule, validateFaults, FAULT_KINDS, SIMULATION_ONLY, type Fault, type FaultKind, type FaultScheduleOptions } from './faults.js';
export { checkExactlyOnce, checkAtLeastOnce, checkEquivalent, multisetDiff, scaledSimulation, type Inputs, type PropertyOptions } from './properties.js';
export { faultDraws, placeFaults, checkWithinRun, type FaultDraw, type RunShape } from './placement.js';
export type { RunTimeline } from './run-probe.js';
export type { CoverageSummary } from './coverage.js';
export { fromArray, txSink, type TxSinkOptions, type TxSinkStore } from './sim-connectors.js';
export { runThreads, type ThreadRunOptions, type ThreadRunResult } from './run-threads.js';
export { threadInjector } from './thread-injector.js';
