import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertQueue, DetectEngine } from '../detect-engine.js';
import { loadRulesFromText } from '../rule-files.js';
import { createTestFlow, createTestPacket } from '../test-support/packets.js';
import type { Flow } from '../../flow/flow.js';

/** Loads `rules`, runs one packet with `payload` on a fresh flow and returns the flow variables by name. */
function flowVarsAfter(rules: string, payload: string): { sids: number; vars: Record<string, string>; flow: Flow } {
  const loaded = loadRulesFromText(rules, 'test.rules');
  assert.equal(loaded.summary.failed, 0, loaded.diagnostics.map((d) => d.message).join('; '));
  const engine = new DetectEngine(loaded.signatures);
  const flow = createTestFlow();
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket({ payload }), flow, out);
  const vars: Record<string, string> = {};
  for (const [name, id] of loaded.variables.byKind.get('flowvar') ?? []) {
    const value = flow.flowvars?.get(id);
    if (value !== undefined) vars[name] = value;
  }
  return { sids: out.count, vars, flow };
}

test('pcre capture list stores flowvars', () => {
  const result = flowVarsAfter(
    'alert tcp any any -> any any (pcre:"/^(\\w+)\\/(\\d+\\.\\d+)/, flow:key,flow:value"; sid:1;)',
    'Mozilla/5.0 (X11)',
  );
  assert.equal(result.sids, 1);
  assert.deepEqual(result.vars, { key: 'Mozilla', value: '5.0' });
});

test('pcre named group stores flowvar', () => {
  const result = flowVarsAfter('alert tcp any any -> any any (pcre:"/Host: (?P<flow_host>[a-z.]+)/"; sid:1;)', 'GET / HTTP/1.1\r\nHost: example.com\r\n');
  assert.deepEqual(result.vars, { host: 'example.com' });
});

test('pcre capture needs whole rule match', () => {
  const result = flowVarsAfter('alert tcp any any -> any any (pcre:"/(a+)/, flow:run"; content:"zzz"; sid:1;)', 'aaa bbb');
  assert.equal(result.sids, 0);
  assert.equal(result.flow.flowvars, null);
});

test('pcre capture list bad entry', () => {
  const loaded = loadRulesFromText('alert tcp any any -> any any (pcre:"/(a)/i, host:x"; sid:1;)', 'test.rules');
  assert.equal(loaded.summary.failed, 1);
  assert.match(loaded.diagnostics[0]?.message ?? '', /capture 'host:x' is not of the form flow:NAME/);
});
