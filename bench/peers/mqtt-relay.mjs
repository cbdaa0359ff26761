// The floor of bench/mqtt.ts: the same flow hand-written on mqtt.js in one process, no checkpoints,
// no guarantees beyond QoS 1 (acks as messages arrive). It resumes the persistent session the bench
// created (client id <prefix>-relay), whose backlog the broker drains into it. Args: <url> <prefix>.
import { connect } from 'mqtt';

const [url, prefix] = process.argv.slice(2);
const level = new Map();
const client = connect(url, { clientId: `${prefix}-relay`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 0xffffffff } });
client.on('message', (_topic, payload) => {
  const r = JSON.parse(payload.toString());
  const was = level.get(r.device) ?? 'normal';
  const t = r.temperature;
  const next = t >= 40 || (was === 'alarm' && t >= 38) ? 'alarm' : t >= 30 || (was !== 'normal' && t >= 28) ? 'warning' : 'normal';
  level.set(r.device, next);
  client.publish(`${prefix}/out/${r.device}`, JSON.stringify({ device: r.device, temperature: t, level: next }), { qos: 1 });
});
process.on('SIGTERM', () => client.end(false, {}, () => process.exit(0)));
