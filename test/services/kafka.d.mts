// Types for test/services/kafka.mjs (a plain Node script, so tests in TypeScript can import it).
export declare const REPO_ROOT: string;
export declare const KAFKA_DIR: string;
export declare const KAFKA_HOST: string;
export declare const KAFKA_PORT: number;
export declare const CONTROLLER_PORT: number;
/** "127.0.0.1:9092", or the port WEIR_KAFKA_PORT names */
export declare const KAFKA_BROKERS: string;
/** This broker's files: .kafka/ (port 9092) or .kafka/broker-<port>/ */
export declare const BROKER_DIR: string;
/** Marker: the broker on this port was started by a test run, which stops it at its end. */
export declare const STARTED_BY_SUITE: string;
/** The Kafka versions a start tries when WEIR_KAFKA_VERSION is not set (newest 4.x first). */
export declare const DEFAULT_KAFKA_VERSIONS: string[];

export interface StartResult {
  /** true when this call started the broker, false when it reused a running one */
  started: boolean;
  /** pid of the broker when it was started by this script, else null */
  pid: number | null;
  brokers: string;
  /** Kafka version in .kafka/libs, when known */
  version: string | null;
  ms: number;
}

export interface ProbeResult {
  brokers: { nodeId: number; host: string; port: number }[];
  clusterId: string | null;
  controllerId: number;
  /** '4.x' when the broker no longer serves Fetch v0-v3 (KIP-896), else '3.x' */
  generation: '4.x' | '3.x' | 'unknown';
}

export declare function startKafka(): Promise<StartResult>;
export declare function stopKafka(): Promise<{ stopped: boolean; pid: number | null }>;
export declare function kafkaRunning(): Promise<boolean>;
/** The request versions the broker serves: { [apiKey]: [min, max] } (ApiVersions v0). */
export declare function brokerApiVersions(opts?: { host?: string; port?: number; timeoutMs?: number }): Promise<Record<number, [number, number]>>;
export declare function probeKafka(opts?: { host?: string; port?: number; timeoutMs?: number }): Promise<ProbeResult>;

export interface PrivateBroker {
  pid: number;
  /** "127.0.0.1:<port>" */
  brokers: string;
  port: number;
  /** port + 1 */
  controllerPort: number;
  /** absolute: data in dir/data, the broker's output in logFile */
  dir: string;
  logFile: string;
  version: string | null;
  ms: number;
}

/**
 * A second broker with its own directory, on `port` (controller port + 1), or without `port` on the
 * first pair from 19092/19093 no other live process owns. Starting again with the same port and dir keeps its data.
 */
export declare function startPrivateKafka(opts: { port?: number; dir: string; timeoutMs?: number }): Promise<PrivateBroker>;
/** SIGKILL (default: a crash) or SIGTERM (clean) a private broker (pid undefined: none); resolves when it is gone. `release` gives up the ports. */
export declare function stopPrivateKafka(pid: number | undefined, opts?: { signal?: 'SIGKILL' | 'SIGTERM'; release?: { port: number } }): Promise<void>;
