import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TopAddressBank } from './top-addresses.js';
import { parseIpv4 } from './synthetic-packet.js';

const NONE = new Uint8Array(16);

test('misra-gries keeps the frequent address', () => {
  const bank = new TopAddressBank(2, 2);
  const a = parseIpv4('198.51.100.1');
  const b = parseIpv4('198.51.100.2');
  const c = parseIpv4('198.51.100.3');
  // Row 0: a x5, b x2, then c x1: c finds no free counter, so every count
  // loses min(2, 1) = 1: a 4, b 1, and c is not kept.
  for (let i = 0; i < 5; i++) bank.add(0, 4, a, NONE, 1);
  bank.add(0, 4, b, NONE, 2);
  bank.add(0, 4, c, NONE, 1);
  assert.deepEqual(bank.list(0), [{ ip: '198.51.100.1', count: 4 }, { ip: '198.51.100.2', count: 1 }]);
  // c with weight 3: cut min(1, 3) = 1 frees b's counter; c keeps 3 - 1 = 2.
  bank.add(0, 4, c, NONE, 3);
  assert.deepEqual(bank.list(0), [{ ip: '198.51.100.1', count: 3 }, { ip: '198.51.100.3', count: 2 }]);
  assert.deepEqual(bank.list(1), [], 'rows are apart');
  assert.equal(bank.addressAt(bank.topIndex(0)), '198.51.100.1');
  bank.clear(0);
  assert.equal(bank.topIndex(0), -1);
});

test('misra-gries holds ipv6 addresses', () => {
  const bank = new TopAddressBank(1, 2);
  const addr = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
  bank.add(0, 6, 0, addr, 1);
  bank.add(0, 6, 0, addr, 1);
  assert.deepEqual(bank.list(0), [{ ip: '2001:db8::7', count: 2 }]);
});
