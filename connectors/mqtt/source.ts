/**
 * `mqtt.source(...)`: QoS 1 MQTT messages into a job, exactly-once into its
 * state (mqtt.js, MQTT 5 by default).
 *
 * - Persistent session: clean start off and a session that never expires,
 *   client id `<clientId>-<instance>`, so what is published while the job is
 *   down waits at the broker (up to the broker's queue limit: Mosquitto's
 *   max_queued_messages, default 1000, drops the rest; raise it).
 * - Late acknowledgement: a message is PUBACKed only once the checkpoint that
 *   covers it completed. mqtt.js sends a PUBACK when its `handleMessage` calls
 *   back without an error, and handles one packet at a time until then, so
 *   the source calls back with a marker error at once (no PUBACK, the next
 *   packet flows) and sends the PUBACK itself later (see ack-ledger.ts for how
 *   redeliveries are told from new messages).
 * - In-flight window: the broker sends at most Receive Maximum (MQTT 5) or
 *   max_inflight_messages (MQTT 3.1.1, Mosquitto default 20) unacknowledged
 *   messages, and acks come once per checkpoint, so one instance reads at most
 *   that many messages per checkpoint interval. The default receiveMaximum is
 *   10,000 (README: "MQTT and Redis Streams"; bench/mqtt.ts measures it).
 * - Parallelism > 1: each instance subscribes through a shared subscription
 *   `$share/<shareGroup>/<topic>`, so the broker spreads messages over them.
 * - Payloads decode as 'json' (default), 'string' or 'buffer'; one that does
 *   not decode follows the source's onError ('skip' dead-letters it, naming
 *   the topic). It is acked with its checkpoint either way.
 * - Metrics: what a client can measure (the broker's queue for the session
 *   is not visible to it): messages received and not yet emitted (lag, per
 *   session), received and not yet PUBACKed (unacked: against the in-flight
 *   window), and how long the oldest received message has waited.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { PullResult, SourceConnector, SourceContext, SourceReader } from '../../actors/contract.js';
import { ConfigError, UserFunctionError } from '../../actors/errors.js';
import { AckLedger, messageKey, type LedgerSnapshot, type MessageKey } from './ack-ledger.js';
import { connectMqtt, endMqtt, parseMqttUrl, type MqttConnection } from './client.js';

export type MqttFormat = 'json' | 'string' | 'buffer';

export interface MqttSourceOptions extends MqttConnection {
  /** Topic filters to subscribe to (wildcards + and # allowed). */
  topics: string | string[];
  /** Subscription QoS: 1 (default; exactly-once into state) or 0 (at-most-once, nothing acked late). */
  qos?: 0 | 1;
  /** Client id prefix (default `weir-<job>-<operator>`); instance i connects as `<clientId>-<i>`. Keep it stable: it names the broker session. */
  clientId?: string;
  /** How payloads decode (default 'json'). */
  format?: MqttFormat;
  /** Emit `{ topic, value }` instead of the value alone. */
  envelope?: boolean;
  /** MQTT protocol version (default 5). With 4 (3.1.1) the broker's max_inflight_messages caps throughput (see README). */
  protocolVersion?: 4 | 5;
  /** MQTT 5 Receive Maximum: unacknowledged messages the broker may send (default 10000, at most 32767). */
  receiveMaximum?: number;
  /** Shared subscription group for parallelism > 1 (default `weir-<job>-<operator>`). */
  shareGroup?: string;
}

export interface MqttMessage<V = unknown> {
  topic: string;
  value: V;
}

interface MqttPosition extends LedgerSnapshot {
  i: number;
}

interface Queued {
  key: MessageKey;
  topic: string;
  payload: Buffer;
  /** When it arrived (performance.now()), for the receive-to-emit delay. */
  at: number;
}

/** handleMessage's "do not PUBACK" answer (mqtt.js sends no PUBACK when it gets an error, and goes on). */
const DEFER = Object.freeze(new Error('weir: PUBACK deferred to checkpoint completion'));

export function mqttSource<V = unknown>(options: MqttSourceOptions & { envelope: true }): SourceConnector<MqttMessage<V>>;
export function mqttSource<V = unknown>(options: MqttSourceOptions & { envelope?: false }): SourceConnector<V>;
export function mqttSource<V = unknown>(options: MqttSourceOptions): SourceConnector<V | MqttMessage<V>>;
export function mqttSource<V = unknown>(options: MqttSourceOptions): SourceConnector<V | MqttMessage<V>> {
  parseMqttUrl(options.url, 'mqtt.source');
  const topics = typeof options.topics === 'string' ? [options.topics] : options.topics;
  if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new ConfigError(`mqtt.source topics ${JSON.stringify(options.topics)} are invalid. Fix: one or more topic filters, e.g. topics: 'sensors/+/temperature'`, { field: 'topics' });
  }
  const qos = options.qos ?? 1;
  if (qos !== 0 && qos !== 1) throw new ConfigError(`mqtt.source qos ${JSON.stringify(options.qos)} is not supported. Fix: 1 (exactly-once into state) or 0 (at-most-once)`, { field: 'qos' });
  const format = options.format ?? 'json';
  if (!['json', 'string', 'buffer'].includes(format)) throw new ConfigError(`mqtt.source format ${JSON.stringify(format)} is invalid. Fix: 'json', 'string' or 'buffer'`, { field: 'format' });
  const protocolVersion = options.protocolVersion ?? 5;
  if (protocolVersion !== 4 && protocolVersion !== 5) throw new ConfigError(`mqtt.source protocolVersion ${JSON.stringify(protocolVersion)} is invalid. Fix: 5 (MQTT 5, default) or 4 (MQTT 3.1.1)`, { field: 'protocolVersion' });
  const receiveMaximum = options.receiveMaximum ?? 10_000;
  if (!Number.isInteger(receiveMaximum) || receiveMaximum < 1 || receiveMaximum > 32_767) {
    throw new ConfigError(`mqtt.source receiveMaximum ${JSON.stringify(options.receiveMaximum)} is invalid. Fix: an integer from 1 to 32767 (packet ids must not wrap within the ack ledger's memory)`, { field: 'receiveMaximum' });
  }
  return {
    role: 'source',
    type: 'mqtt',
    async open(ctx: SourceContext): Promise<SourceReader<V | MqttMessage<V>>> {
      const who = `mqtt.source '${ctx.operator}' instance ${ctx.instance}`;
      const base = options.clientId ?? `weir-${ctx.job}-${ctx.operator}`;
      const share = options.shareGroup ?? `weir-${ctx.job}-${ctx.operator}`;
      const filters = ctx.parallelism > 1 ? topics.map((t) => `$share/${share}/${t}`) : topics;
      // Remembers 2 x the window: a message whose PUBACK was lost is among the last receiveMaximum acked.
      const ledger = new AckLedger(2 * (protocolVersion === 5 ? receiveMaximum : 65_535 / 4));
      const restored = (ctx.restored ?? []) as MqttPosition[];
      ledger.restore(ctx.parallelism === 1 ? restored : restored.filter((s) => s.i % ctx.parallelism === ctx.instance));

      const queue: Queued[] = [];
      let head = 0;
      let wakePuller: (() => void) | undefined;
      let client: MqttClient | undefined;
      const sendAck = (messageId: number) => {
        // Only on a live connection: mqtt.js would queue it offline and send a stale packet id after reconnecting;
        // the broker redelivers instead, and the ledger acks the redelivery.
        const c = client as unknown as { connected: boolean; _sendPacket(p: object, cb: () => void, put?: unknown, noStore?: boolean): void } | undefined;
        if (c?.connected) c._sendPacket({ cmd: 'puback', messageId }, () => {}, undefined, true);
      };
      const onPublish = (packet: IPublishPacket) => {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        if (packet.qos === 0) {
          queue.push({ key: -1, topic: packet.topic, payload, at: performance.now() });
        } else {
          const key = messageKey(packet.messageId ?? 0, packet.topic, payload);
          const seen = ledger.arrive(key);
          if (seen === 'ack-again') sendAck(packet.messageId!);
          if (seen !== 'new') return;
          queue.push({ key, topic: packet.topic, payload, at: performance.now() });
        }
        wakePuller?.();
      };

      client = await connectMqtt(
        options,
        {
          clientId: `${base}-${ctx.instance}`,
          clean: false,
          protocolVersion,
          properties: protocolVersion === 5 ? { sessionExpiryInterval: 0xffffffff, receiveMaximum } : undefined,
          resubscribe: true,
        },
        who,
        ctx.log,
        (c) => {
          c.handleMessage = (packet, callback) => {
            onPublish(packet);
            (callback as (e?: Error) => void)(DEFER);
          };
        },
      );
      // A broker without our session (restarted without persistence, session expired) never redelivers
      // nor accepts acks of the old packet ids.
      let firstConnack = true;
      client.on('connect', (connack) => {
        if (!connack.sessionPresent && !firstConnack) {
          const lost = ledger.sessionLost();
          ctx.log.warn(`${who}: the broker did not keep the session ${base}-${ctx.instance}; ${lost} unacknowledged message(s) of the old session cannot be acked (the broker may have dropped messages published meanwhile). Fix: run the broker with persistence`);
          void subscribe();
        }
        firstConnack = false;
      });
      const subscribe = async () => {
        const granted = await client!.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos }])));
        const refused = granted.filter((g) => g.qos >= 0x80);
        if (refused.length > 0) {
          failure = new ConfigError(`${who}: the broker refused the subscription to ${refused.map((g) => g.topic).join(', ')} (reason ${refused[0].qos}). Fix: check the topic filters and the broker's ACLs`, { field: 'topics' });
        }
      };
      let failure: unknown;
      let final = false;
      await subscribe();
      if (failure) {
        await endMqtt(client, true);
        throw failure;
      }

      const decode = (q: Queued): V | MqttMessage<V> | typeof SKIP => {
        let value: unknown;
        try {
          value = format === 'buffer' ? q.payload : format === 'json' ? JSON.parse(q.payload.toString('utf8')) : q.payload.toString('utf8');
        } catch (e) {
          const err = new UserFunctionError({ operator: ctx.operator, instance: ctx.instance, record: q.payload.toString('utf8'), onError: ctx.onError, topic: q.topic }, new Error(`MQTT payload on topic '${q.topic}' is not ${format}: ${(e as Error).message}`));
          if (ctx.onError === 'skip') {
            ctx.deadLetter({ topic: q.topic, payload: q.payload.toString('utf8') }, err);
            return SKIP;
          }
          throw err;
        }
        return options.envelope ? { topic: q.topic, value: value as V } : (value as V);
      };

      return {
        async pull(max): Promise<PullResult<V | MqttMessage<V>>> {
          if (failure) throw failure;
          if (head === queue.length) {
            await new Promise<void>((r) => {
              wakePuller = r;
              setTimeout(r, 20);
            });
            wakePuller = undefined;
          }
          const records: (V | MqttMessage<V>)[] = [];
          while (records.length < max && head < queue.length) {
            const q = queue[head];
            queue[head++] = undefined as never;
            // Emitted (or dead-lettered) now: acked with the next checkpoint either way.
            if (q.key !== -1) ledger.emitted(q.key);
            const r = decode(q);
            if (r !== SKIP) records.push(r);
          }
          if (head > 1024 && head * 2 > queue.length) {
            queue.splice(0, head);
            head = 0;
          }
          return { records };
        },
        position(checkpointId): MqttPosition {
          // At the end (a drain) the position is asked with no id yet: the next completion acks everything.
          if (checkpointId === Number.MAX_SAFE_INTEGER) final = true;
          return { i: ctx.instance, ...ledger.checkpoint(checkpointId) };
        },
        checkpointComplete(id) {
          for (const messageId of ledger.complete(final ? Number.MAX_SAFE_INTEGER : id)) sendAck(messageId);
        },
        // What MQTT lets a client measure: the broker's own queue for the session is not visible to it.
        lag: () => ({ [`${base}-${ctx.instance}`]: queue.length - head }),
        unacked: () => (qos === 1 ? ledger.unackedCount : undefined),
        receiveDelayMs: () => (head < queue.length ? performance.now() - queue[head].at : 0),
        async close() {
          // Not a clean disconnect of the session: it stays at the broker, unacked messages with it.
          if (client) await endMqtt(client, true);
        },
      };
    },
  };
}

const SKIP = Symbol('skip');
