/**
 * Sticky task assignment, computed by the group leader. Pure.
 *
 * Invariants:
 * - every task goes to exactly one member whose topology fingerprint is the
 *   cluster's (the one most members have; ties go to the fingerprint of the
 *   members that own the most tasks, then the smaller fingerprint);
 * - a member keeps the tasks it owned, up to its fair share (floor(T / M),
 *   or one more for T mod M members):
 *   a member that leaves or dies loses only its tasks, and survivors keep
 *   theirs (kafkajs 2.2.4 rebalances eagerly, but weir's tasks run on their
 *   own consumers, so a task that stays put keeps running through it);
 * - the rest go, in task order, to the member with the fewest tasks (ties:
 *   member id order), so a new member takes a share;
 * - members with another fingerprint get no task and the reason.
 */

export interface MemberClaim {
  memberId: string;
  fingerprint: string;
  /** Tasks this member runs now (as it said when joining). */
  owned: string[];
}

export interface TaskAssignment {
  tasks: Map<string, string[]>;
  /** The fingerprint the cluster runs. */
  fingerprint: string;
  /** Members refused, with the fingerprint they have. */
  refused: Map<string, string>;
}

export function clusterFingerprint(members: MemberClaim[]): string {
  const votes = new Map<string, { members: number; owned: number }>();
  for (const m of members) {
    const v = votes.get(m.fingerprint) ?? { members: 0, owned: 0 };
    v.members++;
    v.owned += m.owned.length;
    votes.set(m.fingerprint, v);
  }
  return [...votes].sort(([fa, a], [fb, b]) => b.members - a.members || b.owned - a.owned || (fa < fb ? -1 : 1))[0]?.[0] ?? '';
}

export function assignTasks(members: MemberClaim[], tasks: string[]): TaskAssignment {
  const fingerprint = clusterFingerprint(members);
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const eligible = sorted.filter((m) => m.fingerprint === fingerprint);
  const refused = new Map(sorted.filter((m) => m.fingerprint !== fingerprint).map((m) => [m.memberId, m.fingerprint]));
  const out = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  if (eligible.length === 0) return { tasks: out, fingerprint, refused };
  const exists = new Set(tasks);
  const taken = new Set<string>();
  // Fair shares: floor(T / M) each, and T mod M members one more. Owners keep theirs up to floor first,
  // then the members that owned more keep one extra while extras last.
  const floor = Math.floor(tasks.length / eligible.length);
  let extra = tasks.length % eligible.length;
  const keep = (m: MemberClaim, upTo: number) => {
    const mine = out.get(m.memberId)!;
    for (const t of [...m.owned].sort()) {
      if (mine.length >= upTo) return;
      if (!exists.has(t) || taken.has(t)) continue;
      taken.add(t);
      mine.push(t);
    }
  };
  for (const m of eligible) keep(m, floor);
  for (const m of eligible) {
    if (extra === 0) break;
    const before = out.get(m.memberId)!.length;
    keep(m, floor + 1);
    if (out.get(m.memberId)!.length > before) extra--;
  }
  for (const t of tasks) {
    if (taken.has(t)) continue;
    let best = eligible[0];
    for (const m of eligible) if (out.get(m.memberId)!.length < out.get(best.memberId)!.length) best = m;
    out.get(best.memberId)!.push(t);
    taken.add(t);
  }
  return { tasks: out, fingerprint, refused };
}

/** Task id of sub-topology `s`, partition `p`: "s.p" (as Kafka Streams' TaskId "0_3"). */
export const taskId = (s: number, p: number): string => `${s}.${p}`;

export function parseTaskId(id: string): { subtopology: number; partition: number } {
  const [s, p] = id.split('.').map(Number);
  return { subtopology: s, partition: p };
}
