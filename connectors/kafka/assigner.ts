/**
 * Deterministic partition assignment for weir's Kafka source (kafkajs has no
 * manual assign(), kafkajs#373): every source instance joins the job's group
 * with its instance index in the member metadata, and partition p goes to
 * the member whose instance is p mod parallelism. An instance always gets
 * the same partitions, so checkpointed offsets stay meaningful across
 * rebalances; partitions of a member not (yet) in the group stay unassigned
 * rather than moving to the wrong instance.
 */
import type { AssignerProtocol as Protocol, PartitionAssigner } from 'kafkajs';

export interface MemberInfo {
  instance: number;
  parallelism: number;
}

/** Pure: member id -> topic -> partitions. */
export function assignPartitions(
  members: { memberId: string; info: MemberInfo | undefined }[],
  partitionsByTopic: Record<string, number[]>,
): Map<string, Record<string, number[]>> {
  const out = new Map<string, Record<string, number[]>>();
  for (const m of members) out.set(m.memberId, {});
  for (const [topic, partitions] of Object.entries(partitionsByTopic)) {
    for (const p of partitions) {
      const owner = members.find((m) => m.info && p % m.info.parallelism === m.info.instance);
      if (!owner) continue;
      const a = out.get(owner.memberId)!;
      (a[topic] ??= []).push(p);
    }
  }
  return out;
}

/** `protocol` is kafkajs' AssignerProtocol, passed in so kafkajs loads lazily. */
export function instanceAssigner(info: MemberInfo, AssignerProtocol: typeof Protocol): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'weir-instance',
    version: 1,
    async assign({ members, topics }) {
      const partitionsByTopic: Record<string, number[]> = {};
      for (const t of topics) partitionsByTopic[t] = cluster.findTopicPartitionMetadata(t).map((m) => m.partitionId);
      const decoded = members.map((m) => {
        let mi: MemberInfo | undefined;
        try {
          const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
          mi = meta?.userData?.length ? (JSON.parse(meta.userData.toString()) as MemberInfo) : undefined;
        } catch {
          mi = undefined;
        }
        return { memberId: m.memberId, info: mi };
      });
      const plan = assignPartitions(decoded, partitionsByTopic);
      return [...plan].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'weir-instance',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify(info)) }),
      };
    },
  });
}
