import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSignature } from '../test-support/signature-builder.js';
import { loadRulesFromText } from '../rule-files.js';
import './registry.js';
import { protectHighBytes, splitLargeRepeats, stripExtended, translatePcre, widenHexEscapes } from './pcre.js';

test('pcre unsupported by RE2 reported', () => {
  const cases: [string, RegExp][] = [
    ['pcre:"/a(?=b)/";', /cannot run on RE2: invalid perl operator: \(\?=/],
    ['pcre:"/(a)\\1/";', /cannot run on RE2: invalid escape sequence: \\1/],
    ['pcre:"/a*+/";', /cannot run on RE2: bad repetition operator: \*\+/],
    ['pcre:"/(?<=a)b/";', /cannot run on RE2/],
    ['pcre:"/(?>ab)/";', /cannot run on RE2/],
  ];
  for (const [body, message] of cases) {
    const { errors } = buildSignature(body);
    assert.equal(errors.length, 1, body);
    assert.equal(errors[0].code, 'KAPU_ERR_RULE_REGEX_NOT_SUPPORTED', body);
    assert.match(errors[0].message, message, body);
    assert.match(errors[0].message, /\(rule skipped\)$/, body);
  }
});

test('pcre http flags select buffers', () => {
  // Suricata's pcre modifiers: U http.uri, I http.uri.raw, P http.request_body,
  // Q http.response_body, H http.header, D http.header.raw, M http.method,
  // C http.cookie, S http.stat_code, Y http.stat_msg, V http.user_agent,
  // W http.host, Z http.host.raw.
  const expected: [string, string][] = [
    ['U', 'http.uri'], ['I', 'http.uri.raw'], ['P', 'http.request_body'], ['Q', 'http.response_body'],
    ['H', 'http.header'], ['D', 'http.header.raw'], ['M', 'http.method'], ['C', 'http.cookie'],
    ['S', 'http.stat_code'], ['Y', 'http.stat_msg'], ['V', 'http.user_agent'], ['W', 'http.host'], ['Z', 'http.host.raw'],
  ];
  for (const [flag, buffer] of expected) {
    const { errors, sig } = buildSignature(`content:"x"; pcre:"/a/${flag}"; content:"y";`);
    assert.equal(errors.length, 0, flag);
    assert.deepEqual(sig.buffers.map((b) => [b.buffer, b.matches.map((m) => m.keyword)]), [
      ['pkt_data', ['content', 'content']],
      [buffer, ['pcre']],
    ], flag);
  }
});

test('pcre flag inside its sticky buffer', () => {
  const same = loadRulesFromText('alert tcp any any -> any any (http.uri; content:"/a"; pcre:"/^\\d+/UR"; sid:1;)\n', 'test.rules');
  assert.equal(same.diagnostics.length, 0);
  assert.deepEqual(same.signatures[0]?.buffers.map((b) => [b.buffer, b.matches.map((m) => m.keyword)]), [['http.uri', ['content', 'pcre']]]);
  const other = loadRulesFromText('alert tcp any any -> any any (http.host; content:"a"; pcre:"/b/U"; sid:2;)\n', 'test.rules');
  assert.equal(other.diagnostics[0]?.message, "pcre: flag for http.uri cannot follow the sticky buffer 'http.host'");
});

test('pcre two http flags rejected', () => {
  const { errors } = buildSignature('pcre:"/a/UH";');
  assert.equal(errors[0]?.message, "pcre: flags select two HTTP buffers ('H' after another)");
});

test('pcre bad values rejected', () => {
  assert.equal(buildSignature('pcre:"abc";').errors[0].code, 'KAPU_ERR_RULE_BAD_VALUE');
  assert.equal(buildSignature('pcre:"/abc/q";').errors[0].message, "pcre: unknown flag 'q' (allowed: i s m x A E G R B O)");
});

test('pcre extended strip keeps classes', () => {
  assert.equal(stripExtended('a b [ c] \\  # note\nd'), 'ab[ c]\\ d');
});

test('pcre translation of dollar', () => {
  const t = translatePcre('abc$', '');
  assert.equal(t.ok && t.source, 'abc(?:\\n?\\z)');
  const e = translatePcre('abc$', 'E');
  assert.equal(e.ok && e.source, 'abc$');
  const escaped = translatePcre('abc\\$', '');
  assert.equal(escaped.ok && escaped.source, 'abc\\$');
});

test('pcre large repeats split', () => {
  assert.equal(splitLargeRepeats("[^\\x27]{1075,}"), "[^\\x27]{1000}[^\\x27]{75,}");
  assert.equal(splitLargeRepeats('a{2500}'), 'a{1000}a{1000}a{500,500}');
  assert.equal(splitLargeRepeats('\\x41{1001,1002}b{3}'), '\\x41{1000}\\x41{1,2}b{3}');
  assert.equal(splitLargeRepeats('[]a]{1001}'), '[]a]{1000}[]a]{1,1}');
  // A repeated group, or a range too wide to split, is left for RE2 to reject.
  assert.equal(splitLargeRepeats('(ab){1001}'), '(ab){1001}');
  assert.equal(splitLargeRepeats('a{1,2000}'), 'a{1,2000}');
  assert.equal(splitLargeRepeats('a{128,1024}'), 'a{128}a{0,896}');
  const { errors } = buildSignature("pcre:\"/\\x27[^\\x27]{1075,}/\";");
  assert.deepEqual(errors, []);
});

test('pcre one-digit hex escapes widened', () => {
  assert.equal(widenHexEscapes('[\\x2]'), '[\\x02]');
  assert.equal(widenHexEscapes('\\x41\\x4'), '\\x41\\x04');
  // An escaped backslash followed by x2 is not a hex escape.
  assert.equal(widenHexEscapes('\\\\x2'), '\\\\x2');
});

test('pcre high bytes kept from folding', () => {
  assert.equal(protectHighBytes('a\\xe9b'), 'a(?-i:\\xe9)b');
  assert.equal(protectHighBytes('[\\xe9]\\x41'), '[\\xe9]\\x41');
  assert.equal(protectHighBytes('[^]\\xe9]x\u00e9'), '[^]\\xe9]x(?-i:\u00e9)');
});
