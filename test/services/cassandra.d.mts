// Types for test/services/cassandra.mjs (a plain Node script, so tests in TypeScript can import it).
export declare const REPO_ROOT: string;
export declare const CASSANDRA_DIR: string;
export declare const CASSANDRA_HOST: string;
export declare const CASSANDRA_PORT: number;
export declare const STORAGE_PORT: number;
/** "127.0.0.1:9042" */
export declare const CASSANDRA_CONTACT_POINT: string;
/** "datacenter1" */
export declare const CASSANDRA_DC: string;

export interface StartResult {
  /** true when this call started the node, false when it reused a running one */
  started: boolean;
  pid: number | null;
  contactPoint: string;
  version: string | null;
  /** JVM start to first CQL answer (started), or time to find a running one */
  ms: number;
  rssMb: number | null;
}

export declare function startCassandra(): Promise<StartResult>;
/** Stop the node this script started (SIGTERM drains it; SIGKILL is a crash). */
export declare function stopCassandra(opts?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<{ stopped: boolean; pid: number | null }>;
export declare function cassandraRunning(): Promise<boolean>;
export declare function probeCassandra(opts?: { host?: string; port?: number; timeoutMs?: number }): Promise<{ version: string }>;

export interface PrivateNode {
  pid: number;
  /** "127.0.0.1:<port>" */
  contactPoint: string;
  port: number;
  dir: string;
  ms: number;
}
/** A second node with its own directory and ports (default CQL 19042, storage 17000); starting again with the same dir keeps its data. */
export declare function startPrivateCassandra(opts: { dir: string; port?: number; storagePort?: number; timeoutMs?: number }): Promise<PrivateNode>;
/** SIGTERM (default, drains) or SIGKILL (a crash) a private node; resolves when it is gone. */
export declare function stopPrivateCassandra(pid: number | undefined, opts?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
