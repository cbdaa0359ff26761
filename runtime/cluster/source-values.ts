/** A Kafka record as a kafka.source with these options emits it ('string' | 'json' | 'buffer', optionally in an envelope). */
import type { KafkaSourceEndpoint } from '../../connectors/kafka/source-sink-endpoints.js';
import type { WireRow } from './task-batch.js';

export function decodeSourceValue(ep: KafkaSourceEndpoint, topic: string, partition: number, row: WireRow): unknown {
  const [raw, key, timestamp, offset, headers] = row;
  const value = ep.format === 'buffer' ? raw : ep.format === 'json' ? (raw === null ? null : JSON.parse(bufferOf(raw).toString('utf8'))) : raw === null ? null : bufferOf(raw).toString('utf8');
  if (!ep.envelope) return value;
  return { key: key === null ? null : bufferOf(key).toString('utf8'), value, headers: headers ?? {}, timestamp, topic, partition, offset };
}

/** msgpack hands binary back as a Uint8Array view; Kafka clients and toString('utf8') want a Buffer over the same bytes. */
export function bufferOf(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** kafkajs headers (Buffer, string or arrays of them) as the strings a kafka.source envelope carries. */
export function headerStrings(h: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!h) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
    any = true;
  }
  return any ? out : undefined;
}
