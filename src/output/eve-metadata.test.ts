import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VariableIds } from '../detect/rule-parser.js';
import { setFlowbit } from '../detect/keywords/flowbits.js';
import { Flow } from '../flow/flow.js';
import { FlowVariableNames, flowMetadataFields } from './eve-metadata.js';

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
  assert.equal(flowMetadataFields(new Flow(), new FlowVariableNames(namedIds())), '');
});

test('metadata splits traffic flowbits', () => {
  const ids = namedIds();
  const flow = new Flow();
  for (let id = 0; id < 3; id++) setFlowbit(flow, id);
  flow.flowints = new Map([[0, 7]]);
  flow.flowvars = new Map([[0, 'curl/8.0']]);
  const fields = JSON.parse('{' + flowMetadataFields(flow, new FlowVariableNames(ids)).slice(1) + '}');
  assert.deepEqual(fields.metadata.flowbits, ['seen.login']);
  assert.deepEqual(fields.metadata.flowvars, [{ agent: 'curl/8.0' }]);
  assert.deepEqual(fields.metadata.flowints, { count: 7 });
  assert.deepEqual(fields.traffic, { id: ['mozilla'], label: ['browser'] });
});

test('metadata only traffic flowbit', () => {
  const flow = new Flow();
  setFlowbit(flow, 1);
  assert.equal(flowMetadataFields(flow, new FlowVariableNames(namedIds())), ',"traffic":{"id":["mozilla"]}');
});
