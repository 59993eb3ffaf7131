import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetworkSet } from './network-set.js';
import { parseIpv4 } from './synthetic-packet.js';

const NO_BYTES = new Uint8Array(16);

function ipv6(groups: number[]): Uint8Array {
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    out[i * 2] = group >>> 8;
    out[i * 2 + 1] = group & 0xff;
  });
  return out;
}

test('network set ipv4 prefix edges', () => {
  // 198.51.100.0/25 holds .0 to .127.
  const set = new NetworkSet(['198.51.100.0/25', '203.0.113.7']);
  assert.equal(set.contains(4, parseIpv4('198.51.100.0'), NO_BYTES), true);
  assert.equal(set.contains(4, parseIpv4('198.51.100.127'), NO_BYTES), true);
  assert.equal(set.contains(4, parseIpv4('198.51.100.128'), NO_BYTES), false);
  assert.equal(set.contains(4, parseIpv4('203.0.113.7'), NO_BYTES), true);
  assert.equal(set.contains(4, parseIpv4('203.0.113.8'), NO_BYTES), false);
});

test('network set zero prefix matches all', () => {
  const set = new NetworkSet(['0.0.0.0/0']);
  assert.equal(set.contains(4, parseIpv4('255.255.255.255'), NO_BYTES), true);
  assert.equal(set.contains(6, 0, ipv6([0x2001, 0xdb8])), false, 'an IPv4 network holds no IPv6 address');
});

test('network set ipv6 prefix edges', () => {
  // 2001:db8:1::/48 holds 2001:db8:1:0:: to 2001:db8:1:ffff:...; /68 cuts
  // inside the fifth group: 2001:db8:2:0:0xxx.
  const set = new NetworkSet(['2001:db8:1::/48', '2001:db8:2::/68']);
  assert.equal(set.contains(6, 0, ipv6([0x2001, 0xdb8, 1, 0xffff, 0, 0, 0, 1])), true);
  assert.equal(set.contains(6, 0, ipv6([0x2001, 0xdb8, 2, 0, 0x0fff, 0, 0, 1])), true);
  assert.equal(set.contains(6, 0, ipv6([0x2001, 0xdb8, 2, 0, 0x1000, 0, 0, 1])), false);
  assert.equal(set.contains(6, 0, ipv6([0x2001, 0xdb8, 3, 0, 0, 0, 0, 1])), false);
});

test('network set lists invalid entries', () => {
  assert.throws(() => new NetworkSet(['198.51.100.0/24', 'lan', '2001:db8::/129']), /invalid networks 'lan', '2001:db8::\/129'/);
  assert.equal(new NetworkSet([]).isEmpty(), true);
});
