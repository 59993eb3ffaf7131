import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../../core/packet.js';
import { Flow } from '../../flow/flow.js';
import { makePacket } from '../../flow/test-packet.js';
import { renderDiagnostic } from '../diagnostics.js';
import { hostTablesOf } from '../host-table.js';
import { loadRulesFromText } from '../rule-files.js';
import type { DetectThreadContext, Signature } from '../signature.js';
import { HOSTBIT_EXPIRE_S } from './hostbits.js';

const T0_US = 1_700_000_000_000_000;
const US_PER_S = 1_000_000;

function newContext(): DetectThreadContext {
  return { byteVars: new Float64Array(0) };
}

/** Loads rules that must load without errors, by sid. */
function load(text: string): Map<number, Signature> {
  const result = loadRulesFromText(text, 'h.rules');
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return new Map(result.signatures.map((sig) => [sig.sid, sig]));
}

function errorOf(options: string): string {
  const result = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'h.rules');
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ');
}

/** Runs a signature as the engine does: packet matchers, then post matchers; returns whether it alerts. */
function run(sig: Signature | undefined, p: Packet, ctx: DetectThreadContext, flow: Flow | null = new Flow()): boolean {
  assert.ok(sig);
  for (const m of sig.packetMatches) if (!m.match(p, flow, ctx)) return false;
  let alerts = !sig.isNoAlert;
  for (const m of sig.postMatches) if (!m.apply(p, flow, ctx)) alerts = false;
  return alerts;
}

function packet(src: string, dst: string, timestampUs = T0_US, srcPort = 40000, dstPort = 80): Packet {
  return makePacket({ src, dst, srcPort, dstPort, timestampUs });
}

test('hostbits across flows of one host', () => {
  const sigs = load(`
alert tcp any any -> any any (hostbits:set,seen,src; hostbits:noalert; sid:1;)
alert tcp any any -> any any (hostbits:isset,seen,src; sid:2;)
alert tcp any any -> any any (hostbits:isset,seen,dst; sid:3;)
`);
  const ctx = newContext();
  const client = '198.51.100.10';
  assert.equal(run(sigs.get(2), packet(client, '203.0.113.1'), ctx), false);
  assert.equal(run(sigs.get(1), packet(client, '203.0.113.1'), ctx), false);

  // A new flow, to another server, from another port, with a new Flow object.
  const later = packet(client, '203.0.113.50', T0_US + US_PER_S, 51000, 443);
  assert.equal(run(sigs.get(2), later, ctx), true);
  assert.equal(run(sigs.get(3), later, ctx), false);
  // The reply direction carries the bit on its destination.
  assert.equal(run(sigs.get(3), packet('203.0.113.50', client, T0_US + US_PER_S, 443, 51000), ctx), true);
  // Another client has no bit.
  assert.equal(run(sigs.get(2), packet('198.51.100.11', '203.0.113.1'), ctx), false);
});

test('hostbits default to the source', () => {
  const sigs = load(`
alert ip any any -> any any (hostbits:set,a; sid:1;)
alert ip any any -> any any (hostbits:isset,a,src; sid:2;)
alert ip any any -> any any (hostbits:isnotset,a,dst; sid:3;)
`);
  const ctx = newContext();
  const p = packet('198.51.100.10', '203.0.113.1');
  assert.equal(run(sigs.get(1), p, ctx), true);
  assert.equal(run(sigs.get(2), p, ctx), true);
  assert.equal(run(sigs.get(3), p, ctx), true);
});

test('hostbits expire after 300 seconds', () => {
  const sigs = load(`
alert ip any any -> any any (hostbits:set,a; sid:1;)
alert ip any any -> any any (hostbits:isset,a; sid:2;)
`);
  const ctx = newContext();
  run(sigs.get(1), packet('198.51.100.10', '203.0.113.1'), ctx);
  const boundaryUs = T0_US + HOSTBIT_EXPIRE_S * US_PER_S;
  assert.equal(run(sigs.get(2), packet('198.51.100.10', '203.0.113.1', boundaryUs), ctx), true);
  assert.equal(run(sigs.get(2), packet('198.51.100.10', '203.0.113.1', boundaryUs + 1), ctx), false);
});

test('hostbits toggle and unset', () => {
  const sigs = load(`
alert ip any any -> any any (hostbits:toggle,a,dst; sid:1;)
alert ip any any -> any any (hostbits:isset,a,dst; sid:2;)
alert ip any any -> any any (hostbits:unset,a,dst; sid:3;)
`);
  const ctx = newContext();
  const p = packet('198.51.100.10', '203.0.113.1');
  run(sigs.get(1), p, ctx);
  assert.equal(run(sigs.get(2), p, ctx), true);
  run(sigs.get(1), p, ctx);
  assert.equal(run(sigs.get(2), p, ctx), false);
  run(sigs.get(1), p, ctx);
  assert.equal(run(sigs.get(3), p, ctx), true);
  assert.equal(run(sigs.get(2), p, ctx), false);
});

test('hostbits without a flow or ip', () => {
  const sigs = load(`
alert ip any any -> any any (hostbits:set,a; sid:1;)
alert ip any any -> any any (hostbits:isset,a; sid:2;)
alert ip any any -> any any (hostbits:isnotset,a; sid:3;)
`);
  const ctx = newContext();
  const p = packet('198.51.100.10', '203.0.113.1');
  // Host state needs no flow.
  assert.equal(run(sigs.get(1), p, ctx, null), true);
  assert.equal(run(sigs.get(2), p, ctx, null), true);

  const notIp = packet('198.51.100.10', '203.0.113.1');
  notIp.ipVersion = 0;
  assert.equal(run(sigs.get(2), notIp, ctx), false);
  assert.equal(run(sigs.get(3), notIp, ctx), true);
  assert.equal(run(sigs.get(1), notIp, ctx), true);
  assert.equal(hostTablesOf(ctx).hosts.counters.active, 1);
});

test('hostbits isset does not create hosts', () => {
  const sigs = load('alert ip any any -> any any (hostbits:isset,a; sid:1;)');
  const ctx = newContext();
  for (let i = 0; i < 10; i++) run(sigs.get(1), packet(`198.51.100.${i}`, '203.0.113.1'), ctx);
  assert.equal(hostTablesOf(ctx).hosts.counters.active, 0);
});

test('hostbits setup errors', () => {
  assert.equal(errorOf('hostbits:set;'), "hostbits: 'set' names no hostbit (expected set, unset, toggle, isset or isnotset, a name and optionally src or dst, or noalert)");
  assert.equal(errorOf('hostbits:flip,a;'), "hostbits: 'flip' is not a hostbits action (expected set, unset, toggle, isset or isnotset, a name and optionally src or dst, or noalert)");
  assert.equal(errorOf('hostbits:set,a,both;'), "hostbits: direction 'both' is not supported, as in Suricata 8 (expected src or dst)");
  assert.equal(errorOf('hostbits:set,a,up;'), "hostbits: 'up' is not a hostbits direction (expected src or dst)");
  assert.equal(errorOf('hostbits:set,a,src,60;'), "hostbits: 'set,a,src,60' has too many fields (expected set, unset, toggle, isset or isnotset, a name and optionally src or dst, or noalert); hostbits take no expire, xbits do");
  assert.equal(errorOf('hostbits:noalert,a;'), "hostbits: 'noalert' takes no name, found 'a'");
  assert.equal(errorOf('hostbits:set,a b;'), "hostbits: 'a b' is not a valid hostbit name (expected letters, digits and _ . - / :)");
  assert.equal(errorOf('hostbits: isset , a , dst ;'), '');
});

test('hostbits error rendered with caret', () => {
  const result = loadRulesFromText('alert ip any any -> any any (hostbits:set,a,both; sid:7;)', 'h.rules');
  assert.equal(
    renderDiagnostic(result.diagnostics[0]),
    [
      "h.rules:1:39: error: hostbits: direction 'both' is not supported, as in Suricata 8 (expected src or dst) [KAPU_ERR_RULE_UNSUPPORTED] sid:7",
      '  alert ip any any -> any any (hostbits:set,a,both; sid:7;)',
      '                                        ^^^^^^^^^^',
    ].join('\n'),
  );
});
