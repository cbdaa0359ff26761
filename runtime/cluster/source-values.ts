/** A Kafka record as a kafka.source with these options emits it ('string' | 'json' | 'buffer', optionally in an envelope). */
import type { KafkaMessage } from 'kafkajs';
import type { KafkaSourceEndpoint } from '../../connectors/kafka/source-sink-endpoints.js';

export function decodeSourceValue(ep: KafkaSourceEndpoint, topic: string, partition: number, m: KafkaMessage): unknown {
  const raw = m.value;
  const value = ep.format === 'buffer' ? raw : ep.format === 'json' ? (raw === null ? null : JSON.parse(raw.toString('utf8'))) : (raw?.toString('utf8') ?? null);
  if (!ep.envelope) return value;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  return { key: m.key?.toString('utf8') ?? null, value, headers, timestamp: Number(m.timestamp), topic, partition, offset: Number(m.offset) };
}
