/**
 * weir's kafkajs PartitionAssigner for the job's consumer group: members say
 * (in their metadata) which topology they run and which tasks they own; the
 * leader assigns tasks with assignTasks (sticky-assignment.ts) and hands each
 * member the input partitions of its tasks (task s.p -> partition p of every
 * input topic of sub-topology s), so `kafka-consumer-groups.sh --describe`
 * shows who runs what, and the group's committed offsets show the lag.
 */
import type { AssignerProtocol as Protocol, GroupMember, PartitionAssigner } from 'kafkajs';
import type { GraphShape } from '../dsl/fingerprint.js';
import { assignTasks, parseTaskId, taskId, type MemberClaim } from './sticky-assignment.js';
import type { ClusterPlan } from './subtopologies.js';

export const PROTOCOL = 'weir-tasks';

/** What each member puts in its group metadata. */
export interface MemberMeta {
  fingerprint: string;
  shape: GraphShape;
  owned: string[];
  /** host:pid, for status and errors. */
  name: string;
}

export function decodeMemberMeta(AssignerProtocol: typeof Protocol, metadata: Buffer): MemberMeta | undefined {
  try {
    const m = AssignerProtocol.MemberMetadata.decode(metadata);
    return m?.userData?.length ? (JSON.parse(m.userData.toString()) as MemberMeta) : undefined;
  } catch {
    return undefined;
  }
}

/** What the leader adds to each member's assignment (read by `weir cluster status`). */
export interface AssignmentData {
  tasks: string[];
  /** Sub-topology id -> its input topics. */
  inputs: Record<number, string[]>;
}

const inputsOf = (plan: ClusterPlan): Record<number, string[]> => Object.fromEntries(plan.subtopologies.map((s) => [s.id, s.inputs.map((i) => i.topic)]));

/** Every task of the plan, given each sub-topology's task count. */
export function allTasks(tasks: ReadonlyMap<number, number>): string[] {
  const out: string[] = [];
  for (const [s, n] of tasks) for (let p = 0; p < n; p++) out.push(taskId(s, p));
  return out;
}

/** The tasks a member was given, read back from its topic -> partitions assignment. */
export function tasksOf(plan: ClusterPlan, assignment: Record<string, number[]>): string[] {
  const out: string[] = [];
  for (const s of plan.subtopologies) for (const p of assignment[s.inputs[0].topic] ?? []) out.push(taskId(s.id, p));
  return out.sort();
}

export function taskAssigner(plan: ClusterPlan, tasks: ReadonlyMap<number, number>, me: () => MemberMeta, AssignerProtocol: typeof Protocol): PartitionAssigner {
  return () => ({
    name: PROTOCOL,
    version: 1,
    async assign({ members }: { members: GroupMember[]; topics: string[] }) {
      const claims: MemberClaim[] = members.map((m) => {
        const meta = decodeMemberMeta(AssignerProtocol, m.memberMetadata);
        return { memberId: m.memberId, fingerprint: meta?.fingerprint ?? '?', owned: meta?.owned ?? [] };
      });
      const result = assignTasks(claims, allTasks(tasks));
      return members.map((m) => {
        const assignment: Record<string, number[]> = {};
        const mine = result.tasks.get(m.memberId) ?? [];
        for (const t of mine) {
          const { subtopology, partition } = parseTaskId(t);
          for (const i of plan.subtopologies[subtopology].inputs) (assignment[i.topic] ??= []).push(partition);
        }
        return { memberId: m.memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.from(JSON.stringify({ tasks: mine, inputs: inputsOf(plan) } satisfies AssignmentData)) }) };
      });
    },
    protocol({ topics }: { topics: string[] }) {
      return { name: PROTOCOL, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify(me())) }) };
    },
  });
}
