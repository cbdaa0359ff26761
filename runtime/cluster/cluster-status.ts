/**
 * `weir cluster status`: the members of a cluster job's group, their tasks
 * and each task's lag, read from the group itself (no member is asked):
 * the assignment the leader wrote, the offsets the tasks' transactions
 * committed, and the input topics' end offsets.
 *
 * Lag is end minus committed, with `admin` asking read_committed ends (the
 * last stable offset: records of open transactions are not readable yet);
 * tasks commit positions past the markers and aborted records they fetched,
 * so a caught-up task shows 0, on transactional (repartition) inputs too.
 */
import type { Admin } from 'kafkajs';
import { decodeMemberMeta, type AssignmentData } from './group-assignor.js';

export interface TaskRow {
  task: string;
  /** topic:partition -> [committed, end] */
  inputs: { topic: string; partition: number; committed: number | undefined; end: number }[];
  lag: number;
}

export interface MemberRow {
  member: string;
  host: string;
  fingerprint: string;
  tasks: TaskRow[];
}

export interface ClusterStatus {
  group: string;
  state: string;
  members: MemberRow[];
}

export async function fetchClusterStatus(admin: Admin, group: string): Promise<ClusterStatus> {
  const { AssignerProtocol } = await import('kafkajs');
  const g = (await admin.describeGroups([group])).groups[0];
  const members: MemberRow[] = [];
  const ends = new Map<string, Map<number, number>>();
  const committed = new Map<string, Map<number, number>>();
  const topics = new Set<string>();
  const decoded = g.members.map((m) => {
    const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment as Buffer);
    for (const t of Object.keys(a?.assignment ?? {})) topics.add(t);
    let data: AssignmentData = { tasks: [], inputs: {} };
    try {
      if (a?.userData?.length) data = JSON.parse(a.userData.toString()) as AssignmentData;
    } catch {
      // not a weir member: shown without tasks
    }
    return { m, assignment: (a?.assignment ?? {}) as Record<string, number[]>, data, meta: decodeMemberMeta(AssignerProtocol, m.memberMetadata as Buffer) };
  });
  if (topics.size > 0) {
    for (const t of topics) ends.set(t, new Map((await admin.fetchTopicOffsets(t)).map((o) => [o.partition, Number(o.high)])));
    for (const t of await admin.fetchOffsets({ groupId: group, topics: [...topics] })) {
      committed.set(t.topic, new Map(t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, Number(p.offset)])));
    }
  }
  for (const { m, assignment, data, meta } of decoded) {
    const tasks: TaskRow[] = data.tasks.map((task) => {
      const [s, p] = task.split('.').map(Number);
      const inputs = (data.inputs[s] ?? []).filter((topic) => assignment[topic]?.includes(p)).map((topic) => ({ topic, partition: p, committed: committed.get(topic)?.get(p), end: ends.get(topic)?.get(p) ?? 0 }));
      return { task, inputs, lag: inputs.reduce((n, i) => n + Math.max(0, i.end - (i.committed ?? 0)), 0) };
    });
    members.push({ member: m.memberId, host: meta?.name ?? m.clientHost, fingerprint: meta?.fingerprint ?? '?', tasks });
  }
  return { group, state: g.state, members };
}

/** The status as lines for a terminal. Pure. */
export function formatClusterStatus(s: ClusterStatus): string {
  const lines = [`group ${s.group}: ${s.state}, ${s.members.length} member(s), ${s.members.reduce((n, m) => n + m.tasks.length, 0)} task(s)`];
  for (const m of s.members) {
    lines.push(`  member ${m.host} (${m.member}), topology ${m.fingerprint}: ${m.tasks.length} task(s)`);
    for (const t of m.tasks) {
      const ins = t.inputs.map((i) => `${i.topic}[${i.partition}] ${i.committed ?? '-'}/${i.end}`).join(', ');
      lines.push(`    task ${t.task}  lag ${t.lag}  ${ins}`);
    }
  }
  return lines.join('\n');
}
