import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertQueue, DetectEngine } from '../detect-engine.js';
import { loadRulesFromText } from '../rule-files.js';
import type { Signature } from '../signature.js';
import { createTestFlow, createTestPacket } from '../test-support/packets.js';
import { selectFastPattern } from '../fast-pattern.js';
import { parseDecompressOptions, parseSubslice, parseXorOptions } from './transform-keywords.js';

function load(rules: string): ReturnType<typeof loadRulesFromText> {
  return loadRulesFromText(rules, 'test.rules');
}

/** Loads the rules, which must all load, and returns the sids that alert on each payload. */
function alerts(rules: string, payloads: readonly (string | Uint8Array)[]): number[][] {
  const loaded = load(rules);
  assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const engine = new DetectEngine(loaded.signatures);
  assert.deepEqual(engine.skipped.map((s) => s.reason), []);
  return payloads.map((payload) => {
    const out = new AlertQueue();
    engine.inspectPacket(createTestPacket({ payload }), createTestFlow(), out);
    const sids: number[] = [];
    for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
    return sids.sort((a, b) => a - b);
  });
}

function errorsOf(rule: string): string[] {
  return load(rule).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
}

test('to_lowercase on pkt_data', () => {
  const rules = 'alert tcp any any -> any any (msg:"lower"; pkt_data; to_lowercase; content:"evil"; sid:1;)';
  assert.deepEqual(alerts(rules, ['an EvIL thing', 'good']), [[1], []]);
});

test('fast pattern from transformed content', () => {
  const sig = load('alert tcp any any -> any any (pkt_data; to_lowercase; content:"evil"; sid:1;)').signatures[0];
  const fp = selectFastPattern(sig, () => true);
  assert.equal(fp?.buffer, 'pkt_data|to_lowercase');
  assert.equal(Buffer.from(fp?.bytes ?? []).toString(), 'evil');
});

test('upper case after to_lowercase rejected', () => {
  const errors = errorsOf('alert tcp any any -> any any (pkt_data; to_lowercase; content:"Evil"; sid:1;)');
  assert.deepEqual(errors, ['content: the pattern can never match after to_lowercase: the pattern has upper-case letters, which to_lowercase removes']);
  // A negated content is not checked, as in Suricata.
  assert.deepEqual(errorsOf('alert tcp any any -> any any (pkt_data; to_lowercase; content:"a"; content:!"Evil"; sid:1;)'), []);
});

test('contents checked per transform', () => {
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; to_uppercase; content:"evil"; sid:1;)').length, 1);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; strip_whitespace; content:"a b"; sid:1;)').length, 1);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; compress_whitespace; content:"a  b"; sid:1;)').length, 1);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; compress_whitespace; content:"a b"; sid:1;)').length, 0);
});

test('transform needs a buffer', () => {
  assert.deepEqual(errorsOf('alert tcp any any -> any any (content:"a"; to_lowercase; sid:1;)'), [
    'to_lowercase: a transform must follow a sticky buffer or pkt_data',
  ]);
});

test('whitespace transforms in rules', () => {
  const rules = [
    'alert tcp any any -> any any (pkt_data; strip_whitespace; content:"window.navigate("; sid:1;)',
    'alert tcp any any -> any any (pkt_data; compress_whitespace; content:"embrace holistically"; sid:2;)',
  ].join('\n');
  assert.deepEqual(alerts(rules, ['window.navigate  (', 'embrace \t\r\n holistically', 'embraceholistically']), [[1], [2], []]);
});

test('raw then transformed instance', () => {
  // The first content inspects the raw payload, the second the decoded one.
  const rules = 'alert tcp any any -> any any (pkt_data; content:"arg=Zm 9v"; from_base64:offset 4, mode rfc2045; content:"foobar"; sid:1;)';
  assert.deepEqual(alerts(rules, ['arg=Zm 9v Ym Fy', 'arg=Zm 9v Ym Fz', 'Zm9vYmFy']), [[1], [], []]);
});

test('chained transforms apply in order', () => {
  const rules = [
    'alert tcp any any -> any any (pkt_data; url_decode; to_lowercase; content:"/evil\'sqli"; sid:1;)',
    'alert tcp any any -> any any (pkt_data; dotprefix; content:".google.com"; endswith; sid:2;)',
  ].join('\n');
  assert.deepEqual(alerts(rules, ['/EVIL%27SQLI', 'maps.google.com', 'notgoogle.com']), [[1], [2], []]);
});

test('hash transform in a rule', () => {
  // SHA-256 of "abc" (FIPS 180-2).
  const rules =
    'alert tcp any any -> any any (pkt_data; to_sha256; content:"|ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad|"; sid:1;)';
  assert.deepEqual(alerts(rules, ['abc', 'abd']), [[1], []]);
});

test('xor and pcrexform in a rule', () => {
  // "pass" XOR 0d0a: p^0d=7d, a^0a=6b, s^0d=7e, s^0a=79.
  const rules = [
    'alert tcp any any -> any any (pkt_data; content:"data="; pkt_data; pcrexform:"data=(.*)"; xor:"0d0a"; content:"pass"; startswith; sid:1;)',
  ].join('\n');
  const payload = Uint8Array.from([...Buffer.from('data='), 0x7d, 0x6b, 0x7e, 0x79]);
  assert.deepEqual(alerts(rules, [payload, 'data=pass']), [[1], []]);
});

test('pcrexform keeps regex escapes', () => {
  // `\?` must reach the regex as an escaped '?', not as a quantifier on 't'.
  const rules = 'alert tcp any any -> any any (pkt_data; pcrexform:"/get\\?data=(.*)"; content:"abc"; startswith; sid:1;)';
  assert.deepEqual(alerts(rules, ['/get?data=abc', '/gedata=abc']), [[1], []]);
});

test('transform count limit', () => {
  const chain = (count: number): string => 'dotprefix; '.repeat(count);
  assert.deepEqual(errorsOf(`alert tcp any any -> any any (pkt_data; ${chain(16)}content:"a"; sid:1;)`), []);
  assert.deepEqual(errorsOf(`alert tcp any any -> any any (pkt_data; ${chain(17)}content:"a"; sid:1;)`), [
    'dotprefix: the buffer has 16 transforms already (the maximum)',
  ]);
});

test('bad transform values rejected', () => {
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; xor:"0d0"; content:"a"; sid:1;)').length, 1);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; xor:"zz"; content:"a"; sid:1;)').length, 1);
  assert.deepEqual(errorsOf('alert tcp any any -> any any (pkt_data; pcrexform:"abc"; content:"a"; sid:1;)'), [
    "pcrexform: 'abc' has 0 capture groups (expected exactly one)",
  ]);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; pcrexform:"(a)(b)"; content:"a"; sid:1;)').length, 1);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; pcrexform:"(?:a)(b)"; content:"b"; sid:1;)').length, 0);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; pcrexform:"(?=a)(a)"; content:"a"; sid:1;)').length, 1);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; from_base64:mode rfc1; content:"a"; sid:1;)').length, 1);
  assert.equal(errorsOf('alert tcp any any -> any any (pkt_data; from_base64:bytes 4294967296; content:"a"; sid:1;)').length, 1);
});

test('xor options from Suricata 9', () => {
  assert.deepEqual(parseXorOptions('offset   1,  extract 1 0'), { key: null, keyLength: 1, keyOffset: 0, dataOffset: 1 });
  assert.deepEqual(parseXorOptions('extract 4 2'), { key: null, keyLength: 4, keyOffset: 2, dataOffset: 0 });
  assert.deepEqual(parseXorOptions('offset 2, "0d0a"'), { key: Uint8Array.of(0x0d, 0x0a), keyLength: 2, keyOffset: 0, dataOffset: 2 });
  assert.equal(parseXorOptions('offset 1'), "'offset 1' has no key (expected xor:\"0d0ac8ff\" or xor:extract <key bytes> <key offset>)");
  assert.equal(parseXorOptions('extract 0 0'), "extract key length '0' is out of range (expected 1 to 255)");
  assert.equal(parseXorOptions('extract 1 0, "42"'), 'xor has more than one key (expected a quoted key or extract)');
  assert.equal(parseXorOptions('offset -1, extract 1 0'), "offset '-1' is not a number");
});

test('xor with extracted key alerts', () => {
  const rules = 'alert tcp any any -> any any (pkt_data; xor:offset 1, extract 1 0; content:"pass"; startswith; sid:1;)';
  // Byte 0x42 is the key: 0x32 0x23 0x31 0x31 XOR 0x42 is "pass", and the kept key byte comes first.
  assert.deepEqual(alerts(rules, [Uint8Array.of(0x42, 0x32, 0x23, 0x31, 0x31), Uint8Array.of(0x43, 0x32, 0x23, 0x31, 0x31)]), [[], []]);
  const unanchored = 'alert tcp any any -> any any (pkt_data; xor:offset 1, extract 1 0; content:"pass"; offset:1; sid:2;)';
  assert.deepEqual(alerts(unanchored, [Uint8Array.of(0x42, 0x32, 0x23, 0x31, 0x31), Uint8Array.of(0x43, 0x32, 0x23, 0x31, 0x31)]), [[2], []]);
});

test('subslice options', () => {
  assert.deepEqual(parseSubslice('2'), { offset: 2, nbytes: null, isTruncate: false });
  assert.deepEqual(parseSubslice(' -20, 5, truncate'), { offset: -20, nbytes: 5, isTruncate: true });
  assert.deepEqual(parseSubslice('-20, truncate'), { offset: -20, nbytes: null, isTruncate: true });
  assert.equal(parseSubslice('truncate'), "offset 'truncate' is not a number");
  assert.equal(parseSubslice('1, 2, 3'), "'1, 2, 3' is invalid (expected subslice:<offset>[, <nbytes>][, truncate])");
  assert.equal(parseSubslice('2147483648'), "offset '2147483648' is out of range (expected -2147483648 to 2147483647)");
});

test('subslice with bsize after raw content', () => {
  // The 11-byte content inspects the raw payload, so bsize:6 checks only the slice.
  const rules = 'alert tcp any any -> any any (pkt_data; content:"curl/7.64.1"; pkt_data; subslice:-6; content:"7.64.1"; bsize:6; sid:1;)';
  assert.deepEqual(alerts(rules, ['curl/7.64.1', 'curl/7.64.10']), [[1], []]);
});

test('subslice empty buffer matches bsize 0', () => {
  const rules = 'alert tcp any any -> any any (pkt_data; subslice:0,20; bsize:0; sid:1;)';
  assert.deepEqual(alerts(rules, ['short', 'a payload of twenty bytes']), [[1], []]);
});

test('gunzip options', () => {
  assert.equal(parseDecompressOptions(''), 1024);
  assert.equal(parseDecompressOptions(' max-size 8 '), 8);
  assert.equal(parseDecompressOptions('max-size 2kb'), 2048);
  assert.equal(parseDecompressOptions('max-size 0'), "max-size '0' must be at least 1 (0 always gives an empty buffer)");
  assert.equal(parseDecompressOptions('max-size 17mb'), "max-size '17mb' is above the maximum 16777216");
  assert.equal(parseDecompressOptions('size 8'), "'size 8' is not an option (expected max-size <n>)");
  assert.deepEqual(errorsOf('alert tcp any any -> any any (pkt_data; gunzip; content:"a"; sid:1;)'), []);
});

test('transform of unprovided buffer skipped', () => {
  const loaded = load('alert tcp any any -> any any (http.uri; to_lowercase; content:"a"; sid:1;)');
  const engine = new DetectEngine(loaded.signatures);
  if (loaded.signatures.length === 1) {
    assert.deepEqual(engine.skipped.map((s) => s.reason), ["buffer 'http.uri|to_lowercase' is not supported yet"]);
  }
});
