import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findNamePart, PublicSuffixList, type NameRange } from './public-suffix.js';
import { DomainPartTransform } from './transforms.js';

/** Rules in the list's own format, picked to cover each rule kind (the real list has these entries). */
const LIST = new PublicSuffixList(
  [
    '// ===BEGIN ICANN DOMAINS===',
    'com',
    'uk',
    'co.uk',
    'io',
    '// wildcard with an exception',
    '*.ck',
    '!www.ck',
    'jp',
    '*.kawasaki.jp',
    '!city.kawasaki.jp',
    '',
    '// ===BEGIN PRIVATE DOMAINS===',
    'blogspot.com   trailing text is ignored',
  ].join('\n'),
);

function part(name: string, isDomain: boolean): string | null {
  const bytes = Uint8Array.from(name, (c) => c.charCodeAt(0));
  const range: NameRange = { start: -1, length: 0 };
  findNamePart(LIST, bytes, 0, bytes.length, isDomain, range);
  return range.start < 0 ? null : name.slice(range.start, range.start + range.length);
}

test('public suffix list parsed', () => {
  assert.equal(LIST.ruleCount, 10);
});

test('public suffix of names', () => {
  const cases: [string, string | null][] = [
    ['www.bbc.co.uk', 'co.uk'],
    ['suricata.io', 'io'],
    ['a.b.example', 'example'],
    ['foo.bar.ck', 'bar.ck'],
    ['www.ck', 'ck'],
    ['a.b.kawasaki.jp', 'b.kawasaki.jp'],
    ['city.kawasaki.jp', 'kawasaki.jp'],
    ['x.blogspot.com', 'blogspot.com'],
    ['WWW.BBC.CO.UK', 'CO.UK'],
    ['www.example.com.', 'com'],
    ['', null],
    ['a..com', null],
  ];
  for (const [name, expected] of cases) assert.equal(part(name, false), expected, name);
});

test('registrable domain of names', () => {
  const cases: [string, string | null][] = [
    ['www.bbc.co.uk', 'bbc.co.uk'],
    ['suricata.io', 'suricata.io'],
    ['a.b.example', 'b.example'],
    ['foo.bar.ck', 'foo.bar.ck'],
    ['www.ck', 'www.ck'],
    ['city.kawasaki.jp', 'city.kawasaki.jp'],
    ['co.uk', null],
    ['io', null],
  ];
  for (const [name, expected] of cases) assert.equal(part(name, true), expected, name);
});

test('domain transform output', () => {
  const t = new DomainPartTransform('domain', LIST);
  const input = Uint8Array.from('..www.bbc.co.uk', (c) => c.charCodeAt(0));
  const out = new Uint8Array(input.length);
  const n = t.apply(input, 2, input.length - 2, out);
  assert.equal(Buffer.from(out.subarray(0, n)).toString('latin1'), 'bbc.co.uk');
  assert.equal(new DomainPartTransform('tld', LIST).apply(input, 2, input.length - 2, out), 5);
  assert.equal(t.apply(Uint8Array.from('co.uk', (c) => c.charCodeAt(0)), 0, 5, out), 0);
});
