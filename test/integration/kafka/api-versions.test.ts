/**
 * kafkajs 2.2.4 against the test broker's protocol (Kafka 4.x by default,
 * 3.9.x with WEIR_KAFKA_VERSION; see test/services/kafka.mjs): Kafka 4.0
 * removed old request versions (KIP-896: Produce v0-v2, Fetch v0-v3,
 * ListOffsets v0, OffsetCommit v0-v1, CreateTopics v0-v1, DeleteTopics v0,
 * ...). kafkajs takes, for each request, the highest version both it and the
 * broker implement; this checks, from the broker's real ApiVersions answer,
 * that every request weir's connectors and the test helpers send lands on a
 * version the broker still serves. Measured on 4.4.0: all do (kafkajs' newest
 * versions, e.g. Produce v7, Fetch v11, ListOffsets v3, OffsetCommit v5,
 * CreateTopics v3, are above every removed range), so no request version
 * needs raising in weir's kafkajs patches.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { brokerApiVersions, KAFKA_HOST, KAFKA_PORT } from '../../services/kafka.mjs';

const require = createRequire(import.meta.url);
const { requests } = require('kafkajs/src/protocol/requests/index.js') as { requests: Record<string, { versions: string[] }> };
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as Record<string, number>;

/** What weir sends through kafkajs: sources (consumer, admin), exactly-once sinks (transactions), weir produce, the test helpers (admin). */
const USED = [
  'ApiVersions', 'Metadata', 'GroupCoordinator', 'Produce', 'Fetch', 'ListOffsets',
  'JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'OffsetFetch', 'OffsetCommit',
  'InitProducerId', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'TxnOffsetCommit',
  'CreateTopics', 'DeleteTopics', 'DescribeGroups', 'ListGroups', 'DeleteGroups',
];

describe(`kafkajs request versions on the test broker (${KAFKA_HOST}:${KAFKA_PORT})`, () => {
  it('every request weir sends negotiates to a version the broker serves', async () => {
    const broker = await brokerApiVersions({ port: KAFKA_PORT });
    const rows = USED.map((name) => {
      const ours = requests[name].versions.map(Number);
      const range = broker[apiKeys[name]];
      const chosen = range ? Math.min(Math.max(...ours), range[1]) : undefined;
      return { name, kafkajs: `${Math.min(...ours)}..${Math.max(...ours)}`, broker: range ? `${range[0]}..${range[1]}` : 'none', chosen, ok: range !== undefined && chosen! >= range[0] && ours.includes(chosen!) };
    });
    console.log(rows.map((r) => `${r.name.padEnd(20)} kafkajs ${r.kafkajs.padEnd(6)} broker ${r.broker.padEnd(6)} -> v${r.chosen}`).join('\n'));
    expect(rows.filter((r) => !r.ok)).toEqual([]);
    expect(rows).toHaveLength(USED.length);
  });
});
