import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMultiUintValue, type MultiUintValue } from './multi-uint.js';

function parse(text: string): MultiUintValue {
  const v = parseMultiUintValue(text, 255);
  assert.ok(typeof v !== 'string', String(v));
  return v;
}

test('multi-uint subslice examples', () => {
  // The subslices of [1,2,3,4,5,6] that Suricata's integer keyword docs list.
  const list = [1, 2, 3, 4, 5, 6];
  const subsliceOf = (slice: string): number[] => list.filter((v) => parse(`${v},any,${slice}`).matches(list));
  assert.deepEqual(subsliceOf('2:4'), [3, 4]);
  assert.deepEqual(subsliceOf('-4:-1'), [3, 4, 5]);
  assert.deepEqual(subsliceOf('3:-1'), [4, 5]);
  assert.deepEqual(subsliceOf('-4:4'), [3, 4]);
  // An index out of bounds leaves an empty subslice.
  assert.deepEqual(subsliceOf('2:7'), []);
  assert.deepEqual(subsliceOf('-7:2'), []);
});

test('multi-uint empty list', () => {
  assert.equal(parse('1').matches([]), false);
  assert.equal(parse('1,all').matches([]), false);
  assert.equal(parse('1,all_or_absent').matches([]), true);
  assert.equal(parse('1,or_absent').matches([]), true);
  assert.equal(parse('1,0').matches([]), false);
  assert.equal(parse('1,oob_or 0').matches([]), true);
  assert.equal(parse('count 0').matches([]), true);
});

test('multi-uint all and match count', () => {
  assert.equal(parse('>2,all').matches([3, 4, 5]), true);
  assert.equal(parse('>2,all').matches([3, 2, 5]), false);
  assert.equal(parse('>2,all_or_absent').matches([3, 2, 5]), false);
  assert.equal(parse('>2,nb>=2').matches([3, 2, 5]), true);
  assert.equal(parse('>2,nb3').matches([3, 2, 5]), false);
  assert.equal(parse('!2,-1').matches([2, 2, 5]), true);
  assert.equal(parse('!2,-3').matches([2, 2, 5]), false);
});

test('multi-uint bad values', () => {
  assert.equal(parseMultiUintValue('1,first', 255), "'first' is not a valid index (expected any, all, all_or_absent, or_absent, nb with a comparison, oob_or N, or an integer)");
  assert.equal(parseMultiUintValue('1,0,2-4', 255), "'2-4' is not a valid subslice (expected start:end, such as 2:4 or -4:-1)");
  assert.equal(parseMultiUintValue('1,0,1:2,3', 255), "'1,0,1:2,3' has more than three parts (expected value[,index[,start:end]])");
  assert.equal(parseMultiUintValue('300,0', 255), "'300' is above the maximum 255");
});
