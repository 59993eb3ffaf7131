import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../../core/packet.js';
import { Flow } from '../../flow/flow.js';
import { makePacket } from '../../flow/test-packet.js';
import { AlertQueue, DetectEngine } from '../detect-engine.js';
import { attachHostTables, HostTables, hostTablesOf } from '../host-table.js';
import { loadRulesFromText } from '../rule-files.js';
import type { DetectThreadContext, Signature } from '../signature.js';
import { XBIT_EXPIRE_DEFAULT_S } from './xbits.js';

const T0_US = 1_700_000_000_000_000;
const US_PER_S = 1_000_000;

function newContext(): DetectThreadContext {
  return { byteVars: new Float64Array(0) };
}

function load(text: string): Map<number, Signature> {
  const result = loadRulesFromText(text, 'x.rules');
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return new Map(result.signatures.map((sig) => [sig.sid, sig]));
}

function errorOf(options: string): string {
  const result = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'x.rules');
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ');
}

function run(sig: Signature | undefined, p: Packet, ctx: DetectThreadContext): boolean {
  assert.ok(sig);
  const flow = new Flow();
  for (const m of sig.packetMatches) if (!m.match(p, flow, ctx)) return false;
  let alerts = !sig.isNoAlert;
  for (const m of sig.postMatches) if (!m.apply(p, flow, ctx)) alerts = false;
  return alerts;
}

function packet(src: string, dst: string, timestampUs = T0_US): Packet {
  return makePacket({ src, dst, srcPort: 1111, dstPort: 2222, proto: 17, timestampUs });
}

test('xbits ip_pair in both directions', () => {
  const sigs = load(`
alert udp any any -> any any (xbits:set,login,track ip_pair; sid:1;)
alert udp any any -> any any (xbits:isset,login,track ip_pair; sid:2;)
alert udp any any -> any any (xbits:isnotset,login,track ip_pair; sid:3;)
`);
  const ctx = newContext();
  assert.equal(run(sigs.get(1), packet('198.51.100.1', '203.0.113.9'), ctx), true);
  assert.equal(run(sigs.get(2), packet('203.0.113.9', '198.51.100.1'), ctx), true);
  assert.equal(run(sigs.get(3), packet('203.0.113.9', '198.51.100.1'), ctx), false);
  // One address in common is another pair.
  assert.equal(run(sigs.get(2), packet('198.51.100.1', '203.0.113.10'), ctx), false);
  assert.equal(run(sigs.get(3), packet('198.51.100.1', '203.0.113.10'), ctx), true);
});

test('xbits ipv6 pair ignores ipv4 pair', () => {
  // The hashaf-ippair-v4-v6-collision case: the IPv6 words equal the IPv4
  // address words, and every pair shares one hash bucket.
  const sigs = load(`
alert ipv4 any any -> any any (xbits:set,hashaf.ippair,track ip_pair; sid:9100011;)
alert ipv6 any any -> any any (xbits:isset,hashaf.ippair,track ip_pair; sid:9100012;)
`);
  const ctx = newContext();
  attachHostTables(ctx, new HostTables({
    host: { memcapBytes: 1 << 20, hashSize: 1 },
    ippair: { memcapBytes: 1 << 20, hashSize: 1 },
  }));
  assert.equal(run(sigs.get(9100011), packet('1.2.3.4', '5.6.7.8'), ctx), true);
  assert.equal(run(sigs.get(9100012), packet('102:304::', '506:708::'), ctx), false);
  assert.equal(hostTablesOf(ctx).pairs.counters.active, 1);
});

test('xbits expire option and default', () => {
  const sigs = load(`
alert udp any any -> any any (xbits:set,short,track ip_src,expire 5; sid:1;)
alert udp any any -> any any (xbits:isset,short,track ip_src; sid:2;)
alert udp any any -> any any (xbits:set,plain,track ip_dst; sid:3;)
alert udp any any -> any any (xbits:isset,plain,track ip_src; sid:4;)
`);
  const ctx = newContext();
  run(sigs.get(1), packet('198.51.100.1', '203.0.113.9'), ctx);
  assert.equal(run(sigs.get(2), packet('198.51.100.1', '203.0.113.7', T0_US + 5 * US_PER_S), ctx), true);
  assert.equal(run(sigs.get(2), packet('198.51.100.1', '203.0.113.7', T0_US + 5 * US_PER_S + 1), ctx), false);

  // Set on the server by a request, tested on the source of its reply.
  run(sigs.get(3), packet('198.51.100.1', '203.0.113.9'), ctx);
  const boundaryUs = T0_US + XBIT_EXPIRE_DEFAULT_S * US_PER_S;
  assert.equal(run(sigs.get(4), packet('203.0.113.9', '198.51.100.1', boundaryUs), ctx), true);
  assert.equal(run(sigs.get(4), packet('203.0.113.9', '198.51.100.1', boundaryUs + 1), ctx), false);
});

test('xbits host tracking shares hostbits', () => {
  const sigs = load(`
alert udp any any -> any any (xbits:set,bad,track ip_src; sid:1;)
alert udp any any -> any any (hostbits:isset,bad,src; sid:2;)
alert udp any any -> any any (xbits:isset,bad,track ip_pair; sid:3;)
`);
  const ctx = newContext();
  run(sigs.get(1), packet('198.51.100.1', '203.0.113.9'), ctx);
  assert.equal(run(sigs.get(2), packet('198.51.100.1', '203.0.113.9'), ctx), true);
  // Pair bits are a separate name space.
  assert.equal(run(sigs.get(3), packet('198.51.100.1', '203.0.113.9'), ctx), false);
});

test('xbits toggle unset and noalert', () => {
  const sigs = load(`
alert udp any any -> any any (xbits:toggle,t,track ip_pair,expire 60; xbits:noalert; sid:1;)
alert udp any any -> any any (xbits:isset,t,track ip_pair; sid:2;)
alert udp any any -> any any (xbits:unset,t,track ip_pair; sid:3;)
`);
  const ctx = newContext();
  const p = packet('198.51.100.1', '203.0.113.9');
  assert.equal(run(sigs.get(1), p, ctx), false);
  assert.equal(run(sigs.get(2), p, ctx), true);
  assert.equal(run(sigs.get(3), p, ctx), true);
  assert.equal(run(sigs.get(2), p, ctx), false);
});

test('xbits option order and spacing', () => {
  assert.equal(errorOf('xbits:set,a,expire 10,track ip_pair;'), '');
  assert.equal(errorOf('xbits:set, a, track ip_src, expire 3600;'), '');
});

test('xbits setup errors', () => {
  const trackers = '(expected track ip_src, ip_dst or ip_pair)';
  assert.equal(errorOf('xbits:set,a;'), `xbits: 'set,a' has no tracker ${trackers}`);
  assert.equal(errorOf('xbits:set,a,track nonsense,expire 3600;'), "xbits: 'nonsense' is not an xbits tracker (expected ip_src, ip_dst or ip_pair)");
  assert.equal(errorOf('xbits:set,a,track ip_src,expire 0;'), 'xbits: expire \'0\' is invalid (expected whole seconds from 1 to 4294967295)');
  assert.equal(errorOf('xbits:set,a,track ip_src,expire -1;'), 'xbits: expire \'-1\' is invalid (expected whole seconds from 1 to 4294967295)');
  assert.equal(errorOf('xbits:set,a,track ip_src,track ip_dst;'), "xbits: 'track' is given twice");
  assert.equal(errorOf('xbits:set,a,track ip_src,ttl 3;'), "xbits: 'ttl 3' is not an xbits option (expected track <ip_src|ip_dst|ip_pair> and expire <seconds>)");
  assert.equal(errorOf('xbits:set,a,track tx;'), "xbits: 'track tx' is not supported yet (app-layer transactions are not tracked)");
  assert.equal(errorOf('xbits:alert;'), "xbits: 'alert' is not an xbits action (expected set, unset, toggle, isset or isnotset, a name and track <ip_src|ip_dst|ip_pair>, or noalert)");
  assert.equal(errorOf('xbits:noalert,a;'), "xbits: 'noalert' takes no name, found 'a'");
});

test('xbits through the detection engine', () => {
  const rules = `
alert ipv4 any any -> any any (xbits:set,pair,track ip_pair; sid:1;)
alert ipv6 any any -> any any (xbits:isset,pair,track ip_pair; sid:2;)
alert ip any any -> any any (xbits:isset,pair,track ip_pair; sid:3;)
`;
  const first = new DetectEngine(loadRulesFromText(rules, 'x.rules').signatures);
  const second = new DetectEngine(loadRulesFromText(rules, 'x.rules').signatures);
  const alerts = new AlertQueue();
  const sidsOf = (queue: AlertQueue): number[] => queue.sigs.slice(0, queue.count).map((sig) => (sig as Signature).sid);

  first.inspectPacket(packet('1.2.3.4', '5.6.7.8'), null, alerts);
  // sid 3 runs after sid 1 set the bit on this same packet.
  assert.deepEqual(sidsOf(alerts), [1, 3]);

  alerts.clear();
  first.inspectPacket(packet('102:304::', '506:708::'), null, alerts);
  assert.deepEqual(sidsOf(alerts), []);

  alerts.clear();
  first.inspectPacket(packet('5.6.7.8', '1.2.3.4'), null, alerts);
  assert.deepEqual(sidsOf(alerts), [1, 3]);

  // Another engine (another run) starts with empty tables.
  assert.equal(hostTablesOf(first.ctx).pairs.counters.active, 1);
  assert.equal(hostTablesOf(second.ctx).pairs.counters.active, 0);
  alerts.clear();
  second.inspectPacket(packet('5.6.7.8', '1.2.3.4'), null, alerts);
  assert.deepEqual(sidsOf(alerts), [1, 3]);
});
