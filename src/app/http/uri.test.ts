import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePath, normalizeHostname, normalizeUri, parseUri, removeDotSegments, utf8BestFit } from './uri.js';

const enc = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
const str = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString('latin1'));
const httpUri = (target: string): string | null => str(normalizeUri(parseUri(enc(target), false)).uri);

test('uri parse absolute form', () => {
  // RFC 9112 section 3.2.2 absolute-form, with user info and port.
  const parsed = parseUri(enc('http://user:pass@www.example.com:1234/path1/path2?a=b&c=d#frag'), false);
  assert.equal(str(parsed.scheme), 'http');
  assert.equal(str(parsed.hostname), 'www.example.com');
  assert.equal(str(parsed.port), '1234');
  assert.equal(str(parsed.path), '/path1/path2');
  assert.equal(str(parsed.query), 'a=b&c=d');
  assert.equal(str(parsed.fragment), 'frag');
});

test('uri double slash without scheme', () => {
  // libhtp reads an authority only after a scheme: "//x/y" is a path.
  const parsed = parseUri(enc('//host/path'), false);
  assert.equal(parsed.hostname, null);
  assert.equal(str(parsed.path), '//host/path');
  assert.equal(httpUri('//host/path'), '/host/path');
});

test('uri connect authority form', () => {
  const parsed = parseUri(enc('example.com:443'), true);
  assert.equal(str(parsed.hostname), 'example.com');
  assert.equal(str(parsed.port), '443');
  assert.equal(parsed.path, null);
  const v6 = parseUri(enc('[2001:db8::1]:8443'), true);
  assert.equal(str(v6.hostname), '[2001:db8::1]');
  assert.equal(str(v6.port), '8443');
});

test('uri connect with a path', () => {
  // "CONNECT / HTTP/1.1" names no authority, so there is no hostname.
  const parsed = parseUri(enc('/'), true);
  assert.equal(parsed.hostname, null);
  assert.equal(str(parsed.path), '/');
});

test('uri path separators decoded', () => {
  // libhtp's documentation of path-separators-compress: with backslash
  // conversion and separator decoding on, "/one\\/two\/%5cthree/%2f//four"
  // becomes "/one/two/three/four".
  assert.equal(str(decodePath(enc('/one\\\\/two\\/%5cthree/%2f//four')).bytes), '/one/two/three/four');
});

test('uri percent and u decoding', () => {
  assert.equal(httpUri('/a%20b'), '/a b');
  // %u00XX is the byte XX; full-width U+FF0E is '.'.
  assert.equal(httpUri('/%u0041%u0062'), '/Ab');
  assert.equal(httpUri('/x%uff0e%uff0e/y'), '/x../y');
  // An invalid escape keeps its percent sign.
  assert.equal(httpUri('/a%zzb%4'), '/a%zzb%4');
  assert.equal(httpUri('/a%u12'), '/a%u12');
  // A code point with no single-byte form becomes '?'.
  assert.equal(httpUri('/%u263a'), '/?');
});

test('uri not lower cased', () => {
  assert.equal(httpUri('/Index.PHP?ID=A%42'), '/Index.PHP?ID=AB');
});

test('uri query decoded without plus', () => {
  assert.equal(httpUri('/s?q=a+b%2Bc%3d'), '/s?q=a+b+c=');
  // The query is not path-normalised.
  assert.equal(httpUri('/s?p=../x//y'), '/s?p=../x//y');
});

test('uri fragment decoded', () => {
  assert.equal(httpUri('/p#sec%201'), '/p#sec 1');
});

test('uri dot segments removed', () => {
  // RFC 3986 section 5.2.4 examples.
  assert.equal(str(removeDotSegments(enc('/a/b/c/./../../g'))), '/a/g');
  assert.equal(str(removeDotSegments(enc('mid/content=5/../6'))), 'mid/6');
  assert.equal(str(removeDotSegments(enc('../a/./b'))), 'a/b');
  assert.equal(str(removeDotSegments(enc('/../../etc/passwd'))), '/etc/passwd');
  assert.equal(str(removeDotSegments(enc('/a/b/'))), '/a/b/');
  assert.equal(str(removeDotSegments(enc('/a/..x/.y'))), '/a/..x/.y');
});

test('uri trailing dot segments', () => {
  // libhtp leaves no trailing slash after a final dot segment.
  assert.equal(str(removeDotSegments(enc('/a/b/.'))), '/a/b');
  assert.equal(str(removeDotSegments(enc('/a/b/..'))), '/a');
  assert.equal(str(removeDotSegments(enc('/a/b/../'))), '/a');
  assert.equal(str(removeDotSegments(enc('/a/./'))), '/a');
  assert.equal(str(removeDotSegments(enc('/..'))), '');
  assert.equal(str(removeDotSegments(enc('..'))), '');
});

test('uri traversal hidden by encoding', () => {
  assert.equal(httpUri('/scripts/..%2f..%2fwinnt/system32/cmd.exe?/c+dir'), '/winnt/system32/cmd.exe?/c+dir');
  assert.equal(httpUri('/scripts/..%5c../winnt'), '/winnt');
  assert.equal(httpUri('/a//b///c'), '/a/b/c');
});

test('uri utf8 best fit', () => {
  // U+00E9 fits one byte; an unfinished sequence and a stray byte become '?'.
  assert.equal(str(utf8BestFit(enc('/caf\xc3\xa9')).bytes), '/caf\xe9');
  assert.equal(str(utf8BestFit(enc('\xf1.\xf1\xef\xbd\x9dabcd')).bytes), '?.?}abcd');
  assert.equal(str(utf8BestFit(enc('\xe2\x82')).bytes), '?');
  // An overlong '/' (C0 AF) decodes to '/'.
  assert.equal(str(utf8BestFit(enc('a\xc0\xafb')).bytes), 'a/b');
  assert.equal(httpUri('/caf%C3%A9'), '/caf\xe9');
});

test('uri absolute form keeps path only', () => {
  assert.equal(httpUri('http://example.com/a/../b?x=1'), '/b?x=1');
  assert.equal(httpUri('http://example.com'), '');
});

test('host normalised', () => {
  assert.equal(str(normalizeHostname(enc('WWW.Example.COM.'))), 'www.example.com');
});
