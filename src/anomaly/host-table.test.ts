import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostTable } from './host-table.js';

const NO_BYTES = new Uint8Array(16);

test('host table lru eviction order', () => {
  // Capacity 3: insert 1, 2, 3, touch 1, insert 4 (evicts 2), insert 5 (evicts 3).
  const table = new HostTable(3);
  const one = table.findOrInsert(4, 1, NO_BYTES);
  const two = table.findOrInsert(4, 2, NO_BYTES);
  const three = table.findOrInsert(4, 3, NO_BYTES);
  assert.equal(table.findOrInsert(4, 1, NO_BYTES), one);
  assert.equal(table.wasInserted, false);

  assert.equal(table.findOrInsert(4, 4, NO_BYTES), two);
  assert.equal(table.wasEvicted, true);
  assert.equal(table.findOrInsert(4, 5, NO_BYTES), three);
  assert.equal(table.evictions, 2);
  assert.equal(table.find(4, 2, NO_BYTES), -1);
  assert.equal(table.find(4, 3, NO_BYTES), -1);
  assert.equal(table.find(4, 1, NO_BYTES), one);
  assert.equal(table.size, 3);
});

test('host table many hosts all found', () => {
  const table = new HostTable(5000);
  for (let i = 0; i < 5000; i++) table.findOrInsert(4, 0xc6336400 + i, NO_BYTES);
  for (let i = 0; i < 5000; i++) assert.equal(table.find(4, 0xc6336400 + i, NO_BYTES), i);
  assert.equal(table.evictions, 0);
});

test('host table keeps ipv4 and ipv6 apart', () => {
  // IPv4 192.0.2.1 and IPv6 c000:201:: share their first word.
  const table = new HostTable(4);
  const v6 = new Uint8Array(16);
  v6.set([0xc0, 0x00, 0x02, 0x01]);
  const a = table.findOrInsert(4, 0xc0000201, NO_BYTES);
  const b = table.findOrInsert(6, 0, v6);
  assert.notEqual(a, b);
  assert.equal(table.addressText(a), '192.0.2.1');
  assert.equal(table.addressText(b), 'c000:201::');
});

test('host table ipv6 text compresses zeros', () => {
  // RFC 5952: the longest run of zero groups becomes ::, a single zero group stays.
  const table = new HostTable(2);
  const address = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
  const slot = table.findOrInsert(6, 0, address);
  assert.equal(table.addressText(slot), '2001:db8:0:1::1');
});
