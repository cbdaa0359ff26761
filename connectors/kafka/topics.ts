/** A topic must exist before a job uses it: a missing one is a clear error, or is created when asked. */
import type { Admin } from 'kafkajs';
import { ConfigError } from '../../actors/errors.js';

export interface CreateTopic {
  partitions?: number;
  replicationFactor?: number;
}

/** The topic's partition ids; creates it when `create` is given and it is missing. */
export async function topicPartitions(admin: Admin, topic: string, create: CreateTopic | undefined, who: string): Promise<number[]> {
  // `weir run --create-topics` asks every connector to create what is missing.
  if (!create && process.env.WEIR_CREATE_TOPICS === '1') create = { partitions: 1 };
  const exists = (await admin.listTopics()).includes(topic);
  if (!exists) {
    if (!create) {
      throw new ConfigError(
        `${who}: Kafka topic '${topic}' does not exist. Fix: create it (kafka-topics.sh --create --topic ${topic}, or weir produce --create-topic), or pass createTopic: { partitions } (CLI: --create-topics)`,
        { topic },
      );
    }
    // Not waitForLeaders: kafkajs then gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which a
    // KRaft broker answers until its metadata has caught up with the controller's (seen on Kafka 4.4
    // and 3.9.1 on a freshly started broker); the loop below waits for that instead.
    await admin.createTopics({
      waitForLeaders: false,
      topics: [{ topic, numPartitions: create.partitions ?? 1, replicationFactor: create.replicationFactor ?? 1 }],
    });
  }
  // Fresh topics may take a moment to show all partitions with leaders.
  for (let attempt = 0; ; attempt++) {
    const parts = await partitionsWithLeaders(admin, topic);
    if (parts) return parts;
    if (attempt > 50) throw new ConfigError(`${who}: Kafka topic '${topic}' has no partition leaders after 10 s`, { topic });
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What a broker answers while a new topic's metadata propagates. */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** The topic's sorted partition ids when all have a leader; undefined while its metadata propagates. */
async function partitionsWithLeaders(admin: Admin, topic: string): Promise<number[] | undefined> {
  try {
    const parts = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [];
    return parts.length > 0 && parts.every((p) => p.leader >= 0) ? parts.map((p) => p.partitionId).sort((a, b) => a - b) : undefined;
  } catch (e) {
    if (NOT_YET.has((e as { type?: string }).type ?? '')) return undefined;
    throw e;
  }
}
