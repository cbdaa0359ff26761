/**
 * `weir publish`: plays N temperature sensors publishing JSON readings
 * `{ device, temperature, ts }` to `sensors/<device>/temperature` with QoS 1,
 * at R readings per second in total, for trying a gateway job by hand and for
 * tests and benchmarks. Temperatures follow a slow random walk per device
 * (seeded), with rare spikes, so thresholds are crossed now and then.
 */
import type { Logger } from '../../actors/contract.js';
import { ConfigError } from '../../actors/errors.js';
import { mulberry32 } from '../../actors/seeded-random.js';
import { connectMqtt, endMqtt, type MqttConnection } from './client.js';

export interface SensorOptions extends MqttConnection {
  /** Number of devices: dev-0 .. dev-(N-1) (default 10). */
  devices?: number;
  /** Readings per second over all devices (default 10). */
  rate?: number;
  /** Stop after this many readings (default: run until the signal). */
  count?: number;
  /** Device id prefix (default 'dev-'). */
  prefix?: string;
  /** Topic prefix (default 'sensors'). */
  topicPrefix?: string;
  qos?: 0 | 1;
  seed?: number;
  /** Stops the player when aborted. */
  signal?: AbortSignal;
}

export interface Reading {
  device: string;
  temperature: number;
  ts: number;
}

/** A deterministic stream of readings (mulberry32 random walk): the i-th reading of a run. */
export function readingAt(i: number, devices: number, state: Float64Array, random: () => number, prefix = 'dev-', now = Date.now()): Reading {
  const d = i % devices;
  const spike = random() < 0.002 ? 25 : 0;
  state[d] = Math.max(-10, Math.min(60, state[d] + (random() - 0.5) * 2));
  return { device: `${prefix}${d}`, temperature: Math.round((state[d] + spike) * 10) / 10, ts: now };
}

/** Publish readings until `count` is reached or `signal` aborts; resolves with the number sent (PUBACKed for QoS 1). */
export async function playSensors(o: SensorOptions, log: Logger): Promise<number> {
  const devices = o.devices ?? 10;
  const rate = o.rate ?? 10;
  if (!Number.isInteger(devices) || devices < 1) throw new ConfigError(`publish devices ${JSON.stringify(o.devices)} is invalid. Fix: an integer >= 1`, { field: 'devices' });
  if (!(rate > 0)) throw new ConfigError(`publish rate ${JSON.stringify(o.rate)} is invalid. Fix: readings per second > 0`, { field: 'rate' });
  const client = await connectMqtt(o, { clientId: `weir-publish-${process.pid}-${Math.floor(Math.random() * 1e6)}`, clean: true, protocolVersion: 5 }, 'weir publish', log);
  const random = mulberry32(o.seed ?? 1);
  const state = new Float64Array(devices).fill(20);
  const qos = o.qos ?? 1;
  const prefix = o.prefix ?? 'dev-';
  const topicPrefix = o.topicPrefix ?? 'sensors';
  const inFlight = new Set<Promise<unknown>>();
  const t0 = performance.now();
  let sent = 0;
  try {
    while (!o.signal?.aborted && (o.count === undefined || sent < o.count)) {
      // Catch up with the schedule in small bursts (timers are coarse at high rates).
      const due = Math.floor(((performance.now() - t0) / 1000) * rate) + 1;
      while (sent < due && (o.count === undefined || sent < o.count)) {
        const r = readingAt(sent, devices, state, random, prefix);
        const p = client.publishAsync(`${topicPrefix}/${r.device}/temperature`, JSON.stringify(r), { qos }).finally(() => inFlight.delete(p));
        inFlight.add(p);
        sent++;
        if (inFlight.size >= 1000) await Promise.race(inFlight);
      }
      const next = ((sent / rate) * 1000) - (performance.now() - t0);
      if (next > 0) await new Promise((r) => setTimeout(r, Math.min(next, 1000)));
    }
    await Promise.all(inFlight);
  } finally {
    await endMqtt(client);
  }
  return sent;
}
