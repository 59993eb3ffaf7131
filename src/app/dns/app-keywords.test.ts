import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDiagnostic } from '../../detect/diagnostics.js';
import { loadRulesFromText } from '../../detect/rule-files.js';
import { DnsFieldMatch } from './detect.js';
import { MultiIndex } from '../../detect/keywords/multi-uint.js';
import { UintMode } from '../../detect/keywords/uint-value.js';
import { TlsVersionMatch } from '../tls/detect.js';
import { SshSoftwareVersionMatch } from '../ssh/detect.js';

// The rule parser does not take app-layer protocols in headers yet, so
// these rules use udp and tcp headers to load the app-layer keywords.

test('app keywords select their buffers', () => {
  const text = [
    'alert udp any any -> any any (dns_query; content:"example"; nocase; dns.answers.rrname; content:"a"; sid:1;)',
    'alert tcp any any -> any any (tls.sni; content:"a"; ja3_hash; content:"b"; ja4.hash; content:"t13"; tls.cert_subject; content:"CN="; sid:2;)',
    'alert tcp any any -> any any (ssh_proto; content:"2.0"; ssh.software; content:"OpenSSH"; sid:3;)',
  ].join('\n');
  const result = loadRulesFromText(text, 'rules/app.rules');
  assert.deepEqual(result.diagnostics.map(renderDiagnostic), []);
  const buffers = result.signatures.map((s) => s.buffers.map((b) => b.buffer));
  assert.deepEqual(buffers, [
    ['dns.query', 'dns.answers.rrname'],
    ['tls.sni', 'ja3.hash', 'ja4.hash', 'tls.cert_subject'],
    ['ssh.proto', 'ssh.software'],
  ]);
});

test('app value keywords add tx matchers', () => {
  const text = [
    'alert udp any any -> any any (dns.opcode:!0; dns.rcode:3; dns.rrtype:>10; sid:1;)',
    'alert tcp any any -> any any (tls.version:1.3; ssh.softwareversion:"PuTTY"; sid:2;)',
  ].join('\n');
  const result = loadRulesFromText(text, 'rules/app.rules');
  assert.deepEqual(result.diagnostics.map(renderDiagnostic), []);
  const [dns, other] = result.signatures;
  assert.deepEqual(dns.packetMatches.map((m) => m.keyword), ['dns.opcode', 'dns.rcode', 'dns.rrtype']);
  assert.ok(dns.packetMatches.every((m) => m instanceof DnsFieldMatch));
  assert.ok(other.packetMatches[0] instanceof TlsVersionMatch);
  assert.ok(other.packetMatches[1] instanceof SshSoftwareVersionMatch);
});

test('dns rcode and rrtype by name', () => {
  const text = 'alert udp any any -> any any (dns.rcode:nxdomain; dns.rrtype:!AAAA; dns.query.name; content:"a"; sid:1;)';
  const result = loadRulesFromText(text, 'rules/app.rules');
  assert.deepEqual(result.diagnostics.map(renderDiagnostic), []);
  const [rcode, rrtype] = result.signatures[0].packetMatches as DnsFieldMatch[];
  assert.equal(rcode.value?.a, 3);
  assert.equal(rrtype.types?.value.a, 28);
  assert.equal(rrtype.types?.value.mode, UintMode.NE);
  assert.deepEqual(result.signatures[0].buffers.map((b) => b.buffer), ['dns.queries.rrname']);
});

test('app keyword bad values reported', () => {
  const text = [
    'alert udp any any -> any any (dns.rcode:65536; sid:1;)',
    'alert tcp any any -> any any (tls.version:1.4; sid:2;)',
  ].join('\n');
  const result = loadRulesFromText(text, 'rules/app.rules');
  assert.deepEqual(result.diagnostics.map(renderDiagnostic), [
    [
      "rules/app.rules:1:41: error: dns.rcode: '65536' is above the maximum 65535 [KAPU_ERR_RULE_BAD_VALUE] sid:1",
      '  alert udp any any -> any any (dns.rcode:65536; sid:1;)',
      '                                          ^^^^^',
    ].join('\n'),
    [
      "rules/app.rules:2:43: error: tls.version: '1.4' is not a TLS version (expected 1.0, 1.1, 1.2, 1.3, 3.0, 2.0 or a 0x hex number) [KAPU_ERR_RULE_BAD_VALUE] sid:2",
      '  alert tcp any any -> any any (tls.version:1.4; sid:2;)',
      '                                            ^^^',
    ].join('\n'),
  ]);
});

test('dns rrtype index keeps any word', () => {
  // ANY is record type 255, but after the comma it is the index word.
  const text = 'alert dns any any -> any any (dns.rrtype:A,any; sid:1;)\nalert dns any any -> any any (dns.rrtype:ANY,0; sid:2;)';
  const result = loadRulesFromText(text, 'rules/dns.rules');
  assert.deepEqual(result.diagnostics.map(renderDiagnostic), []);
  const [first, second] = result.signatures.map((sig) => (sig.packetMatches[0] as DnsFieldMatch).types);
  assert.equal(first?.value.a, 1);
  assert.equal(first?.mode, MultiIndex.ANY);
  assert.equal(second?.value.a, 255);
  assert.equal(second?.mode, MultiIndex.AT);
});
