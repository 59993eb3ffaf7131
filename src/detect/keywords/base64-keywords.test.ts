import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertQueue, DetectEngine } from '../detect-engine.js';
import { loadRulesFromText } from '../rule-files.js';
import type { Signature } from '../signature.js';
import { createTestFlow, createTestPacket } from '../test-support/packets.js';
import { Base64DecodeTransform, parseBase64Decode } from './base64-keywords.js';

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

test('base64_decode option parsing', () => {
  assert.deepEqual(parseBase64Decode(''), { bytes: 0, offset: 0, isRelative: false });
  assert.deepEqual(parseBase64Decode('bytes 30, offset 0, relative'), { bytes: 30, offset: 0, isRelative: true });
  assert.deepEqual(parseBase64Decode('offset 2,relative'), { bytes: 0, offset: 2, isRelative: true });
  assert.equal(parseBase64Decode('bytes 0'), "bytes '0' must be at least 1");
  assert.equal(parseBase64Decode('bytes 70000'), "bytes '70000' is above the maximum 65535");
  assert.equal(parseBase64Decode('relative, relative'), "option 'relative' is given more than once");
  assert.equal(parseBase64Decode('size 3'), "'size 3' is not an option (expected bytes <n>, offset <n> or relative)");
});

test('base64_decode transform bytes and offset', () => {
  const text = Uint8Array.from(Buffer.from('xxnmHs%3D'));
  const out = new Uint8Array(16);
  // "nm" decodes to the single byte 0x9e; decoding stops at '%' (RFC 4648).
  assert.equal(new Base64DecodeTransform(2, 2).apply(text, 0, text.length, out), 1);
  assert.equal(out[0], 0x9e);
  assert.equal(new Base64DecodeTransform(0, 2).apply(text, 0, text.length, out), 3);
  assert.deepEqual([...out.subarray(0, 3)], [0x9e, 0x61, 0xec]);
  // Nothing decoded, or an offset past the end, means no buffer.
  assert.equal(new Base64DecodeTransform(0, 0).apply(Uint8Array.from(Buffer.from('%%')), 0, 2, out), -1);
  assert.equal(new Base64DecodeTransform(0, 5).apply(text, 0, 3, out), -1);
});

test('base64_data inspects decoded bytes', () => {
  // "Zm9vYmFy" is base64 for "foobar".
  const rules = [
    'alert tcp any any -> any any (content:"arg="; base64_decode:relative; base64_data; content:"foobar"; startswith; sid:1;)',
    'alert tcp any any -> any any (content:"arg="; base64_decode:bytes 4, offset 0, relative; base64_data; content:"foo"; endswith; sid:2;)',
    'alert tcp any any -> any any (content:"arg="; base64_decode:offset 4; base64_data; content:"bar"; sid:3;)',
  ].join('\n');
  assert.deepEqual(alerts(rules, ['arg=Zm9vYmFy', 'x=Zm9vYmFy', 'arg=Zm9v']), [[1, 2, 3], [], [2]]);
});

test('relative decode follows each rule', () => {
  // Two rules with different anchors must not share a decoded buffer.
  const rules = [
    'alert tcp any any -> any any (content:"a="; base64_decode:relative; base64_data; content:"foo"; sid:1;)',
    'alert tcp any any -> any any (content:"b="; base64_decode:relative; base64_data; content:"foo"; sid:2;)',
  ].join('\n');
  assert.deepEqual(alerts(rules, ['a=Zm9v b=YmFy', 'a=YmFy b=Zm9v']), [[1], [2]]);
});

test('base64_decode without base64_data', () => {
  // The rule needs the decoding to yield bytes, as in Suricata.
  const rules = 'alert tcp any any -> any any (content:"k="; base64_decode:relative; sid:1;)';
  assert.deepEqual(alerts(rules, ['k=Zm9v', 'k=%%%']), [[1], []]);
});

test('base64_data after url_decode', () => {
  // "%2B" decodes to '+', so "n%2Bw" becomes "n+w": 0x9f 0xec.
  const rules =
    'alert tcp any any -> any any (pkt_data; url_decode; content:"c="; base64_decode:relative; base64_data; content:"|9f ec|"; sid:1;)';
  assert.deepEqual(alerts(rules, ['c=n%2Bw', 'c=nBw']), [[1], []]);
});

test('base64_data within from start', () => {
  // "AAH/////" decodes to 00 01 ff ff ff ff; a relative first content counts from the start.
  const rules = 'alert tcp any any -> any any (content:"\'"; base64_decode:relative; base64_data; content:"|ff ff ff ff|"; within:6; sid:1;)';
  assert.deepEqual(alerts(rules, ["x'AAH/////", "x'AAAAAAH/////"]), [[1], []]);
});

test('base64_data needs base64_decode', () => {
  assert.deepEqual(errorsOf('alert tcp any any -> any any (content:"a"; base64_data; content:"b"; sid:1;)'), [
    'base64_data: missing a base64_decode before it (base64_data inspects its output)',
  ]);
  assert.equal(errorsOf('alert tcp any any -> any any (content:"a"; base64_decode:bytes x; sid:1;)').length, 1);
});

test('base64_decode follows a legacy buffer', () => {
  // Without a sticky buffer, base64_decode reads the buffer of the content before it.
  const loaded = load('alert http any any -> any any (content:"Basic "; http_header; base64_decode:relative; base64_data; content:"attacker"; sid:1;)');
  assert.deepEqual(loaded.diagnostics.map((d) => d.message), []);
  const sig = loaded.signatures[0] as Signature;
  const decoded = sig.buffers.find((inspection) => inspection.transforms !== undefined);
  assert.equal(decoded?.transforms?.source, 'http.header');
  assert.deepEqual(decoded?.matches.map((m) => m.keyword), ['content']);
});
