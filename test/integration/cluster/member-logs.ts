/** What the cluster tests read from a `weir run --cluster` member's stderr (info-level JSON logs). */
import type { CliRun } from '../kafka/helpers.js';

/** The tasks the member was given by its last rebalance. */
export function memberTasks(m: CliRun): string[] {
  const lines = m.stderr().split('\n').filter((l) => l.includes('weir cluster: joined group'));
  return lines.length ? (JSON.parse(lines[lines.length - 1]).tasks as string[]) : [];
}

/** The last membership, task and error lines of each member, for failure messages. */
export function membersLog(members: CliRun[]): string {
  return members
    .map((m, i) => `--- member ${i} (${m.child.exitCode ?? m.child.signalCode ?? 'running'}):\n${m.stderr().split('\n').filter((l) => /weir cluster|running"|"level":(50|60)|^weir:/.test(l) && !l.includes('concurrent operation')).slice(-16).join('\n')}`)
    .join('\n');
}
