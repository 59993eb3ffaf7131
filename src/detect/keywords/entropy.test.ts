import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntropyMatch, EntropyOperator, matchEntropy, parseEntropy, shannonEntropy } from './entropy.js';
import { InspectContext } from '../inspect-context.js';
import { Flow } from '../../flow/flow.js';
import { loadRulesFromText } from '../rule-files.js';

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

test('shannon entropy by hand', () => {
  // Two symbols at p = 1/2 give 1 bit; four at 1/4 give 2 bits; one symbol gives 0.
  assert.equal(shannonEntropy(bytes('aabb'), 0, 4), 1);
  assert.equal(shannonEntropy(bytes('abcd'), 0, 4), 2);
  assert.equal(shannonEntropy(bytes('aaaa'), 0, 4), 0);
  assert.equal(shannonEntropy(Uint8Array.from({ length: 256 }, (_, i) => i), 0, 256), 8);
  // Only the given range counts: "xxabcd" from offset 2.
  assert.equal(shannonEntropy(bytes('xxabcd'), 2, 4), 2);
  assert.equal(shannonEntropy(bytes(''), 0, 0), 0);
});

test('entropy options', () => {
  assert.deepEqual(parseEntropy('value > 4'), { bytes: 0, offset: 0, operator: EntropyOperator.GT, value: 4, high: 4 });
  assert.deepEqual(parseEntropy('offset 10, value >4.14'), { bytes: 0, offset: 10, operator: EntropyOperator.GT, value: 4.14, high: 4.14 });
  assert.deepEqual(parseEntropy('value 4-5, bytes 20'), { bytes: 20, offset: 0, operator: EntropyOperator.RANGE, value: 4, high: 5 });
  assert.deepEqual(parseEntropy('value !4-5'), { bytes: 0, offset: 0, operator: EntropyOperator.NOT_RANGE, value: 4, high: 5 });
  assert.deepEqual(parseEntropy('value 7.01'), { bytes: 0, offset: 0, operator: EntropyOperator.EQ, value: 7.01, high: 7.01 });
  assert.equal(parseEntropy('offset 1'), "'value' is missing (expected value <op><x>)");
  assert.equal(parseEntropy('value 9'), "value '9' is above the maximum entropy 8");
  assert.equal(parseEntropy('value 5-4'), "range '5-4' must have its low end below its high end");
  assert.equal(parseEntropy('value ~4'), "value '~4' is invalid (expected [op]<x> with op one of = != < <= > >=, or [!]<x>-<y>)");
  assert.equal(parseEntropy('value 4, value 5'), "option 'value' is given more than once");
});

test('entropy comparisons', () => {
  const ctx = new InspectContext();
  const data = bytes('abcd');
  const cases: [number, number, number, boolean][] = [
    [EntropyOperator.EQ, 2, 2, true],
    [EntropyOperator.NE, 2, 2, false],
    [EntropyOperator.LT, 2, 2, false],
    [EntropyOperator.LE, 2, 2, true],
    [EntropyOperator.GT, 1.5, 1.5, true],
    [EntropyOperator.GE, 2.5, 2.5, false],
    // Ranges exclude both ends.
    [EntropyOperator.RANGE, 1, 3, true],
    [EntropyOperator.RANGE, 2, 3, false],
    [EntropyOperator.NOT_RANGE, 2, 3, true],
    [EntropyOperator.NOT_RANGE, 1, 3, false],
  ];
  for (const [operator, value, high, expected] of cases) {
    const m = new EntropyMatch(0, 0, operator, value, high, 'pkt_data');
    assert.equal(matchEntropy(m, data, 0, data.length, ctx), expected, `operator ${operator} ${value} ${high}`);
  }
});

test('entropy offset and bytes', () => {
  const ctx = new InspectContext();
  const data = bytes('aaaaabcd');
  assert.equal(matchEntropy(new EntropyMatch(0, 4, EntropyOperator.EQ, 2, 2, 'pkt_data'), data, 0, data.length, ctx), true);
  assert.equal(matchEntropy(new EntropyMatch(2, 0, EntropyOperator.EQ, 0, 0, 'pkt_data'), data, 0, data.length, ctx), true);
  assert.equal(matchEntropy(new EntropyMatch(0, 8, EntropyOperator.LE, 8, 8, 'pkt_data'), data, 0, data.length, ctx), false);
  assert.equal(matchEntropy(new EntropyMatch(9, 0, EntropyOperator.LE, 8, 8, 'pkt_data'), data, 0, data.length, ctx), false);
});

test('entropy recorded on flow', () => {
  const ctx = new InspectContext();
  const flow = new Flow();
  ctx.flow = flow;
  const m = new EntropyMatch(0, 0, EntropyOperator.GT, 5, 5, 'file_data');
  // The value is recorded even when the comparison fails.
  assert.equal(matchEntropy(m, bytes('aabb'), 0, 4, ctx), false);
  assert.deepEqual([...(flow.entropyByBuffer ?? [])], [['file_data', 1]]);
  flow.reset();
  assert.equal(flow.entropyByBuffer, null);
});

test('entropy key from buffer name', () => {
  const loaded = loadRulesFromText('alert http any any -> any any (file.data; to_lowercase; entropy:value > 1; sid:1;)', 'test.rules');
  assert.deepEqual(loaded.diagnostics.map((d) => d.message), []);
  const inspection = loaded.signatures[0]?.buffers[0];
  assert.equal(inspection?.buffer, 'file.data|to_lowercase');
  assert.equal((inspection?.matches[0] as EntropyMatch).bufferKey, 'file_data');
});
