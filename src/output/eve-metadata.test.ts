import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Flow } from '../flow/flow.js';
import { flowMetadataField } from './eve-metadata.js';

test('flow metadata without values', () => {
  assert.equal(flowMetadataField(new Flow()), '');
});

test('flow metadata entropy object', () => {
  const flow = new Flow();
  flow.entropyByBuffer = new Map([['file_data', 4.150007324019584], ['http_uri', 2]]);
  assert.equal(flowMetadataField(flow), ',"metadata":{"entropy":{"file_data":4.150007324019584,"http_uri":2}}');
});
