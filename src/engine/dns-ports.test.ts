import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/load-config.js';
import { dnsPortsOf, parseDetectionPorts } from './build-pipeline.js';

test('detection ports forms', () => {
  assert.deepEqual(parseDetectionPorts('1053'), new Set([1053]));
  assert.deepEqual(parseDetectionPorts(53), new Set([53]));
  assert.deepEqual(parseDetectionPorts('[53, 5353]'), new Set([53, 5353]));
  assert.deepEqual(parseDetectionPorts('53,1024-1026'), new Set([53, 1024, 1025, 1026]));
  assert.equal(parseDetectionPorts('any'), null);
  assert.equal(parseDetectionPorts('70000'), null);
  assert.equal(parseDetectionPorts('10-5'), null);
});

test('dns ports from config', () => {
  const { config } = loadConfig(null, ['app-layer.protocols.dns.tcp.detection-ports.dp=1053']);
  const ports = dnsPortsOf(config);
  assert.deepEqual([...ports.tcp], [1053]);
  assert.deepEqual([...ports.udp], [53]);
});
