/** The I/O shell of `weir cluster status`: connects, reads the group, formats. */
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import { connectOrExplain, createKafka } from '../../connectors/kafka/client.js';
import { parseClusterUrl } from './cluster-url.js';
import { fetchClusterStatus, formatClusterStatus } from './cluster-status.js';
import { readCommittedAdmin } from './stable-offsets.js';

export async function clusterStatus(url: string, job: string, json: boolean, log: Logger): Promise<string> {
  const address = parseClusterUrl(url);
  const group = `${address.prefix}${job}`;
  const conn = { brokers: address.brokers, connectTimeoutMs: 10_000 };
  const kafka = await createKafka('weir-cluster-status', conn, log, 'weir cluster status', { readCommitted: false });
  const admin = readCommittedAdmin(kafka); // end offsets = last stable offsets
  await connectOrExplain(() => admin.connect(), conn, 'weir cluster status');
  try {
    const s = await fetchClusterStatus(admin, group);
    if (s.state === 'Dead' || (s.members.length === 0 && s.state === 'Empty')) {
      if (!json) return `group ${group}: ${s.state}, no member runs job '${job}' here (check --job and the --cluster prefix)`;
    }
    return json ? JSON.stringify(s, null, 2) : formatClusterStatus(s);
  } catch (e) {
    if (e instanceof WeirError) throw e;
    throw new WeirError('CLUSTER_STATUS_FAILED', `weir cluster status: cannot read group '${group}' (${(e as Error).message})`, { cause: e });
  } finally {
    await admin.disconnect();
  }
}
