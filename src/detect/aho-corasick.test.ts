import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AhoCorasick, MAX_COMPACT_STATES, type MatcherPattern } from './aho-corasick.js';

/** A small deterministic generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

/** Naive search: ids of the patterns that occur in bytes. */
function naiveFind(patterns: MatcherPattern[], bytes: Uint8Array, start: number, length: number): number[] {
  const found: number[] = [];
  patterns.forEach((p, id) => {
    const n = p.bytes.length;
    for (let i = start; i + n <= start + length; i++) {
      let j = 0;
      while (j < n && (p.isNocase ? lower(bytes[i + j]) === lower(p.bytes[j]) : bytes[i + j] === p.bytes[j])) j++;
      if (j === n) {
        found.push(id);
        return;
      }
    }
  });
  return found;
}

function scanAll(ac: AhoCorasick, bytes: Uint8Array, start: number, length: number, mark: number, seen: Uint32Array): number[] {
  const hits = new Int32Array(ac.patterns.length);
  const count = ac.scan(bytes, start, length, hits, 0, seen, mark);
  return [...hits.subarray(0, count)].sort((a, b) => a - b);
}

test('aho-corasick finds overlapping patterns', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const patterns = ['he', 'she', 'his', 'hers'].map((s) => ({ bytes: enc(s), isNocase: false }));
  const ac = new AhoCorasick(patterns);
  const seen = new Uint32Array(patterns.length);
  assert.deepEqual(scanAll(ac, enc('ushers'), 0, 6, 1, seen), [0, 1, 3]);
  assert.deepEqual(scanAll(ac, enc('ahis'), 0, 4, 2, seen), [2]);
  assert.deepEqual(scanAll(ac, enc('USHERS'), 0, 6, 3, seen), []);
});

test('aho-corasick nocase and exact case', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const patterns = [
    { bytes: enc('Admin'), isNocase: false },
    { bytes: enc('admin'), isNocase: true },
  ];
  const ac = new AhoCorasick(patterns);
  const seen = new Uint32Array(2);
  assert.deepEqual(scanAll(ac, enc('xADMINx'), 0, 7, 1, seen), [1]);
  assert.deepEqual(scanAll(ac, enc('xAdminx'), 0, 7, 2, seen), [0, 1]);
  // A case-sensitive miss at one place does not hide a later exact hit.
  assert.deepEqual(scanAll(ac, enc('ADMIN Admin'), 0, 11, 3, seen), [0, 1]);
});

test('aho-corasick matches naive search on random data', () => {
  const next = random(0x5eed);
  for (let round = 0; round < 40; round++) {
    const alphabet = [0x61, 0x62, 0x41, 0x42, 0x00, 0xff, 0x80, 0x7a][Math.floor(next() * 8)];
    const symbols = [0x61, 0x62, 0x41, 0x42, 0x00, 0xff, 0x80, alphabet];
    const patterns: MatcherPattern[] = [];
    const patternCount = 1 + Math.floor(next() * 30);
    for (let i = 0; i < patternCount; i++) {
      const len = 1 + Math.floor(next() * 5);
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) bytes[j] = symbols[Math.floor(next() * symbols.length)];
      patterns.push({ bytes, isNocase: next() < 0.5 });
    }
    const ac = new AhoCorasick(patterns);
    const seen = new Uint32Array(patterns.length);
    for (let trial = 0; trial < 20; trial++) {
      const size = Math.floor(next() * 64);
      const data = new Uint8Array(size + 4);
      for (let j = 0; j < data.length; j++) data[j] = symbols[Math.floor(next() * symbols.length)];
      const mark = round * 100 + trial + 1;
      assert.deepEqual(scanAll(ac, data, 2, size, mark, seen), naiveFind(patterns, data, 2, size), `round ${round} trial ${trial}`);
    }
  }
});

test('aho-corasick class table is small', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const ac = new AhoCorasick([{ bytes: enc('abc'), isNocase: true }, { bytes: enc('ABD'), isNocase: false }]);
  // Distinct folded bytes a, b, c, d plus the class of all other bytes.
  assert.equal(ac.classCount, 5);
  assert.equal(ac.stateCount, 5);
  assert.equal(ac.delta.length, 25);
  assert.equal(ac.isCompact, true);
  assert.ok(ac.memoryBytes() >= 25 * 2);
});

test('aho-corasick wide table matches naive', () => {
  // Enough distinct patterns to pass MAX_COMPACT_STATES, so some targets are FAR_TARGET.
  const next = random(0xbeef);
  const patterns: MatcherPattern[] = [];
  for (let i = 0; i < 6000; i++) {
    const bytes = new Uint8Array(8);
    for (let j = 0; j < 8; j++) bytes[j] = 0x61 + Math.floor(next() * 20);
    patterns.push({ bytes, isNocase: i % 2 === 0 });
  }
  const ac = new AhoCorasick(patterns);
  assert.ok(ac.stateCount > MAX_COMPACT_STATES);
  assert.equal(ac.isCompact, false);
  const seen = new Uint32Array(patterns.length);
  for (let trial = 0; trial < 10; trial++) {
    const data = new Uint8Array(2000);
    for (let j = 0; j < data.length; j++) data[j] = 0x61 + Math.floor(next() * 4);
    // Plant a few patterns so there are hits to compare.
    for (let k = 0; k < 5; k++) data.set(patterns[Math.floor(next() * patterns.length)].bytes, Math.floor(next() * 1990));
    assert.deepEqual(scanAll(ac, data, 0, data.length, trial + 1, seen), naiveFind(patterns, data, 0, data.length), `trial ${trial}`);
  }
});

test('aho-corasick sparse states match naive', () => {
  // A dense budget of 3 rows leaves most states to the child search and failure links.
  const next = random(0xc0ffee);
  const symbols = [0x61, 0x62, 0x63, 0x41, 0x42, 0x00, 0xff];
  for (let round = 0; round < 30; round++) {
    const patterns: MatcherPattern[] = [];
    const patternCount = 1 + Math.floor(next() * 40);
    for (let i = 0; i < patternCount; i++) {
      const bytes = new Uint8Array(1 + Math.floor(next() * 7));
      for (let j = 0; j < bytes.length; j++) bytes[j] = symbols[Math.floor(next() * symbols.length)];
      patterns.push({ bytes, isNocase: next() < 0.5 });
    }
    const dense = new AhoCorasick(patterns);
    const sparse = new AhoCorasick(patterns, { maxDenseEntries: 3 * dense.classCount });
    assert.ok(sparse.denseCount <= 3);
    assert.equal(sparse.isCompact, sparse.stateCount <= 3);
    const seen = new Uint32Array(patterns.length);
    for (let trial = 0; trial < 20; trial++) {
      const size = Math.floor(next() * 80);
      const data = new Uint8Array(size + 4);
      for (let j = 0; j < data.length; j++) data[j] = symbols[Math.floor(next() * symbols.length)];
      const mark = round * 100 + trial + 1;
      assert.deepEqual(scanAll(sparse, data, 2, size, mark, seen), naiveFind(patterns, data, 2, size), `round ${round} trial ${trial}`);
    }
  }
});

test('aho-corasick dense budget bounds memory', () => {
  const next = random(0xfeed);
  const patterns: MatcherPattern[] = [];
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(12);
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(next() * 256);
    patterns.push({ bytes, isNocase: false });
  }
  const ac = new AhoCorasick(patterns, { maxDenseEntries: 1000 * 256 });
  assert.ok(ac.stateCount > 20000);
  assert.equal(ac.denseCount, Math.floor((1000 * 256) / ac.classCount));
  assert.equal(ac.delta.length, ac.denseCount * ac.classCount);
  const seen = new Uint32Array(patterns.length);
  const data = new Uint8Array(3000);
  for (let j = 0; j < data.length; j++) data[j] = Math.floor(next() * 256);
  for (let k = 0; k < 6; k++) data.set(patterns[k * 300].bytes, k * 450 + 7);
  assert.deepEqual(scanAll(ac, data, 0, data.length, 1, seen), naiveFind(patterns, data, 0, data.length));
});
