/**
 * The supervision tree, as data: the job supervisor -> one supervisor per
 * failover region (a connected part of the actor graph, which restarts as a
 * whole) -> the region's actors. Each supervisor carries its restart
 * strategy. Built by the runtime from its execution plan; the supervisor
 * core (supervisor.ts) only reads it.
 */
import type { RestartStrategy } from './restart-strategy.js';

export interface ActorNode {
  id: number;
  operator: string;
  instance: number;
  /** The worker thread hosting it (a crashed worker takes every region it hosts along). */
  worker: number;
}

export interface RegionSupervisor {
  region: number;
  strategy: RestartStrategy;
  actors: ActorNode[];
}

export interface JobSupervisor {
  /** The strategy regions inherit; past a region's strategy, failures escalate here and the job stops. */
  strategy: RestartStrategy;
  regions: RegionSupervisor[];
}

/** Build the tree from placed actors (`region` = index of their failover region). */
export function supervisionTree(actors: readonly (ActorNode & { region: number })[], regions: number, strategy: RestartStrategy): JobSupervisor {
  const tree: JobSupervisor = { strategy, regions: Array.from({ length: regions }, (_, region) => ({ region, strategy, actors: [] })) };
  for (const { region, ...a } of actors) tree.regions[region].actors.push(a);
  return tree;
}

export function regionOfActor(tree: JobSupervisor, actor: number): number {
  for (const r of tree.regions) if (r.actors.some((a) => a.id === actor)) return r.region;
  throw new Error(`bug: actor ${actor} is in no failover region`);
}

/** Every region with an actor on `worker`. */
export function regionsOnWorker(tree: JobSupervisor, worker: number): number[] {
  return tree.regions.filter((r) => r.actors.some((a) => a.worker === worker)).map((r) => r.region);
}

export function actorsOf(tree: JobSupervisor, regions: Iterable<number>): number[] {
  const ids: number[] = [];
  for (const r of regions) for (const a of tree.regions[r].actors) ids.push(a.id);
  return ids.sort((a, b) => a - b);
}
