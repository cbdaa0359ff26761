import { mqttSink } from './sink.js';
import { mqttSource } from './source.js';
import { playSensors } from './sensors.js';

export type { MqttSourceOptions, MqttMessage, MqttFormat } from './source.js';
export type { MqttSinkOptions } from './sink.js';
export type { SensorOptions, Reading } from './sensors.js';

/**
 * MQTT connectors (mqtt.js): `mqtt.source({ url, topics })` (QoS 1, acked after the covering checkpoint:
 * exactly-once into state), `mqtt.sink({ url, topic })` (QoS 1, at-least-once), and
 * `mqtt.publishSensors({ url, devices, rate })`, the sensor player behind `weir publish`.
 */
export const mqtt = { source: mqttSource, sink: mqttSink, publishSensors: playSensors };
