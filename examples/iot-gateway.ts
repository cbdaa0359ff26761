/**
 * The IoT gateway: sensors publish JSON readings `{ device, temperature, ts }`
 * to `sensors/<device>/temperature` (what `weir publish` plays); per device a
 * statechart (normal / warning / alarm with hysteresis, silent after 30 s
 * without a reading) turns them into alerts, published to MQTT
 * `alerts/<device>` (at-least-once) and appended to the Redis stream `alerts`
 * (exactly-once); per-minute average temperatures per device, in event time
 * (the reading's ts), go to the Redis stream `stats` (exactly-once).
 *
 *   npx weir run examples/iot-gateway.ts --workers 2
 *   npx weir publish --mqtt mqtt://127.0.0.1:1883 --devices 20 --rate 50
 *
 * Configuration by environment (workers inherit it): MQTT_URL, REDIS_URL,
 * SENSORS_PREFIX (topic prefix of readings, 'sensors'), ALERTS_PREFIX (topic
 * prefix of alerts, 'alerts'), ALERTS_STREAM ('alerts'), STATS_STREAM
 * ('stats'), SILENT_AFTER_MS (30000), MQTT_CLIENT_ID (the source's session).
 */
import { setup } from 'xstate';
import { mqtt, redis, topology, tumbling, type MachineTransition } from 'weir';

export interface Reading {
  device: string;
  temperature: number;
  /** When it was measured, ms since the epoch (event time). */
  ts: number;
}

export type Level = 'normal' | 'warning' | 'alarm' | 'silent';

export interface Alert {
  device: string;
  from: Level;
  to: Level;
  /** The reading that caused the change; null when the device went silent. */
  temperature: number | null;
  ts: number | null;
}

export interface MinuteStat {
  device: string;
  /** Start of the minute, ISO 8601. */
  minute: string;
  avg: number;
  readings: number;
}

const env = process.env;
export const config = {
  mqttUrl: env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  sensorsPrefix: env.SENSORS_PREFIX ?? 'sensors',
  alertsPrefix: env.ALERTS_PREFIX ?? 'alerts',
  alertsStream: env.ALERTS_STREAM ?? 'alerts',
  statsStream: env.STATS_STREAM ?? 'stats',
  silentAfterMs: Number(env.SILENT_AFTER_MS ?? 30_000),
  clientId: env.MQTT_CLIENT_ID,
};

/** Thresholds in °C. Hysteresis: a level is left only 3 °C below the threshold that entered it, so a reading hovering at a threshold does not flap. */
export const WARNING = 30;
export const ALARM = 40;
export const HYSTERESIS = 3;

type ReadingEvent = { type: 'reading'; temperature: number; ts: number };

export const deviceMachine = setup({
  types: { events: {} as ReadingEvent },
  guards: {
    alarm: ({ event }) => event.temperature >= ALARM,
    warning: ({ event }) => event.temperature >= WARNING,
    belowAlarm: ({ event }) => event.temperature < ALARM - HYSTERESIS,
    belowWarning: ({ event }) => event.temperature < WARNING - HYSTERESIS,
  },
  delays: { silence: () => config.silentAfterMs },
}).createMachine({
  id: 'device',
  initial: 'normal',
  states: {
    normal: {
      after: { silence: 'silent' },
      on: { reading: [{ guard: 'alarm', target: 'alarm' }, { guard: 'warning', target: 'warning' }, { target: 'normal', reenter: true }] },
    },
    warning: {
      after: { silence: 'silent' },
      on: { reading: [{ guard: 'alarm', target: 'alarm' }, { guard: 'belowWarning', target: 'normal' }, { target: 'warning', reenter: true }] },
    },
    alarm: {
      after: { silence: 'silent' },
      on: { reading: [{ guard: 'belowWarning', target: 'normal' }, { guard: 'belowAlarm', target: 'warning' }, { target: 'alarm', reenter: true }] },
    },
    // Back from silence, the reading alone decides the level.
    silent: { on: { reading: [{ guard: 'alarm', target: 'alarm' }, { guard: 'warning', target: 'warning' }, { target: 'normal' }] } },
  },
});

/** A payload that is JSON but not a reading is a user failure of 'parse' (dead-lettered with the record). */
export function parseReading(v: unknown): Reading {
  const r = v as Partial<Reading> | null;
  if (!r || typeof r !== 'object' || typeof r.device !== 'string' || !r.device || typeof r.temperature !== 'number' || !Number.isFinite(r.temperature) || typeof r.ts !== 'number' || !Number.isFinite(r.ts)) {
    throw new Error(`not a reading ${JSON.stringify(v)}: expected { device: string, temperature: number, ts: number (ms) }`);
  }
  return { device: r.device, temperature: r.temperature, ts: r.ts };
}

export function toAlert(t: MachineTransition<ReadingEvent>): Alert {
  const reading = t.event.type === 'reading';
  return { device: String(t.key), from: t.from as Level, to: t.to as Level, temperature: reading ? t.event.temperature : null, ts: reading ? t.event.ts : null };
}

export default topology('iot-gateway', (t) => {
  const readings = t
    // A payload that is not JSON is dead-lettered by the source, naming the topic.
    .source('sensors', mqtt.source<unknown>({ url: config.mqttUrl, topics: `${config.sensorsPrefix}/+/temperature`, clientId: config.clientId }), { onError: 'skip' })
    .map(parseReading, { name: 'parse', onError: 'skip' })
    .assignTimestamps((r) => r.ts, { outOfOrderness: 5_000 });

  const alerts = readings
    .keyBy((r) => r.device)
    .machine(deviceMachine, { name: 'device', transitions: true, toEvent: (r): ReadingEvent => ({ type: 'reading', temperature: r.temperature, ts: r.ts }) })
    .filter((o) => o.kind === 'transition')
    .map((o) => toAlert(o as MachineTransition<ReadingEvent>), { name: 'alert' });
  alerts.sink('alerts-mqtt', mqtt.sink<Alert>({ url: config.mqttUrl, topic: (a) => `${config.alertsPrefix}/${a.device}` }));
  alerts.sink('alerts-stream', redis.streamSink<Alert>({ url: config.redisUrl, stream: config.alertsStream, maxLen: 100_000 }));

  readings
    .keyBy((r) => r.device)
    .window(tumbling(60_000))
    .aggregate(
      {
        create: () => ({ sum: 0, n: 0 }),
        add: (acc, r) => ({ sum: acc.sum + r.temperature, n: acc.n + 1 }),
        result: (acc, device, w): MinuteStat => ({ device: String(device), minute: new Date(w.start).toISOString(), avg: Math.round((acc.sum / acc.n) * 100) / 100, readings: acc.n }),
      },
      { name: 'minute-average' },
    )
    .sink('stats', redis.streamSink<MinuteStat>({ url: config.redisUrl, stream: config.statsStream, maxLen: 100_000 }));
});
