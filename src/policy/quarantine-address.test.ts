import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPrefix, parsePrefix, prefixesOverlap, PrefixList, type AddressPrefix } from './quarantine-address.js';

function parsed(text: string): AddressPrefix {
  const result = parsePrefix(text);
  assert.ok(result.ok, `${text}: ${result.ok ? '' : result.message}`);
  return result.prefix;
}

function problem(text: string): string {
  const result = parsePrefix(text);
  assert.ok(!result.ok, `${text} was accepted`);
  return result.message;
}

test('ipv4 host and prefix canonical', () => {
  assert.equal(formatPrefix(parsed('198.51.100.7')), '198.51.100.7');
  assert.equal(formatPrefix(parsed('198.51.100.7/32')), '198.51.100.7');
  assert.equal(formatPrefix(parsed(' 198.51.100.0/24 ')), '198.51.100.0/24');
  assert.deepEqual(Array.from(parsed('203.0.113.9').bytes), [203, 0, 113, 9]);
});

test('ipv6 forms canonical per rfc 5952', () => {
  assert.equal(formatPrefix(parsed('2001:DB8:1:0:0:0:0:2')), '2001:db8:1::2');
  assert.equal(formatPrefix(parsed('2001:db8:1::/64')), '2001:db8:1::/64');
  assert.equal(formatPrefix(parsed('2001:0db8:0000:0000:0001:0000:0000:0001')), '2001:db8::1:0:0:1');
  // The one-group zero run stays written out (RFC 5952 section 4.2.2).
  assert.equal(formatPrefix(parsed('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1');
  assert.equal(formatPrefix(parsed('::ffff:198.51.100.7')), '::ffff:c633:6407');
  const bytes = parsed('2001:db8::2').bytes;
  assert.equal(bytes.length, 16);
  assert.equal(bytes[15], 2);
});

test('invalid addresses named with fix', () => {
  assert.match(problem('198.51.100.300'), /^'198\.51\.100\.300' is not an IPv4 or IPv6 address \(expected ADDR or ADDR\/LEN/);
  assert.match(problem('198.51.100'), /is not an IPv4 or IPv6 address/);
  assert.match(problem('010.1.1.1'), /is not an IPv4 or IPv6 address/);
  assert.match(problem('2001:db8::1::2'), /is not an IPv4 or IPv6 address/);
  assert.match(problem('2001:db8:1:2:3:4:5:6:7'), /is not an IPv4 or IPv6 address/);
  assert.match(problem('host.example'), /is not an IPv4 or IPv6 address/);
  assert.match(problem('198.51.100.1; flush ruleset'), /is not an IPv4 or IPv6 address/);
  assert.match(problem('198.51.100.0/33'), /prefix length '33' is invalid \(expected 1 to 32 for IPv4\)/);
  assert.match(problem('2001:db8::/129'), /expected 1 to 128 for IPv6/);
  assert.match(problem('198.51.100.0/24x'), /prefix length '24x' is invalid/);
});

test('host bits set names network', () => {
  assert.equal(problem('198.51.100.7/24'), "'198.51.100.7/24' has host bits set after /24; give the network 198.51.100.0/24, or the host without /24");
  assert.match(problem('2001:db8:1::2/64'), /give the network 2001:db8:1::\/64/);
});

test('every-address and unspecified refused', () => {
  assert.match(problem('0.0.0.0/0'), /covers every IPv4 address/);
  assert.match(problem('::/0'), /covers every IPv6 address/);
  assert.match(problem('0.0.0.0'), /unspecified address/);
  assert.match(problem('::'), /unspecified address/);
});

test('prefix overlap and containment', () => {
  assert.ok(prefixesOverlap(parsed('198.51.100.0/24'), parsed('198.51.100.7')));
  assert.ok(prefixesOverlap(parsed('198.51.100.7'), parsed('198.51.100.0/24')));
  assert.ok(!prefixesOverlap(parsed('198.51.100.0/25'), parsed('198.51.100.128/25')));
  assert.ok(prefixesOverlap(parsed('2001:db8:1::/64'), parsed('2001:db8:1::2')));
  assert.ok(!prefixesOverlap(parsed('2001:db8:1::/64'), parsed('2001:db8:2::2')));
  // /23 on an odd bit boundary: 198.51.100.0 to 198.51.101.255.
  assert.ok(prefixesOverlap(parsed('198.51.100.0/23'), parsed('198.51.101.9')));
  assert.ok(!prefixesOverlap(parsed('198.51.100.0/23'), parsed('198.51.102.9')));
  assert.ok(!prefixesOverlap(parsed('198.51.100.7'), parsed('::ffff:198.51.100.7')));
});

test('prefix list finds listed entry', () => {
  const list = new PrefixList([parsed('203.0.113.1'), parsed('2001:db8:2::/64')]);
  assert.equal(list.findOverlap(parsed('203.0.113.1')), list.prefixes[0]);
  assert.equal(list.findOverlap(parsed('203.0.113.0/24')), list.prefixes[0]);
  assert.equal(list.findOverlap(parsed('203.0.113.2')), null);
  assert.ok(list.contains(6, parsed('2001:db8:2::53').bytes));
  assert.ok(!list.contains(4, parsed('203.0.113.2').bytes));
});
