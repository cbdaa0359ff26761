/**
 * `mqtt` benchmark job: the gateway's hot path, as Node-RED users build it
 * (mqtt in -> json -> per-device threshold with context -> mqtt out).
 *
 *   mqtt.source (sensors/+/temperature, QoS 1, JSON) -> keyBy(device)
 *     -> process: per-device level with hysteresis in keyed state
 *        (normal < 30 <= warning < 40 <= alarm, back down 2 degrees lower)
 *     -> mqtt.sink (out/<device>, QoS 1): { device, temperature, level } for every reading
 *
 * Parameters (workers inherit process.env): WEIR_BENCH_MQTT_URL, WEIR_BENCH_MQTT_PREFIX (topic
 * prefix, unique per run), WEIR_BENCH_MQTT_CLIENT (client id), WEIR_BENCH_MQTT_PROTOCOL ('5' or '4'),
 * WEIR_BENCH_MQTT_RECEIVE_MAX (MQTT 5 Receive Maximum), WEIR_BENCH_MQTT_SHARE (shared subscription group
 * when the source runs at parallelism > 1).
 */
import { mqtt, topology } from 'weir';

interface Reading {
  device: string;
  temperature: number;
  ts: number;
}
type Level = 'normal' | 'warning' | 'alarm';

const url = process.env.WEIR_BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const prefix = process.env.WEIR_BENCH_MQTT_PREFIX ?? 'bench';
const protocolVersion = process.env.WEIR_BENCH_MQTT_PROTOCOL === '4' ? 4 : 5;
const receiveMaximum = Number(process.env.WEIR_BENCH_MQTT_RECEIVE_MAX ?? 10_000);
const shareGroup = process.env.WEIR_BENCH_MQTT_SHARE;

/** The level after `t`, from `was`, with 2 degrees of hysteresis. */
export function level(was: Level, t: number): Level {
  if (t >= 40 || (was === 'alarm' && t >= 38)) return 'alarm';
  if (t >= 30 || (was !== 'normal' && t >= 28)) return 'warning';
  return 'normal';
}

export default topology('bench-mqtt-threshold', (t) =>
  t
    .source('in', mqtt.source<Reading>({ url, topics: `${prefix}/sensors/+/temperature`, clientId: process.env.WEIR_BENCH_MQTT_CLIENT, protocolVersion, receiveMaximum, shareGroup }))
    .keyBy((r) => r.device)
    .process<{ device: string; temperature: number; level: Level }>((r, ctx) => {
      const s = ctx.state.value<Level>('level', 'normal');
      const next = level(s.get() ?? 'normal', r.temperature);
      s.set(next);
      ctx.emit({ device: r.device, temperature: r.temperature, level: next });
    }, { name: 'threshold' })
    .sink('out', mqtt.sink({ url, topic: (o) => `${prefix}/out/${o.device}`, protocolVersion })),
);
