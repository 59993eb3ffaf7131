import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesFromText } from './rule-files.js';
import { AppInspector, partitionTxSignatures, txProtocolOf } from './app-inspect.js';
import type { Signature } from './signature.js';

function load(text: string): Signature[] {
  const result = loadRulesFromText(text, 'rules/local.rules');
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  return result.signatures;
}

test('transaction protocol by buffer', () => {
  const sigs = load(
    [
      'alert http any any -> any any (http.uri; content:"/a"; sid:1;)',
      'alert tcp any any -> any any (content:"x"; http_uri; sid:2;)',
      'alert dns any any -> any any (dns.query; content:"example"; sid:3;)',
      'alert udp any any -> any 53 (dns.opcode:0; sid:4;)',
      'alert tls any any -> any any (tls.sni; content:"example.org"; sid:5;)',
      'alert ssh any any -> any any (ssh.proto; content:"2.0"; sid:6;)',
      'alert dns any any -> any any (app-layer-event:dns.z_flag_set; sid:7;)',
      '',
    ].join('\n'),
  );
  assert.deepEqual(sigs.map((s) => txProtocolOf(s)), ['http', 'http', 'dns', 'dns', 'tls', 'ssh', 'dns']);
});

test('packet rules stay with the packet engine', () => {
  const sigs = load(
    [
      'alert tcp any any -> any 80 (content:"GET"; sid:1;)',
      'alert http any any -> any any (content:"GET"; sid:2;)',
      'alert http any any -> any any (flow:established; sid:3;)',
      'alert http any any -> any any (http.method; content:"GET"; sid:4;)',
      '',
    ].join('\n'),
  );
  const { packet, tx } = partitionTxSignatures(sigs);
  assert.deepEqual(packet.map((s) => s.sid), [1, 2, 3]);
  assert.deepEqual(tx.map((s) => s.sid), [4]);
});

test('inspector orders by action then load order', () => {
  const sigs = load(
    [
      'alert http any any -> any any (http.uri; content:"/a"; sid:1;)',
      'drop http any any -> any any (http.uri; content:"/b"; sid:2;)',
      'pass http any any -> any any (http.uri; content:"/c"; sid:3;)',
      '',
    ].join('\n'),
  );
  const inspector = new AppInspector(sigs, 15);
  assert.deepEqual(inspector.signatures.map((s) => s.sid), [3, 2, 1]);
  assert.deepEqual(inspector.skipped, []);
  assert.equal(inspector.usesPacketData, false);
});

test('inspector notes pkt_data use', () => {
  const sigs = load('alert http any any -> any any (content:"IE=Edge"; file_data; content:"IE=Edge"; sid:4;)\n');
  const inspector = new AppInspector(sigs, 15);
  assert.equal(inspector.signatures.length, 1);
  assert.equal(inspector.usesPacketData, true);
});

test('transactional header loads', () => {
  const sigs = load('alert http any any => any any (http.uri; content:"/download"; http.stat_code; content:"200"; sid:1;)\n');
  assert.equal(sigs.length, 1);
  assert.equal(sigs[0]?.isTransactional, true);
  assert.equal(txProtocolOf(sigs[0] as Signature), 'http');
});
