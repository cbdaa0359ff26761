/**
 * The topics of a cluster job, checked (and the internal ones created)
 * before a member joins the group: every member runs this, the first one
 * creates; a topic that exists with the wrong shape is an error, never
 * silently reused, since partitions are tasks and key ranges.
 *
 * - source topics must exist; the input topics of one sub-topology must have
 *   equal partition counts (co-partitioned: task s.p reads partition p of each);
 * - repartition topics: `repartitionPartitions` partitions, default the task
 *   count of the sub-topology writing them (as Kafka Streams does);
 *   cleanup.policy=delete; members purge consumed records (repartition-purge.ts);
 * - changelog topics: one partition per task, cleanup.policy=compact.
 */
import type { Admin } from 'kafkajs';
import { ConfigError } from '../../actors/errors.js';
import { topicPartitions } from '../../connectors/kafka/topics.js';
import type { ClusterPlan } from './subtopologies.js';

export interface TopicLayout {
  /** Sub-topology id -> task count. */
  tasks: Map<number, number>;
  repartitionPartitions: Map<string, number>;
}

const WHO = 'weir cluster';

export async function prepareTopics(admin: Admin, plan: ClusterPlan, o: { repartitionPartitions?: number; maxParallelism: number }): Promise<TopicLayout> {
  const existing = new Set(await admin.listTopics());
  const counts = new Map<string, number>();
  const countOf = async (topic: string): Promise<number> => {
    if (!counts.has(topic)) counts.set(topic, (await topicPartitions(admin, topic, undefined, WHO)).length);
    return counts.get(topic)!;
  };
  const create = async (topic: string, partitions: number, policy: 'delete' | 'compact', role: string, fixFor: (actual: number) => string) => {
    if (existing.has(topic)) {
      const n = await countOf(topic);
      if (n !== partitions) {
        throw new ConfigError(`${WHO}: ${role} topic '${topic}' has ${n} partition(s), the job needs ${partitions}. Fix: ${fixFor(n)}`, { topic, partitions: n, expected: partitions });
      }
      return;
    }
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: policy }] }] });
    // Another member may have created it a moment ago: the broker lists it once its metadata caught up.
    for (let i = 0; !(await admin.listTopics()).includes(topic); i++) {
      if (i > 50) throw new ConfigError(`${WHO}: ${role} topic '${topic}' was created but is not listed after 10 s. Fix: check the broker's health`, { topic });
      await new Promise((r) => setTimeout(r, 200));
    }
    existing.add(topic);
    const n = await countOf(topic);
    if (n !== partitions) throw new ConfigError(`${WHO}: ${role} topic '${topic}' has ${n} partition(s), the job needs ${partitions}. Fix: ${fixFor(n)}`, { topic, partitions: n, expected: partitions });
  };
  if (o.repartitionPartitions !== undefined && (!Number.isInteger(o.repartitionPartitions) || o.repartitionPartitions < 1 || o.repartitionPartitions > o.maxParallelism)) {
    throw new ConfigError(`repartitionPartitions ${o.repartitionPartitions} is invalid: each partition owns a range of the ${o.maxParallelism} key groups. Fix: an integer from 1 to ${o.maxParallelism} (maxParallelism)`, { field: 'repartitionPartitions' });
  }
  const layout: TopicLayout = { tasks: new Map(), repartitionPartitions: new Map() };
  for (const s of plan.subtopologies) {
    const sizes: [string, number][] = [];
    for (const i of s.inputs) {
      if (i.kind === 'source') {
        if (!existing.has(i.topic)) {
          throw new ConfigError(`${WHO}: input topic '${i.topic}' of source '${i.node}' does not exist. Fix: create it with as many partitions as the tasks you want (kafka-topics.sh --create --topic ${i.topic} --partitions 6, or weir produce --create-topic 6)`, { topic: i.topic });
        }
        sizes.push([i.topic, await countOf(i.topic)]);
      } else {
        const n = layout.repartitionPartitions.get(i.topic);
        if (n === undefined) throw new Error(`bug: repartition topic '${i.topic}' read before its writer was planned`);
        sizes.push([i.topic, n]);
      }
    }
    const n = sizes[0][1];
    if (sizes.some(([, k]) => k !== n)) {
      throw new ConfigError(
        `${WHO}: the inputs of sub-topology ${s.id} (${s.nodes.join(', ')}) are not co-partitioned: ${sizes.map(([t, k]) => `'${t}' has ${k}`).join(', ')} partition(s); task ${s.id}.p reads partition p of each. Fix: give these topics the same partition count`,
        { subtopology: s.id },
      );
    }
    if (n > o.maxParallelism) {
      throw new ConfigError(`${WHO}: sub-topology ${s.id} would have ${n} tasks, more than maxParallelism ${o.maxParallelism} key groups. Fix: topology(name, build, { maxParallelism: ${n} }) or fewer partitions`, { subtopology: s.id });
    }
    layout.tasks.set(s.id, n);
    for (const r of s.repartitions) {
      const k = o.repartitionPartitions ?? n;
      layout.repartitionPartitions.set(r.topic, k);
      await create(r.topic, k, 'delete', 'repartition', (actual) => `delete it (kafka-topics.sh --delete --topic ${r.topic}) when no member runs, or set repartitionPartitions: ${actual} to match it`);
    }
    if (s.stateful) await create(s.changelog, n, 'compact', 'changelog', (actual) => `its partitions are the tasks of sub-topology ${s.id}: reset the job (delete the group, the changelog and repartition topics) or give the input topics ${actual} partition(s)`);
  }
  return layout;
}
