import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressCompiler, isCompiledAddress, parseIpv6, type CompiledAddress } from './address.js';
import { PortCompiler, isCompiledPorts, type CompiledPorts } from './port.js';
import { RuleVariables } from './variables.js';

const vars = new RuleVariables();

function addr(text: string, variables = vars): CompiledAddress {
  const r = new AddressCompiler(variables).compile(text);
  if (!isCompiledAddress(r)) throw new Error(`${text}: ${r.message}`);
  return r;
}

function addrError(text: string, variables = vars): string {
  const r = new AddressCompiler(variables).compile(text);
  if (isCompiledAddress(r)) throw new Error(`${text} compiled`);
  return r.message;
}

function ports(text: string, variables = vars): CompiledPorts {
  const r = new PortCompiler(variables).compile(text);
  if (!isCompiledPorts(r)) throw new Error(`${text}: ${r.message}`);
  return r;
}

function portError(text: string): string {
  const r = new PortCompiler(vars).compile(text);
  if (isCompiledPorts(r)) throw new Error(`${text} compiled`);
  return r.message;
}

/** Dotted IPv4 to the unsigned number Packet.src4 holds. */
function v4(text: string): number {
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function v6(text: string): Uint8Array {
  const n = parseIpv6(text);
  if (n === null) throw new Error(text);
  const out = new Uint8Array(16);
  let value = n;
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

test('address any matches everything', () => {
  const a = addr('any');
  assert.equal(a.isAny, true);
  assert.equal(a.matchV4(v4('8.8.8.8')), true);
  assert.equal(a.matchV6(v6('2001:db8::1')), true);
});

test('address IPv4 CIDR bounds', () => {
  const a = addr('10.0.0.0/8');
  assert.equal(a.matchV4(v4('10.0.0.0')), true);
  assert.equal(a.matchV4(v4('10.255.255.255')), true);
  assert.equal(a.matchV4(v4('11.0.0.0')), false);
  assert.equal(a.matchV4(v4('9.255.255.255')), false);
  assert.equal(a.matchV6(v6('::a00:1')), false);
});

test('address CIDR ignores host bits', () => {
  const a = addr('192.168.1.77/24');
  assert.equal(a.matchV4(v4('192.168.1.0')), true);
  assert.equal(a.matchV4(v4('192.168.2.0')), false);
});

test('address netmask and range', () => {
  const a = addr('172.16.0.0/255.240.0.0');
  assert.equal(a.matchV4(v4('172.31.255.255')), true);
  assert.equal(a.matchV4(v4('172.32.0.0')), false);
  const r = addr('1.1.1.1-1.1.1.9');
  assert.equal(r.matchV4(v4('1.1.1.9')), true);
  assert.equal(r.matchV4(v4('1.1.1.10')), false);
  assert.equal(r.matchV4(v4('1.1.1.0')), false);
});

test('address high IPv4 values unsigned', () => {
  const a = addr('[255.255.255.255, 200.0.0.0/8]');
  assert.equal(a.matchV4(0xffffffff), true);
  assert.equal(a.matchV4(v4('200.1.2.3')), true);
  assert.equal(a.matchV4(v4('199.1.2.3')), false);
});

test('address IPv6 CIDR', () => {
  const a = addr('2001:db8::/32');
  assert.equal(a.matchV6(v6('2001:db8::1')), true);
  assert.equal(a.matchV6(v6('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')), true);
  assert.equal(a.matchV6(v6('2001:db9::')), false);
  assert.equal(a.matchV4(v4('32.1.13.184')), false);
  const mapped = addr('::ffff:10.0.0.1');
  assert.equal(mapped.matchV6(v6('::ffff:a00:1')), true);
});

test('address negation inside list', () => {
  const a = addr('[10.0.0.0/8,!10.1.0.0/16]');
  assert.equal(a.matchV4(v4('10.0.0.1')), true);
  assert.equal(a.matchV4(v4('10.1.2.3')), false);
  assert.equal(a.matchV4(v4('10.2.0.0')), true);
  assert.equal(a.matchV4(v4('11.0.0.0')), false);
});

test('address list of negations only', () => {
  const a = addr('[!1.2.3.4, !2001:db8::1]');
  assert.equal(a.matchV4(v4('1.2.3.4')), false);
  assert.equal(a.matchV4(v4('1.2.3.5')), true);
  assert.equal(a.matchV6(v6('2001:db8::1')), false);
  assert.equal(a.matchV6(v6('2001:db8::2')), true);
});

test('address negated nested list', () => {
  const a = addr('![1.0.0.0/8,[2.0.0.0/8,!2.2.0.0/16]]');
  assert.equal(a.matchV4(v4('1.5.5.5')), false);
  assert.equal(a.matchV4(v4('2.1.0.0')), false);
  assert.equal(a.matchV4(v4('2.2.0.1')), true);
  assert.equal(a.matchV4(v4('3.0.0.0')), true);
  assert.equal(a.matchV6(v6('::1')), true);
});

test('address EXTERNAL_NET default', () => {
  const a = addr('$EXTERNAL_NET');
  assert.equal(a.matchV4(v4('192.168.1.1')), false);
  assert.equal(a.matchV4(v4('172.20.0.1')), false);
  assert.equal(a.matchV4(v4('8.8.8.8')), true);
  assert.equal(a.matchV6(v6('2001:db8::1')), true);
  const home = addr('$HOME_NET');
  assert.equal(home.matchV4(v4('10.9.9.9')), true);
  assert.equal(home.matchV6(v6('2001:db8::1')), false);
});

test('address variables override and nest', () => {
  const custom = new RuleVariables({ 'address-groups': { HOME_NET: '[198.51.100.0/24,2001:db8::/32]', LAB: '[$HOME_NET,!198.51.100.7]' } });
  const lab = addr('$LAB', custom);
  assert.equal(lab.matchV4(v4('198.51.100.6')), true);
  assert.equal(lab.matchV4(v4('198.51.100.7')), false);
  assert.equal(lab.matchV6(v6('2001:db8::7')), true);
  const external = addr('$EXTERNAL_NET', custom);
  assert.equal(external.matchV4(v4('192.168.1.1')), true);
  assert.equal(external.matchV4(v4('198.51.100.1')), false);
});

test('address variable loop detected', () => {
  const looping = new RuleVariables({ 'address-groups': { A: '[$B,1.1.1.1]', B: '$A' } });
  assert.equal(addrError('$A', looping), `in variable '$A' ("[$B,1.1.1.1]"): in variable '$B' ("$A"): variable '$A' refers to itself ($A -> $B -> $A)`);
});

test('address errors name the value', () => {
  assert.equal(addrError('10.0.0.0/33'), "prefix length '/33' in '10.0.0.0/33' is invalid (expected 0 to 32)");
  assert.equal(addrError('300.1.1.1'), "'300.1.1.1' is not a valid IPv4 or IPv6 address");
  assert.equal(addrError('[1.1.1.1,!1.1.1.1]'), "address '[1.1.1.1,!1.1.1.1]' matches no address");
  assert.equal(addrError('!any'), "address '!any' matches no address");
  assert.equal(addrError('[1.1.1.1'), "missing ']' to close the list");
  assert.equal(addrError('2001:db8::/129'), "prefix length '/129' in '2001:db8::/129' is invalid (expected 0 to 128)");
});

test('ports single list range negation', () => {
  const p = ports('[80,443,8000:8100,!8080]');
  assert.equal(p.match(80), true);
  assert.equal(p.match(443), true);
  assert.equal(p.match(8000), true);
  assert.equal(p.match(8100), true);
  assert.equal(p.match(8080), false);
  assert.equal(p.match(8101), false);
  assert.equal(p.match(81), false);
});

test('ports open ranges', () => {
  const high = ports('1024:');
  assert.equal(high.match(1023), false);
  assert.equal(high.match(1024), true);
  assert.equal(high.match(65535), true);
  const low = ports(':1023');
  assert.equal(low.match(0), true);
  assert.equal(low.match(1023), true);
  assert.equal(low.match(1024), false);
});

test('ports variables and negation', () => {
  const shell = ports('$SHELLCODE_PORTS');
  assert.equal(shell.match(80), false);
  assert.equal(shell.match(81), true);
  const file = ports('$FILE_DATA_PORTS');
  assert.equal(file.match(80), true);
  assert.equal(file.match(110), true);
  assert.equal(file.match(143), true);
  assert.equal(file.match(25), false);
  const notList = ports('![1:1023,$HTTP_PORTS]');
  assert.equal(notList.match(80), false);
  assert.equal(notList.match(0), true);
  assert.equal(notList.match(1024), true);
  assert.equal(ports('any').isAny, true);
  assert.equal(ports('[0:65535]').isAny, true);
});

test('ports shared per expression', () => {
  const compiler = new PortCompiler(vars);
  assert.equal(compiler.compile('[80,81]'), compiler.compile('[80,81]'));
});

test('ports errors name the value', () => {
  assert.equal(portError('65536'), "'65536' is not a valid port (expected 0 to 65535)");
  assert.equal(portError('90:80'), "port range '90:80' ends before it starts");
  assert.equal(portError('!any'), "port '!any' matches no port");
  assert.equal(portError('$NOPE'), "unknown port variable '$NOPE'");
  assert.equal(portError('[80,]'), "expected a port, found ']'");
});
