/**
 * `weir publish --mqtt URL --devices N --rate R --count C` against the shared
 * Mosquitto (127.0.0.1:1883; --topic-prefix keeps the test's own): C QoS 1 readings { device, temperature, ts } on
 * sensors/<device>/temperature, spread over the N devices; a bad URL is a
 * usage error naming the fix.
 */
import { describe, expect, it } from 'vitest';
import { connect } from 'mqtt';
import { SHARED_MQTT, unique, waitFor, weir } from './helpers.js';

describe('weir publish', () => {
  it('plays N devices publishing JSON readings to sensors/<device>/temperature', { timeout: 60_000 }, async () => {
    const seen: { topic: string; reading: { device: string; temperature: number; ts: number } }[] = [];
    const sub = connect(SHARED_MQTT, { clientId: unique('pub-cli-sub') });
    await new Promise<void>((r) => sub.once('connect', () => r()));
    // A topic prefix of its own on the shared broker (the default is 'sensors').
    const prefix = unique('sensors');
    sub.on('message', (topic, p) => seen.push({ topic, reading: JSON.parse(p.toString()) }));
    await sub.subscribeAsync(`${prefix}/+/temperature`, { qos: 1 });
    const w = weir(['publish', '--mqtt', SHARED_MQTT, '--devices', '3', '--rate', '200', '--count', '30', '--seed', '5', '--topic-prefix', prefix], {});
    expect(await w.exited, w.stderr()).toBe(0);
    expect(w.stderr()).toContain('published 30 reading(s) from 3 device(s)');
    const mine = () => seen;
    await waitFor(() => mine().length >= 30, () => `30 readings, have ${mine().length}`, 20_000);
    sub.end(true);
    const devices = new Map<string, number>();
    for (const { topic, reading } of mine()) {
      expect(topic).toBe(`${prefix}/${reading.device}/temperature`);
      expect(typeof reading.temperature).toBe('number');
      devices.set(reading.device, (devices.get(reading.device) ?? 0) + 1);
    }
    expect([...devices.entries()].sort()).toEqual([['dev-0', 10], ['dev-1', 10], ['dev-2', 10]]);
  });

  it('names a bad broker URL and the fix', { timeout: 30_000 }, async () => {
    const w = weir(['publish', '--mqtt', 'http://127.0.0.1:1883', '--count', '1'], {});
    expect(await w.exited).toBe(1);
    expect(w.stderr()).toMatch(/is not an MQTT broker URL\. Fix: give mqtt:\/\/host:port/);
  });
});
