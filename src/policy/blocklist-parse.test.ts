import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeDomain, parseBlocklist, renderListProblem, type DomainEntry, type IpEntry, type UrlEntry } from './blocklist-parse.js';

describe('blocklist parsing', () => {
  it('plain domains with comments', () => {
    const text = '# ads\nAds.Example.\n\n  tracker.example   # inline comment\n*.cdn.example\n';
    const parsed = parseBlocklist(text, 'ads.txt', 'domain', 'plain');
    assert.deepEqual(parsed.problems, []);
    const entries = parsed.entries as DomainEntry[];
    assert.deepEqual(entries.map((e) => e.name), ['ads.example', 'tracker.example', 'cdn.example']);
    assert.deepEqual(entries.map((e) => e.wildcard), [false, false, true]);
    assert.equal(entries[0]?.text, 'Ads.Example.');
  });

  it('hosts format skips local names', () => {
    const text = '127.0.0.1 localhost\n::1 ip6-localhost\n0.0.0.0 ads.example tracker.example\n0.0.0.0 0.0.0.0\n';
    const parsed = parseBlocklist(text, 'hosts', 'domain', 'hosts');
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual((parsed.entries as DomainEntry[]).map((e) => e.name), ['ads.example', 'tracker.example']);
  });

  it('invalid lines name file and line', () => {
    const text = 'good.example\nbad_.-name\n\nexa mple.com\n';
    const parsed = parseBlocklist(text, '/etc/kapu/ads.txt', 'domain', 'plain');
    assert.equal(parsed.entries.length, 1);
    assert.deepEqual(parsed.problems.map(renderListProblem), [
      "/etc/kapu/ads.txt:2: 'bad_.-name' is not a domain name (expected labels of 1 to 63 letters, digits, '-' or '_' separated by dots, at most 253 characters)",
      "/etc/kapu/ads.txt:4: 'exa mple.com' has 2 fields (expected one domain entry a line; a hosts file needs format: hosts)",
    ]);
  });

  it('hosts line without a name', () => {
    const parsed = parseBlocklist('ads.example\n', 'h.txt', 'domain', 'hosts');
    assert.deepEqual(parsed.problems.map(renderListProblem), ["h.txt:1: 'ads.example' is not a hosts line (expected an address, then one or more names)"]);
  });

  it('idn entries become punycode', () => {
    assert.deepEqual(normalizeDomain('Bücher.Example'), { name: 'xn--bcher-kva.example' });
    assert.deepEqual(normalizeDomain('xn--bcher-kva.example.'), { name: 'xn--bcher-kva.example' });
  });

  it('label longer than 63', () => {
    const long = 'a'.repeat(64) + '.example';
    assert.ok('problem' in normalizeDomain(long));
    assert.deepEqual(normalizeDomain('a'.repeat(63) + '.example'), { name: 'a'.repeat(63) + '.example' });
  });

  it('url entries', () => {
    const text = 'https://Shop.Example:8443/cart?x=1#top\nhttp://ads.example\nnews.example/track/\nftp://files.example/\n';
    const parsed = parseBlocklist(text, 'urls.txt', 'url', 'plain');
    const entries = parsed.entries as UrlEntry[];
    assert.deepEqual(entries.map((e) => [e.host, e.path]), [
      ['shop.example', '/cart?x=1'],
      ['ads.example', '/'],
      ['news.example', '/track/'],
    ]);
    assert.deepEqual(parsed.problems.map(renderListProblem), ["urls.txt:4: 'ftp://files.example/' has scheme 'ftp' (expected http, https or none)"]);
  });

  it('ip entries and prefixes', () => {
    const parsed = parseBlocklist('203.0.113.7\n198.51.100.0/24\n2001:db8:bad::/48\n203.0.113.300\n', 'ips.txt', 'ip', 'plain');
    const entries = parsed.entries as IpEntry[];
    assert.deepEqual(entries.map((e) => [e.prefix.family, e.prefix.prefixLength]), [[4, 32], [4, 24], [6, 48]]);
    assert.equal(parsed.problems.length, 1);
    assert.equal(parsed.problems[0]?.line, 4);
    assert.match(renderListProblem(parsed.problems[0]!), /^ips\.txt:4: .*203\.0\.113\.300/);
  });
});
