import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSignature } from '../test-support/signature-builder.js';
import { loadRulesFromText } from '../rule-files.js';
import { ByteTestMatch, matchByteTest } from './byte-test.js';
import { DEFAULT_INSPECTION_RECURSION_LIMIT, InspectContext } from '../inspect-context.js';
import { ByteJumpMatch } from './byte-jump.js';

test('byte_test options parsed', () => {
  const { sig, errors } = buildSignature('byte_test:2, !>=, 0x10, -3, relative, little, bitmask 0x0ff0;');
  assert.deepEqual(errors, []);
  const m = sig.buffers[0].matches[0] as ByteTestMatch;
  assert.equal(m.byteCount, 2);
  assert.equal(m.isNegated, true);
  assert.equal(m.value, 16);
  assert.equal(m.offset, -3);
  assert.equal(m.isRelative, true);
  assert.equal(m.isLittleEndian, true);
  assert.equal(m.bitmask, 0x0ff0);
  assert.equal(m.bitmaskShift, 4);
});

test('byte_test offset beyond 65535', () => {
  const { sig, errors } = buildSignature('byte_test:1,=,65,214748364;');
  assert.deepEqual(errors, []);
  const m = sig.buffers[0].matches[0] as ByteTestMatch;
  assert.equal(m.offset, 214748364);
  const ctx = new InspectContext(DEFAULT_INSPECTION_RECURSION_LIMIT);
  ctx.beginPacket();
  // The payload contains 'A' (65) at offset 0 only, far before the offset.
  assert.equal(matchByteTest(m, Uint8Array.of(65, 65), 0, 2, ctx), false);
});

test('byte_jump options parsed', () => {
  const { sig, errors } = buildSignature('byte_jump:4,12,relative,multiplier 2,little,align,post_offset -4,bitmask 0xff;');
  assert.deepEqual(errors, []);
  const m = sig.buffers[0].matches[0] as ByteJumpMatch;
  assert.equal(m.multiplier, 2);
  assert.equal(m.postOffset, -4);
  assert.equal(m.isAligned, true);
});

test('byte keywords bad values rejected', () => {
  const cases: [string, string, RegExp][] = [
    ['byte_test:9,=,1,0;', 'KAPU_ERR_RULE_BAD_VALUE', /out of range \(allowed 0 to 8 without string\)/],
    ['byte_test:24,=,1,0,string,dec;', 'KAPU_ERR_RULE_BAD_VALUE', /allowed 0 to 23 with string/],
    ['byte_test:4,~,1,0;', 'KAPU_ERR_RULE_BAD_VALUE', /operator '~' is invalid/],
    ['byte_test:4,=,1;', 'KAPU_ERR_RULE_BAD_VALUE', /too few arguments/],
    ['byte_test:4,=,1,0,hex;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS', /needs the 'string' option/],
    ['byte_test:4,=,1,0,dce;', 'KAPU_ERR_RULE_UNSUPPORTED', /DCE\/RPC .* \(rule skipped\)/],
    ['byte_test:4,=,v,0;', 'KAPU_ERR_RULE_UNKNOWN_VARIABLE', /'v' names no byte_extract/],
    ['byte_jump:4,0,from_beginning,from_end;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS', /cannot be used together/],
    ['byte_jump:4,0,multiplier 0;', 'KAPU_ERR_RULE_BAD_VALUE', /multiplier '0'/],
    ['byte_jump:4,0,dce;', 'KAPU_ERR_RULE_UNSUPPORTED', /rule skipped/],
    ['byte_extract:4,0,1bad;', 'KAPU_ERR_RULE_BAD_VALUE', /variable name '1bad'/],
    ['byte_extract:4,0,v,align 3;', 'KAPU_ERR_RULE_BAD_VALUE', /align '3'/],
    ['byte_math:bytes 4, offset 0, oper &, rvalue 1, result r;', 'KAPU_ERR_RULE_BAD_VALUE', /oper '&'/],
    ['byte_math:bytes 4, offset 0, oper +, rvalue 1;', 'KAPU_ERR_RULE_BAD_VALUE', /'result' is missing/],
    ['byte_math:bytes 4, offset 70000, oper +, rvalue 1, result r;', 'KAPU_ERR_RULE_BAD_VALUE', /offset '70000'/],
    ['byte_math:bytes 4, offset 0, oper +, rvalue 1, result r, endian dce;', 'KAPU_ERR_RULE_UNSUPPORTED', /rule skipped/],
    ['byte_extract:4,0,v,string,little;', 'KAPU_ERR_RULE_CONFLICTING_OPTIONS', /cannot be combined with 'string'/],
    ['byte_extract:15,0,v,string,hex;', 'KAPU_ERR_RULE_BAD_VALUE', /too large for this number base \(maximum 14\)/],
    ['byte_test:1,=,65,2147483648;', 'KAPU_ERR_RULE_BAD_VALUE', /offset '2147483648' is out of range \(allowed -2147483648 to 2147483647\)/],
    ['isdataat:5,bogus;', 'KAPU_ERR_RULE_BAD_VALUE', /unknown option 'bogus'/],
  ];
  for (const [body, code, message] of cases) {
    const { errors } = buildSignature(body);
    assert.equal(errors.length, 1, `${body}: ${JSON.stringify(errors)}`);
    assert.equal(errors[0].code, code, body);
    assert.match(errors[0].message, message, body);
  }
});

test('relative keyword follows previous buffer', () => {
  const loaded = loadRulesFromText(
    [
      'alert tcp any any -> any any (uricontent:"this"; byte_extract:1,2,one,string,dec,relative; uricontent:"ring"; distance:one; sid:1;)',
      'alert tcp any any -> any any (content:"a"; http_uri; isdataat:!10,relative; sid:2;)',
      // Not relative: the keyword stays on the payload.
      'alert tcp any any -> any any (content:"a"; http_uri; isdataat:10; sid:3;)',
      // A sticky buffer keeps the keyword where it is.
      'alert tcp any any -> any any (content:"a"; http_uri; http.header; content:"b"; isdataat:1,relative; sid:4;)',
    ].join('\n'),
    'test.rules',
  );
  assert.deepEqual(loaded.diagnostics.map((d) => d.message), []);
  const layout = loaded.signatures.map((sig) => sig.buffers.map((inspection) => `${inspection.buffer}:${inspection.matches.map((m) => m.keyword).join(',')}`));
  assert.deepEqual(layout, [
    ['http.uri:content,byte_extract,content'],
    ['http.uri:content,isdataat'],
    ['http.uri:content', 'pkt_data:isdataat'],
    ['http.uri:content', 'http.header:content,isdataat'],
  ]);
});
