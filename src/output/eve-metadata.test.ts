import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VariableIds } from '../detect/rule-parser.js';
import { setFlowbit } from '../detect/keywords/flowbits.js';
import { Flow } from '../flow/flow.js';
import { FlowVariableNames, flowMetadataField } from './eve-metadata.js';

function namedIds(): VariableIds {
  const ids = new VariableIds();
  ids.idOf('flowbit', 'seen.login');
  ids.idOf('flowbit', 'traffic/id/mozilla');
  ids.idOf('flowbit', 'traffic/label/browser');
  ids.idOf('flowint', 'count');
  ids.idOf('flowvar', 'agent');
  return ids;
}

test('metadata of flow without variables', () => {
  assert.equal(flowMetadataField(new Flow(), new FlowVariableNames(namedIds())), '');
});

test('metadata splits traffic flowbits', () => {
  const ids = namedIds();
  const flow = new Flow();
  for (let id = 0; id < 3; id++) setFlowbit(flow, id);
  flow.flowints = new Map([[0, 7]]);
  flow.flowvars = new Map([[0, 'curl/8.0']]);
  const fields = JSON.parse('{' + flowMetadataField(flow, new FlowVariableNames(ids)).slice(1) + '}');
  assert.deepEqual(fields.metadata.flowbits, ['seen.login']);
  assert.deepEqual(fields.metadata.flowvars, [{ agent: 'curl/8.0' }]);
  assert.deepEqual(fields.metadata.flowints, { count: 7 });
  assert.deepEqual(fields.traffic, { id: ['mozilla'], label: ['browser'] });
});

test('metadata only traffic flowbit', () => {
  const flow = new Flow();
  setFlowbit(flow, 1);
  assert.equal(flowMetadataField(flow, new FlowVariableNames(namedIds())), ',"traffic":{"id":["mozilla"]}');
});

test('flow metadata without values', () => {
  assert.equal(flowMetadataField(new Flow()), '');
});

test('flow metadata entropy object', () => {
  const flow = new Flow();
  flow.entropyByBuffer = new Map([['file_data', 4.150007324019584], ['http_uri', 2]]);
  assert.equal(flowMetadataField(flow), ',"metadata":{"entropy":{"file_data":4.150007324019584,"http_uri":2}}');
});
