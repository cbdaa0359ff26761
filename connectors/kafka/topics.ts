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
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: create.partitions ?? 1, replicationFactor: create.replicationFactor ?? 1 }],
    });
  }
  // Fresh topics may take a moment to show all partitions with leaders.
  for (let attempt = 0; ; attempt++) {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const parts = meta.topics[0]?.partitions ?? [];
    if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return parts.map((p) => p.partitionId).sort((a, b) => a - b);
    if (attempt > 50) throw new ConfigError(`${who}: Kafka topic '${topic}' has no partition leaders after 10 s`, { topic });
    await new Promise((r) => setTimeout(r, 200));
  }
}
