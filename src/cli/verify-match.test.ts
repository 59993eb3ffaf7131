import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isEventMatch, findValue, parseMatchTerms, pythonEquals } from './verify-match.js';
import { parseTestYaml } from './verify-case.js';

// Hand-written EVE lines in Suricata 8's layout.
const ALERT = JSON.parse(
  '{"timestamp":"2022-10-28T22:14:15.683070+0000","flow_id":1234567890123,"pcap_cnt":1,"event_type":"alert",' +
    '"src_ip":"192.168.1.5","dest_ip":"192.168.1.1","proto":"ICMP","icmp_type":8,"icmp_code":0,' +
    '"alert":{"action":"allowed","gid":1,"signature_id":1,"rev":0,"signature":"ICMP id 21781","category":"","severity":3,' +
    '"metadata":{"tag":["tag1","tag2","tag3"]}},"app_proto":"failed","direction":"to_server","ratio":1.0}',
);
const DNS = JSON.parse(
  '{"event_type":"dns","dns":{"type":"response","id":4711,"rcode":"NOERROR","rrname":"example.com",' +
    '"queries":[{"rrname":"example.com","rrtype":"A"}],"answers":[{"rrname":"example.com","rrtype":"A","ttl":300,"rdata":"192.0.2.7"},' +
    '{"rrname":"example.com","rrtype":"A","ttl":300,"rdata":"192.0.2.8"}],"flags":"8180","qr":true,"rd":true,"ra":true,"aa":false,"rcode_value":null}}',
);

/** Parses a `match:` block written as in test.yaml and matches one event. */
function matches(yamlMatch: string, event: unknown): boolean {
  const doc = parseTestYaml(`match:\n${yamlMatch.replace(/^/gm, '  ')}\n`);
  return isEventMatch(parseMatchTerms(doc.match as Record<string, unknown>), event);
}

test('findValue dotted path', () => {
  assert.equal(findValue('alert.signature_id', ALERT), 1);
  assert.equal(findValue('alert.metadata.tag[1]', ALERT), 'tag2');
  assert.equal(findValue('dns.answers[1].rdata', DNS), '192.0.2.8');
  assert.equal(findValue('dns.answers[2].rdata', DNS), undefined);
  assert.equal(findValue('alert.nothing.deeper', ALERT), undefined);
  assert.equal(findValue('dns.rcode_value', DNS), null);
});

test('findValue __len of list string dict', () => {
  assert.equal(findValue('alert.metadata.tag.__len', ALERT), 3);
  assert.equal(findValue('dns.rrname.__len', DNS), 11);
  assert.equal(findValue('dns.queries[0].__len', DNS), 2);
  assert.equal(findValue('pcap_cnt.__len', ALERT), undefined);
});

test('pythonEquals numbers strings booleans', () => {
  assert.equal(pythonEquals(1, 1.0), true);
  assert.equal(pythonEquals(1, '1'), false);
  assert.equal(pythonEquals(true, 1), false);
  assert.equal(pythonEquals(false, 0), false);
  assert.equal(pythonEquals(null, undefined), true);
  assert.equal(pythonEquals([1, 'a'], [1, 'a']), true);
  assert.equal(pythonEquals([1, 'a'], ['a', 1]), false);
  assert.equal(pythonEquals({ a: 1, b: [2] }, { b: [2], a: 1 }), true);
  assert.equal(pythonEquals({ a: 1 }, { a: 1, b: 2 }), false);
});

test('equality match on event fields', () => {
  assert.equal(matches('event_type: alert\nalert.signature_id: 1', ALERT), true);
  assert.equal(matches('event_type: alert\nalert.signature_id: 2', ALERT), false);
  // The integer 1 is not the string "1".
  assert.equal(matches('alert.signature_id: "1"', ALERT), false);
  // 1.0 in the event equals 1 in YAML.
  assert.equal(matches('ratio: 1', ALERT), true);
  assert.equal(matches('alert.category: ""', ALERT), true);
  assert.equal(matches('dns.qr: true', DNS), true);
  assert.equal(matches('dns.qr: 1', DNS), false);
  // YAML 1.1 reads `yes` as true, as the suite's runner does.
  assert.equal(matches('dns.rd: yes', DNS), true);
  assert.equal(matches('dns.aa: no', DNS), true);
  assert.equal(matches('alert.metadata.tag[0]: tag1', ALERT), true);
  assert.equal(matches('alert.metadata.tag: [tag1, tag2, tag3]', ALERT), true);
});

test('missing key matches only null', () => {
  assert.equal(matches('alert.missing: 0', ALERT), false);
  assert.equal(matches('alert.missing: null', ALERT), true);
});

test('__len compares length', () => {
  assert.equal(matches('alert.metadata.tag.__len: 3', ALERT), true);
  assert.equal(matches('alert.metadata.tag.__len: 2', ALERT), false);
  assert.equal(matches('dns.answers.__len: 2', DNS), true);
});

test('__find substring of string', () => {
  assert.equal(matches('alert.signature__find: "id 217"', ALERT), true);
  assert.equal(matches('alert.signature__find: "id 99"', ALERT), false);
  assert.equal(matches('alert.metadata.tag__find: tag1', ALERT), false);
  assert.equal(matches('alert.missing__find: x', ALERT), false);
});

test('__contains list member or substring', () => {
  assert.equal(matches('alert.metadata.tag__contains: tag2', ALERT), true);
  assert.equal(matches('alert.metadata.tag__contains: tag', ALERT), false);
  assert.equal(matches('alert.signature__contains: ICMP', ALERT), true);
  assert.equal(matches('alert.signature__contains: icmp', ALERT), false);
  assert.equal(matches('dns.queries__contains: {rrname: example.com, rrtype: A}', DNS), true);
  assert.equal(matches('dns.answers[0]__contains: rdata', DNS), true);
  assert.equal(matches('pcap_cnt__contains: 1', ALERT), false);
});

test('__startswith and __endswith', () => {
  assert.equal(matches('alert.signature__startswith: ICMP', ALERT), true);
  assert.equal(matches('alert.signature__startswith: id', ALERT), false);
  assert.equal(matches('alert.signature__endswith: "21781"', ALERT), true);
  assert.equal(matches('alert.signature__endswith: ICMP', ALERT), false);
  assert.equal(matches('pcap_cnt__startswith: "1"', ALERT), false);
});

test('__gt __gte __lt __lte numeric', () => {
  assert.equal(matches('dns.answers[0].ttl__gt: 299', DNS), true);
  assert.equal(matches('dns.answers[0].ttl__gt: 300', DNS), false);
  assert.equal(matches('dns.answers[0].ttl__gte: 300', DNS), true);
  assert.equal(matches('dns.answers[0].ttl__gte: 301', DNS), false);
  assert.equal(matches('dns.answers[0].ttl__lt: 301', DNS), true);
  assert.equal(matches('dns.answers[0].ttl__lt: 300', DNS), false);
  assert.equal(matches('dns.answers[0].ttl__lte: 300', DNS), true);
  assert.equal(matches('dns.answers[0].ttl__lte: 299', DNS), false);
  assert.equal(matches('dns.answers.__len__gte: 2', DNS), true);
  // A string never orders against a number.
  assert.equal(matches('dns.answers[0].ttl__gt: "1"', DNS), false);
  assert.equal(matches('dns.missing__lt: 5', DNS), false);
});

test('has-key with path or list', () => {
  assert.equal(matches('has-key: alert.metadata', ALERT), true);
  assert.equal(matches('has-key: alert.rule', ALERT), false);
  assert.equal(matches('has-key: [alert, flow_id]', ALERT), true);
  assert.equal(matches('has-key: [alert, flow]', ALERT), false);
  // A JSON null counts as absent.
  assert.equal(matches('has-key: dns.rcode_value', DNS), false);
});

test('not-has-key with path or list', () => {
  assert.equal(matches('not-has-key: flow', ALERT), true);
  assert.equal(matches('not-has-key: alert.gid', ALERT), false);
  assert.equal(matches('not-has-key: [flow, pgsql]', ALERT), true);
  assert.equal(matches('not-has-key: [flow, alert]', ALERT), false);
});

test('empty match selects every event', () => {
  assert.equal(isEventMatch(parseMatchTerms({}), ALERT), true);
});

test('operator written after a dot', () => {
  assert.equal(matches('alert.signature.__startswith: "ICMP id"', ALERT), true);
  assert.equal(matches('alert.signature.__endswith: "21781"', ALERT), true);
  assert.equal(matches('alert.signature.__endswith: "21782"', ALERT), false);
  assert.equal(matches('proto.__find: CM', ALERT), true);
});
