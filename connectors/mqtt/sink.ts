/**
 * `mqtt.sink(...)`: publishes records to MQTT with QoS 1 (mqtt.js).
 *
 * At-least-once: publishes go out as records arrive, and the sink's snapshot
 * at barrier n waits for the PUBACK of every message written before it, so
 * checkpoint n completes only once the broker holds them all. After a
 * failure the job replays from the last completed checkpoint and publishes
 * what came after it again: a consumer may see a message twice (MQTT has no
 * transactions; dedupe downstream on a field of the record if it matters).
 * mqtt.js keeps unacknowledged publishes across reconnects and resends them,
 * so a broker outage holds the checkpoint back instead of losing messages.
 * Write backpressure: at most `maxInFlight` publishes await their PUBACK.
 */
import type { MqttClient } from 'mqtt';
import type { SinkConnector, SinkContext, SinkWriter } from '../../actors/contract.js';
import { ConfigError, UserFunctionError } from '../../actors/errors.js';
import { connectMqtt, endMqtt, parseMqttUrl, type MqttConnection } from './client.js';

export interface MqttSinkOptions<T> extends MqttConnection {
  /** Topic of every message, or a function of the record. */
  topic: string | ((record: T) => string);
  /** QoS of the publishes: 1 (default, at-least-once) or 0 (at-most-once). */
  qos?: 0 | 1;
  /** Publish with the retain flag (default false). */
  retain?: boolean;
  /** Payload of a record (default: strings and bytes as they are, anything else as JSON). */
  payload?: (record: T) => string | Buffer;
  /** Client id prefix (default `weir-<job>-<operator>-out`); instance i connects as `<clientId>-<i>`. */
  clientId?: string;
  /** Publishes awaiting their PUBACK before write() waits (default 1000). */
  maxInFlight?: number;
  protocolVersion?: 4 | 5;
}

export function encodePayload(v: unknown): string | Buffer {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  return JSON.stringify(v);
}

export function mqttSink<T = unknown>(options: MqttSinkOptions<T>): SinkConnector<T> {
  parseMqttUrl(options.url, 'mqtt.sink');
  const topicOf = options.topic;
  if (typeof topicOf === 'string' ? topicOf.length === 0 || /[+#]/.test(topicOf) : typeof topicOf !== 'function') {
    throw new ConfigError(`mqtt.sink topic ${JSON.stringify(topicOf)} is invalid. Fix: a topic name without wildcards, or a function (record) => topic`, { field: 'topic' });
  }
  const qos = options.qos ?? 1;
  if (qos !== 0 && qos !== 1) throw new ConfigError(`mqtt.sink qos ${JSON.stringify(options.qos)} is not supported. Fix: 1 (at-least-once) or 0`, { field: 'qos' });
  const maxInFlight = options.maxInFlight ?? 1000;
  const toPayload = options.payload ?? encodePayload;
  return {
    role: 'sink',
    type: 'mqtt',
    guarantee: qos === 1 ? 'at-least-once' : 'none',
    async open(ctx: SinkContext): Promise<SinkWriter<T>> {
      const who = `mqtt.sink '${ctx.operator}' instance ${ctx.instance}`;
      const client: MqttClient = await connectMqtt(
        options,
        { clientId: `${options.clientId ?? `weir-${ctx.job}-${ctx.operator}-out`}-${ctx.instance}`, clean: true, protocolVersion: options.protocolVersion ?? 5, queueQoSZero: true },
        who,
        ctx.log,
      );
      const inFlight = new Set<Promise<unknown>>();
      let failure: unknown;
      const settled = async () => {
        if (failure) throw failure;
        await Promise.all(inFlight);
        if (failure) throw failure;
      };
      return {
        async write(records) {
          for (const r of records) {
            let topic: string;
            try {
              topic = typeof topicOf === 'string' ? topicOf : topicOf(r);
            } catch (e) {
              throw new UserFunctionError({ operator: ctx.operator, instance: ctx.instance, record: r }, e);
            }
            const p = client.publishAsync(topic, toPayload(r), { qos, retain: options.retain === true }).then(
              () => {
                inFlight.delete(p);
              },
              (e: unknown) => {
                inFlight.delete(p);
                failure ??= e;
              },
            );
            inFlight.add(p);
            while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
          }
          if (failure) throw failure;
        },
        flush: settled,
        snapshot: async () => {
          await settled();
          return null;
        },
        async close() {
          await endMqtt(client, true);
        },
      };
    },
  };
}
