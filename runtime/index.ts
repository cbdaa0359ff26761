/**
 * weir's public API. The reference job:
 *
 * ```ts
 * import { topology, generator, stdout } from 'weir';
 * export default topology('real-time-processing', (t) =>
 *   t.source('in', generator({ count: 100 }))
 *    .map((v) => `Processed: ${v}`)
 *    .sink('out', stdout()));
 * ```
 */
export { topology, Stream, KeyedStream, WindowedStream, WindowResultStream, type Topology, type TopologyBuilder, type TopologyOptions, type OperatorOptions } from './dsl/topology.js';
export { run } from './run.js';
export { runCluster, type ClusterRunOptions, type ClusterHandle } from './cluster/run-cluster.js';
export type { MemberStatus } from './cluster/member.js';
export type { TaskStats } from './cluster/task-runner.js';
export type { JobHandle, JobResult, DeadLetter, StopOptions } from './coordinator/job.js';
export type { RunOptions } from './coordinator/options.js';
export type { FaultInjector, InjectorControls } from './coordinator/fault-injector.js';
export type { WorkerInjector, InjectorHost } from './host/worker-injector.js';
export type { SupervisionStep } from './coordinator/failover.js';
export type { CompletedCheckpoint } from './coordinator/checkpointer.js';
export type { JobMetrics, OperatorMetrics, InstanceMetrics } from './coordinator/metrics.js';
export type { ExecutionPlan, ActorPlan, ChannelPlan } from './plan/plan.js';
export { generator, stdout, collect, file, kafka, type GeneratorOptions, type KafkaSourceOptions, type KafkaSinkOptions, type KafkaRecord } from '../connectors/index.js';
export { cassandra, type CassandraSinkOptions, type Consistency } from '../connectors/index.js';
export { mqtt, redis, type MqttSourceOptions, type MqttSinkOptions, type MqttMessage, type StreamSourceOptions, type StreamSinkOptions, type StreamEntry } from '../connectors/index.js';
export type {
  SourceConnector,
  SinkConnector,
  SourceReader,
  SinkWriter,
  SourceContext,
  SinkContext,
  PullResult,
  OnError,
  Operator,
  Collector,
} from '../actors/contract.js';
export type { ProcessContext, ProcessFn, ProcessHandlers, TimerContext, TimerAccess } from '../actors/operators/process.js';
export type { MachineOptions, MachineOutput, MachineEmitted, MachineTransition } from '../actors/operators/machine/machine-handlers.js';
export type { TimestampOptions } from '../actors/operators/timestamps.js';
export { tumbling, sliding, session, type Window, type WindowAssigner, type Aggregator, type WindowProcessContext, type AssignerOptions } from '../actors/windows/window-spec.js';
export type { Key } from '../actors/key-groups.js';
export { WeirError, TopologyError, UserFunctionError, EncodeError, JobLoadError, ConfigError } from '../actors/errors.js';
