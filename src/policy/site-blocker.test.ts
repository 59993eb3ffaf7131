import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBlocklist } from './blocklist-parse.js';
import { parsePrefix, PrefixList } from './quarantine-address.js';
import { CompiledList, MatchedIn, SiteBlocker, type ListSettings } from './site-blocker.js';

function list(kind: ListSettings['kind'], text: string, subdomains = true, id = 1001): CompiledList {
  const parsed = parseBlocklist(text, 'test.txt', kind, 'plain');
  assert.deepEqual(parsed.problems, []);
  return new CompiledList({ id, name: `${kind}-list`, kind, action: 'drop', subdomains, sinkholeV4: null, sinkholeV6: null }, parsed.entries);
}

/** Looks `name` up as a TLS SNI; returns the matched entry text or null. */
function lookupName(blocker: SiteBlocker, name: string): string | null {
  const bytes = Buffer.from(name, 'latin1');
  if (!blocker.loadName(bytes, 0, bytes.length)) return null;
  return blocker.matchName(MatchedIn.TLS) !== null ? blocker.match.entryText : null;
}

function lookupHttp(blocker: SiteBlocker, host: string, path: string | null): string | null {
  const bytes = Buffer.from(host, 'latin1');
  if (!blocker.loadName(bytes, 0, bytes.length)) return null;
  return blocker.matchHttp(path === null ? null : Buffer.from(path, 'latin1')) !== null ? blocker.match.entryText : null;
}

describe('domain matching', () => {
  const blocker = new SiteBlocker([list('domain', 'ads.example\nxn--bcher-kva.example\n')]);

  it('exact name', () => assert.equal(lookupName(blocker, 'ads.example'), 'ads.example'));
  it('subdomain on label boundary', () => assert.equal(lookupName(blocker, 'a.b.ads.example'), 'ads.example'));
  it('no match inside a label', () => assert.equal(lookupName(blocker, 'badads.example'), null));
  it('parent not matched', () => assert.equal(lookupName(blocker, 'example'), null));
  it('upper case', () => assert.equal(lookupName(blocker, 'WWW.Ads.EXAMPLE'), 'ads.example'));
  it('trailing dot', () => assert.equal(lookupName(blocker, 'ads.example.'), 'ads.example'));
  it('idn in punycode', () => assert.equal(lookupName(blocker, 'shop.XN--BCHER-KVA.example'), 'xn--bcher-kva.example'));
  it('other names pass', () => assert.equal(lookupName(blocker, 'docs.example'), null));
});

describe('domain matching without subdomains', () => {
  const blocker = new SiteBlocker([list('domain', 'ads.example\n*.cdn.example\n', false)]);

  it('exact name only', () => {
    assert.equal(lookupName(blocker, 'ads.example'), 'ads.example');
    assert.equal(lookupName(blocker, 'www.ads.example'), null);
  });

  it('wildcard entry covers subdomains', () => assert.equal(lookupName(blocker, 'img.cdn.example'), '*.cdn.example'));
});

describe('domain set with many names', () => {
  it('finds every added name', () => {
    const names: string[] = [];
    for (let i = 0; i < 5000; i++) names.push(`host${i}.zone${i % 7}.example`);
    const blocker = new SiteBlocker([list('domain', names.join('\n'), false)]);
    for (let i = 0; i < 5000; i += 97) assert.equal(lookupName(blocker, `host${i}.zone${i % 7}.example`), `host${i}.zone${i % 7}.example`);
    assert.equal(lookupName(blocker, 'host5000.zone2.example'), null);
  });
});

describe('url matching', () => {
  const blocker = new SiteBlocker([list('url', 'http://news.example/track/\nhttps://ads.example/\nwww.shop.example/cart\n')]);

  it('host and path prefix', () => assert.equal(lookupHttp(blocker, 'news.example', '/track/pixel.gif'), 'http://news.example/track/'));
  it('other path passes', () => assert.equal(lookupHttp(blocker, 'news.example', '/world/'), null));
  it('subdomain of url host', () => assert.equal(lookupHttp(blocker, 'm.news.example', '/track/x'), 'http://news.example/track/'));
  it('longer suffix entry found', () => assert.equal(lookupHttp(blocker, 'www.shop.example', '/cart/add'), 'www.shop.example/cart'));
  it('whole site blocks sni', () => {
    assert.equal(lookupName(blocker, 'ads.example'), 'https://ads.example/');
    assert.equal(lookupName(blocker, 'news.example'), null);
  });
});

describe('address matching', () => {
  const ips = list('ip', '203.0.113.7\n198.51.100.0/25\n2001:db8:bad::/48\n');

  function lookup(blocker: SiteBlocker, text: string): string | null {
    const parsed = parsePrefix(text);
    assert.ok(parsed.ok);
    return blocker.matchAddress(parsed.prefix.family, parsed.prefix.bytes, 0) !== null ? blocker.match.entryText : null;
  }

  it('host and prefixes', () => {
    const blocker = new SiteBlocker([ips]);
    assert.equal(lookup(blocker, '203.0.113.7'), '203.0.113.7');
    assert.equal(lookup(blocker, '203.0.113.8'), null);
    assert.equal(lookup(blocker, '198.51.100.127'), '198.51.100.0/25');
    assert.equal(lookup(blocker, '198.51.100.128'), null);
    assert.equal(lookup(blocker, '2001:db8:bad:1::9'), '2001:db8:bad::/48');
    assert.equal(lookup(blocker, '2001:db8:bae::1'), null);
  });

  it('never-block address passes', () => {
    const dns = parsePrefix('203.0.113.7');
    assert.ok(dns.ok);
    const blocker = new SiteBlocker([ips], new PrefixList([dns.prefix]));
    assert.equal(lookup(blocker, '203.0.113.7'), null);
    assert.equal(blocker.counters.neverBlockSkipped, 1);
  });
});

describe('dns question parsing', () => {
  it('reads name and type', () => {
    // ID 0x1234, RD, one question: "Ads.Example" type AAAA class IN.
    const query = Buffer.from('123401000001000000000000' + '03416473074578616d706c6500' + '001c0001', 'hex');
    const blocker = new SiteBlocker([]);
    assert.equal(blocker.loadDnsQuestion(query, 0, query.length), true);
    assert.equal(blocker.nameText(), 'ads.example');
    assert.equal(blocker.qtype, 28);
    assert.equal(blocker.questionEnd, query.length);
  });

  it('response and pointer rejected', () => {
    const blocker = new SiteBlocker([]);
    const response = Buffer.from('123481800001000000000000' + '036164730000010001', 'hex');
    assert.equal(blocker.loadDnsQuestion(response, 0, response.length), false);
    const pointer = Buffer.from('123401000001000000000000' + 'c00c00010001', 'hex');
    assert.equal(blocker.loadDnsQuestion(pointer, 0, pointer.length), false);
  });
});
