import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patternStrength, selectFastPattern } from './fast-pattern.js';
import { mustBuildSignature } from './test-support/signature-builder.js';
import type { Signature } from './signature.js';

const anyBuffer = () => true;

function chosen(sig: Signature): string | null {
  const fp = selectFastPattern(sig, anyBuffer);
  return fp === null ? null : Buffer.from(fp.bytes).toString('latin1');
}

test('fast pattern explicit wins', () => {
  assert.equal(chosen(mustBuildSignature('content:"User-Agent|3a|"; content:"Badness"; distance:0; fast_pattern;')), 'Badness');
});

test('fast pattern longest content', () => {
  assert.equal(chosen(mustBuildSignature('content:"abc"; content:"abcdef"; content:"abcd";')), 'abcdef');
});

test('fast pattern strength breaks ties', () => {
  // Equal length 4: "aaaa" scores 3+1+1+1 = 6, "abcd" scores 4*3 = 12.
  assert.equal(patternStrength(Buffer.from('aaaa')), 6);
  assert.equal(patternStrength(Buffer.from('abcd')), 12);
  assert.equal(patternStrength(Uint8Array.of(0x00, 0x02, 0x41)), 4 + 6 + 3);
  assert.equal(chosen(mustBuildSignature('content:"aaaa"; content:"abcd";')), 'abcd');
  // Equal strength and length: the first in rule order.
  assert.equal(chosen(mustBuildSignature('content:"abcd"; content:"efgh";')), 'abcd');
});

test('fast pattern skips negated content', () => {
  assert.equal(chosen(mustBuildSignature('content:!"longer-negated"; content:"short";')), 'short');
  // Only negated contents: the rule cannot be prefiltered.
  assert.equal(chosen(mustBuildSignature('content:!"abc";')), null);
  assert.equal(chosen(mustBuildSignature('content:"abc"; content:!"xyz"; fast_pattern;')), null);
  assert.equal(chosen(mustBuildSignature('pcre:"/abc/";')), null);
});

test('fast pattern chop and nocase', () => {
  const fp = selectFastPattern(mustBuildSignature('content:"HelloWorld"; nocase; fast_pattern:5,5;'), anyBuffer);
  assert.equal(Buffer.from(fp?.bytes ?? []).toString(), 'World');
  assert.equal(fp?.isNocase, true);
});

test('fast pattern prefers app buffers', () => {
  const sig = mustBuildSignature('content:"a-long-payload-pattern"; http.uri; content:"/x";');
  // Move the second content into an application buffer, as a sticky buffer would.
  const uri = sig.buffers[0].matches.pop();
  sig.buffers.push({ buffer: 'http.uri', matches: uri === undefined ? [] : [uri] });
  assert.equal(chosen(sig), '/x');
  assert.equal(selectFastPattern(sig, (b) => b === 'pkt_data')?.buffer, 'pkt_data');
});
