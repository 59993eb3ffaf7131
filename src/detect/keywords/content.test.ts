import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContentValue, ContentMatch } from './content.js';
import { buildSignature } from '../test-support/signature-builder.js';

function bytesOf(value: string): number[] {
  const r = parseContentValue(value);
  assert.equal(r.ok, true, `parse of ${value} failed`);
  return r.ok ? [...r.bytes] : [];
}

test('content escapes and hex runs', () => {
  assert.deepEqual(bytesOf('"a|42 43|d"'), [0x61, 0x42, 0x43, 0x64]);
  assert.deepEqual(bytesOf('"|4142|"'), [0x41, 0x42]);
  assert.deepEqual(bytesOf('"\\"\\;\\\\\\:"'), [0x22, 0x3b, 0x5c, 0x3a]);
  assert.deepEqual(bytesOf('"é"'), [0xc3, 0xa9]);
  assert.deepEqual(bytesOf('abc'), [0x61, 0x62, 0x63]);
});

test('content negation parsed', () => {
  const r = parseContentValue('!"abc"');
  assert.equal(r.ok && r.isNegated, true);
  const spaced = parseContentValue('! "abc"');
  assert.equal(spaced.ok && spaced.isNegated, true);
});

test('content bad values rejected', () => {
  const cases: [string, RegExp][] = [
    ['"|4|"', /one digit/],
    ['"|4g|"', /'g' is not a hex digit/],
    ['"|41"', /missing its closing \|/],
    ['"a\\x"', /not a valid escape/],
    ['"a"b"', /must be escaped/],
    ['""', /empty/],
    ['"abc', /closing quote/],
  ];
  for (const [value, message] of cases) {
    const r = parseContentValue(value);
    assert.equal(r.ok, false, value);
    if (!r.ok) assert.match(r.message, message, value);
  }
});

test('content modifiers set fields', () => {
  const { sig, errors } = buildSignature('content:"abcd"; nocase; offset:2; depth:6; fast_pattern:1,2;');
  assert.deepEqual(errors, []);
  const c = sig.buffers[0].matches[0] as ContentMatch;
  assert.equal(c.isNocase, true);
  assert.equal(c.offset, 2);
  assert.equal(c.depth, 6);
  assert.equal(c.fastPatternChopOffset, 1);
  assert.equal(c.fastPatternChopLength, 2);
});

test('content modifier conflicts rejected', () => {
  const cases: [string, string][] = [
    ['nocase;', 'KAPU_ERR_RULE_NO_PREVIOUS_CONTENT'],
    ['content:"a"; nocase; nocase;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"a"; content:"b"; distance:1; depth:3;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"a"; content:"b"; offset:1; within:3;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"abc"; depth:2;', 'KAPU_ERR_RULE_BAD_VALUE'],
    ['content:"a"; content:"abc"; within:2;', 'KAPU_ERR_RULE_BAD_VALUE'],
    ['content:"a"; depth:1; depth:1;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"a"; startswith; offset:1;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"a"; offset:nope;', 'KAPU_ERR_RULE_UNKNOWN_VARIABLE'],
    ['content:!"a"; fast_pattern:only;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"a"; fast_pattern; content:"b"; fast_pattern;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"abc"; fast_pattern:2,2;', 'KAPU_ERR_RULE_BAD_VALUE'],
    ['content:"abc"; fast_pattern:x;', 'KAPU_ERR_RULE_BAD_VALUE'],
    ['content:"abc"; fast_pattern:only; depth:3;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"a"; endswith; endswith;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS'],
    ['content:"a"; offset:1048577;', 'KAPU_ERR_RULE_BAD_VALUE'],
  ];
  for (const [body, code] of cases) {
    const { errors } = buildSignature(body);
    assert.equal(errors.length, 1, `${body}: ${JSON.stringify(errors)}`);
    assert.equal(errors[0].code, code, body);
  }
});

test('content modifier error message', () => {
  const { errors } = buildSignature('content:"abc"; depth:2;');
  assert.equal(errors[0].message, "depth: '2' is smaller than the content length 3");
});

test('rawbytes accepted without effect', () => {
  const { sig, errors } = buildSignature('content:"a"; rawbytes;');
  assert.deepEqual(errors, []);
  assert.equal(sig.buffers[0].matches.length, 1);
});

test('bsize bad values rejected', () => {
  for (const value of ['x', '4<>2', '<0', '>=', '1<>']) {
    const { errors } = buildSignature(`bsize:${value};`);
    assert.equal(errors.length, 1, value);
    assert.equal(errors[0].code, 'KAPU_ERR_RULE_BAD_VALUE', value);
  }
  const { errors } = buildSignature('content:"longer string"; bsize:<10;');
  assert.equal(errors[0].message, "bsize: '<10' allows at most 9 bytes, but a content of the buffer is 13 bytes long");
});
