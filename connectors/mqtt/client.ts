/**
 * mqtt.js clients as weir uses them: a validated broker URL, reconnects with
 * capped exponential backoff (mqtt.js retries at a fixed period; the period
 * is doubled on every failed attempt and reset once connected), outages
 * logged once when they start and once when they end, and a first connect
 * that fails with an error naming the broker and the fix. mqtt.js is loaded
 * on first use, so jobs without MQTT never pay for it.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from '../../actors/contract.js';
import { ConfigError, WeirError } from '../../actors/errors.js';

export interface MqttConnection {
  /** Broker URL: mqtt://host:port (or mqtts://, ws://, wss://), e.g. 'mqtt://127.0.0.1:1883'. */
  url: string;
  /** Give up when the first connection is not up within this many ms (default 30000). Later outages are waited out. */
  connectTimeoutMs?: number;
  username?: string;
  password?: string;
}

export const RECONNECT = { initialMs: 100, maxMs: 5000, multiplier: 2 } as const;

export function parseMqttUrl(url: unknown, who: string): URL {
  let u: URL | undefined;
  try {
    u = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    u = undefined;
  }
  if (!u || !['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'].includes(u.protocol) || !u.hostname) {
    throw new ConfigError(`${who} url ${JSON.stringify(url)} is not an MQTT broker URL. Fix: give mqtt://host:port, e.g. url: 'mqtt://127.0.0.1:1883'`, { field: 'url' });
  }
  return u;
}

/** The URL without credentials, for messages. */
export const redactUrl = (u: URL): string => `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;

export function unreachableError(u: URL, who: string, ms: number, cause: unknown): WeirError {
  const where = redactUrl(u);
  return new WeirError(
    'MQTT_UNREACHABLE',
    `${who}: cannot connect to the MQTT broker at ${where} within ${ms} ms (${cause instanceof Error ? cause.message : String(cause ?? 'no answer')}). Fix: start the broker (e.g. mosquitto on port ${u.port || 1883}), check the url option, or raise connectTimeoutMs`,
    { retriable: true, cause, context: { url: where } },
  );
}

/**
 * Connect and wait for the first CONNACK. Reconnects afterwards go on forever
 * with backoff; `onState` hears of each outage's start and end.
 */
export async function connectMqtt(c: MqttConnection, options: IClientOptions, who: string, log: Logger, setup?: (client: MqttClient) => void): Promise<MqttClient> {
  const u = parseMqttUrl(c.url, who);
  const { connect } = await import('mqtt');
  const budget = c.connectTimeoutMs ?? 30_000;
  const client = connect(c.url, {
    ...options,
    username: c.username ?? options.username,
    password: c.password ?? options.password,
    connectTimeout: Math.min(budget, 10_000),
    reconnectPeriod: RECONNECT.initialMs,
    manualConnect: true,
    // mqtt-packet's default number cache is 65,536 two-byte Buffers (~6 MB of heap in every thread
    // that writes a packet); allocating the few bytes per packet costs nothing measurable.
    writeCache: false,
  });
  // Before connecting: a persistent session's redeliveries arrive right after the CONNACK.
  setup?.(client);
  let downSince: number | undefined;
  let lastError: unknown;
  client.on('error', (e) => (lastError = e));
  client.on('connect', () => {
    client.options.reconnectPeriod = RECONNECT.initialMs;
    if (downSince !== undefined) log.info(`${who}: connected to ${redactUrl(u)} again after ${Date.now() - downSince} ms`);
    downSince = undefined;
  });
  client.on('close', () => {
    if (downSince === undefined && first === undefined && !client.disconnecting) {
      downSince = Date.now();
      log.warn({ err: lastError }, `${who}: lost the MQTT broker at ${redactUrl(u)}; reconnecting with backoff (up to ${RECONNECT.maxMs} ms between attempts)`);
    }
  });
  client.on('reconnect', () => {
    client.options.reconnectPeriod = Math.min(RECONNECT.maxMs, (client.options.reconnectPeriod ?? RECONNECT.initialMs) * RECONNECT.multiplier);
  });
  let first: Promise<void> | undefined = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.end(true);
      reject(unreachableError(u, who, budget, lastError));
    }, budget);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    // A refused CONNECT (bad credentials, bad client id) will not get better by retrying.
    client.on('error', (e: Error & { code?: number }) => {
      if (typeof e.code === 'number' && e.code > 0 && first !== undefined) {
        clearTimeout(timer);
        client.end(true);
        reject(new WeirError('MQTT_REFUSED', `${who}: the MQTT broker at ${redactUrl(u)} refused the connection (${e.message}). Fix: check the url, username/password and clientId`, { cause: e, context: { url: redactUrl(u) } }));
      }
    });
  });
  client.connect();
  try {
    await first;
  } finally {
    first = undefined;
  }
  return client;
}

/** End a client, waiting at most a moment (a broker that is down must not hold up a shutdown). */
export async function endMqtt(client: MqttClient, force = false): Promise<void> {
  await Promise.race([new Promise<void>((r) => client.end(force, {}, () => r())), new Promise<void>((r) => setTimeout(r, 1000))]);
}
