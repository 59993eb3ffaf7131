// Flow counter keywords on hand-filled flows. Directions follow Suricata's
// flow keyword documentation: toserver counts client-to-server packets,
// either matches when one of the two directions does. flow.age subtracts
// whole seconds of the first and the current packet's times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Flow } from '../../flow/flow.js';
import { createTestPacket } from '../test-support/packets.js';
import { loadRulesFromText } from '../rule-files.js';
import type { DetectThreadContext } from '../signature.js';

const ctx: DetectThreadContext = { byteVars: new Float64Array(0) };

/** Creates a flow with 10 packets and 2900 bytes to the server, 4 packets and 9000 bytes to the client. */
function busyFlow(): Flow {
  const flow = new Flow();
  flow.pktsToServer = 10;
  flow.pktsToClient = 4;
  flow.bytesToServer = 2900;
  flow.bytesToClient = 9000;
  // First packet at 100.9 s, current at 121.1 s: 20.2 s apart, 21 in whole seconds.
  flow.startUs = 100_900_000;
  flow.lastUs = 121_100_000;
  return flow;
}

function matches(options: string, flow: Flow | null): boolean {
  const loaded = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'flow.rules');
  assert.deepEqual(loaded.diagnostics.map((d) => d.message), []);
  const p = createTestPacket();
  return loaded.signatures[0].packetMatches.every((m) => m.match(p, flow, ctx));
}

function errorOf(options: string): string {
  const loaded = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'flow.rules');
  return loaded.diagnostics.map((d) => d.message).join('; ');
}

test('flow.pkts with direction', () => {
  const flow = busyFlow();
  assert.equal(matches('flow.pkts:toserver,10;', flow), true);
  assert.equal(matches('flow.pkts:toserver,=10;', flow), true);
  assert.equal(matches('flow.pkts:toclient,10;', flow), false);
  assert.equal(matches('flow.pkts:toclient,<5;', flow), true);
  assert.equal(matches('flow.pkts:either,4;', flow), true);
  assert.equal(matches('flow.pkts:either,>20;', flow), false);
});

test('flow.bytes with direction', () => {
  const flow = busyFlow();
  assert.equal(matches('flow.bytes:toserver,<3000;', flow), true);
  assert.equal(matches('flow.bytes:toclient,>8000;', flow), true);
  assert.equal(matches('flow.bytes:toclient,<3000;', flow), false);
  assert.equal(matches('flow.bytes:either,>3000;', flow), true);
  assert.equal(matches('flow.bytes:either,>9000;', flow), false);
});

test('one-direction counter keywords', () => {
  const flow = busyFlow();
  assert.equal(matches('flow.pkts_toserver:10;', flow), true);
  assert.equal(matches('flow.pkts_toclient:4;', flow), true);
  assert.equal(matches('flow.pkts_toclient:10;', flow), false);
  assert.equal(matches('flow.bytes_toserver:2900;', flow), true);
  assert.equal(matches('flow.bytes_toclient:>8000;', flow), true);
  assert.equal(matches('flow.bytes_toclient:<8000;', flow), false);
});

test('flow.age in whole seconds', () => {
  const flow = busyFlow();
  assert.equal(matches('flow.age:21;', flow), true);
  assert.equal(matches('flow.age:>20;', flow), true);
  assert.equal(matches('flow.age:20;', flow), false);
});

test('counter keywords need a flow', () => {
  assert.equal(matches('flow.pkts:either,>=0;', null), false);
  assert.equal(matches('flow.bytes_toserver:>=0;', null), false);
  assert.equal(matches('flow.age:>=0;', null), false);
});

test('flow counter invalid values', () => {
  assert.equal(
    errorOf('flow.pkts:10;'),
    "flow.pkts: '10' has no direction (expected toserver, toclient or either, then a comma and the comparison)",
  );
  assert.equal(errorOf('flow.bytes:both,10;'), "flow.bytes: direction 'both' is not valid (expected toserver, toclient or either)");
  assert.equal(errorOf('flow.pkts_toserver:4294967296;'), "flow.pkts_toserver: '4294967296' is above the maximum 4294967295");
  assert.match(errorOf('flow.age:old;'), /^flow.age: 'old' is not a valid integer comparison/);
});
