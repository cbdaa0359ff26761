/**
 * The Node-RED peer of bench/mqtt.ts: the same flow as bench/jobs/mqtt-threshold.ts, as a
 * Node-RED user builds it (mqtt in -> json -> function with per-device context -> mqtt out),
 * QoS 1 in and out, MQTT 5 with a persistent session. Node-RED 4.1 is installed in this folder (its own package.json:
 * `npm install` here), not in weir's root package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../../lib/util.js';

export const NODE_RED_DIR = path.join(ROOT, 'bench', 'peers', 'node-red');
export const NODE_RED_MAIN = path.join(NODE_RED_DIR, 'node_modules', 'node-red', 'red.js');

export const nodeRedInstalled = (): boolean => existsSync(NODE_RED_MAIN);

/** The per-device level with hysteresis, the same as bench/jobs/mqtt-threshold.ts `level()`. */
const FUNCTION = `
const r = msg.payload;
const was = context.get(r.device) || 'normal';
const t = r.temperature;
const next = (t >= 40 || (was === 'alarm' && t >= 38)) ? 'alarm' : (t >= 30 || (was !== 'normal' && t >= 28)) ? 'warning' : 'normal';
context.set(r.device, next);
msg.topic = PREFIX + '/out/' + r.device;
msg.payload = JSON.stringify({ device: r.device, temperature: t, level: next });
return msg;`;

export function nodeRedFlow(port: number, prefix: string): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'gateway' },
    // A persistent session (clean start off), as a gateway that must not lose QoS 1 readings runs it; the bench
    // creates it beforehand and fills it with the backlog.
    { id: 'broker', type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(port), clientid: `${prefix}-nodered`, autoConnect: true, usetls: false, protocolVersion: '5', sessionExpiry: String(0xffffffff), keepalive: '60', cleansession: false },
    { id: 'in', type: 'mqtt in', z: 'tab', name: '', topic: `${prefix}/sensors/+/temperature`, qos: '1', datatype: 'utf8', broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, x: 100, y: 100, wires: [['json']] },
    { id: 'json', type: 'json', z: 'tab', name: '', property: 'payload', action: 'obj', pretty: false, x: 250, y: 100, wires: [['fn']] },
    { id: 'fn', type: 'function', z: 'tab', name: 'threshold', func: FUNCTION.replace('PREFIX', JSON.stringify(prefix)), outputs: 1, x: 400, y: 100, wires: [['out']] },
    { id: 'out', type: 'mqtt out', z: 'tab', name: '', topic: '', qos: '1', retain: 'false', broker: 'broker', x: 550, y: 100, wires: [] },
  ];
}

/** Start Node-RED (editor and admin API off) running the flow against the broker on `port`. */
export function startNodeRed(port: number, prefix: string): ChildProcess {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-bench-node-red-'));
  writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(nodeRedFlow(port, prefix)));
  writeFileSync(
    path.join(dir, 'settings.js'),
    `module.exports = { uiPort: 0, flowFile: 'flows.json', httpAdminRoot: false, httpNodeRoot: false, credentialSecret: false, logging: { console: { level: 'warn' } } };\n`,
  );
  return spawn(process.execPath, [NODE_RED_MAIN, '--userDir', dir, '--settings', path.join(dir, 'settings.js'), 'flows.json'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}
