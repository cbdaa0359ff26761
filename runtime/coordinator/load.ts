/**
 * The topology a job runs, and the module file its workers import: a path
 * is compiled once (esbuild) and loaded; a topology object must name its
 * module (workers rebuild it from there), and a TypeScript module is
 * compiled for them.
 */
import { WeirError } from '../../actors/errors.js';
import { isTopology, type Topology } from '../dsl/topology.js';
import { compileJob, type CompiledJob } from '../load/compile-job.js';
import { loadTopology } from '../load/load-topology.js';

export interface LoadedJob {
  topology: Topology;
  /** The module workers import (undefined when the job runs inline). */
  moduleUrl: string | undefined;
  /** A compiled copy to delete when the job ends. */
  compiled: CompiledJob | undefined;
}

export async function loadJob(job: string | URL | Topology, o: { workers: number; exportName?: string }): Promise<LoadedJob> {
  if (!isTopology(job)) {
    const compiled = await compileJob(job instanceof URL ? job.pathname : job);
    return { topology: await loadTopology(compiled.url, o.exportName), moduleUrl: compiled.url, compiled };
  }
  if (o.workers === 0) return { topology: job, moduleUrl: job.moduleUrl, compiled: undefined };
  if (!job.moduleUrl) {
    throw new WeirError('JOB_MODULE_UNKNOWN', `cannot tell which module defines topology '${job.name}', so workers cannot import it. Fix: pass the module's path to run(), or use workers: 0`);
  }
  // Workers import a file: a topology passed as an object must live in a compilable module.
  if (job.moduleUrl.match(/\.(ts|mts|cts|tsx)$/)) {
    const compiled = await compileJob(new URL(job.moduleUrl).pathname);
    return { topology: job, moduleUrl: compiled.url, compiled };
  }
  return { topology: job, moduleUrl: job.moduleUrl, compiled: undefined };
}
