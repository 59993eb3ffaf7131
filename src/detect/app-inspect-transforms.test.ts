import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesFromText } from './rule-files.js';
import { AppInspector } from './app-inspect.js';
import type { Signature } from './signature.js';
import { AlertQueue } from './detect-engine.js';
import { createTestFlow, createTestPacket } from './test-support/packets.js';
import { Direction, IpProto } from '../core/packet.js';
import { AppProto, FlowAppState } from '../app/app-layer.js';
import { HttpState } from '../app/http/state.js';
import { DnsState } from '../app/dns/state.js';

function load(text: string): Signature[] {
  const result = loadRulesFromText(text, 'rules/local.rules');
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  return result.signatures;
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Feeds one HTTP request and returns the sids that alert on it. */
function inspectRequest(rules: string, request: string): number[] {
  const inspector = new AppInspector(load(rules), 15);
  assert.deepEqual(inspector.skipped, []);
  const state = new FlowAppState(1);
  const parser = new HttpState();
  state.proto = AppProto.HTTP;
  state.parser = parser;
  const flow = createTestFlow();
  flow.appProto = AppProto.HTTP;
  const out = new AlertQueue(15);
  const bytes = latin1(request);
  parser.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  state.pendingInspect[Direction.TO_SERVER] = 1;
  inspector.inspect(createTestPacket({ direction: Direction.TO_SERVER }), flow, state, out, false);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids;
}

/** Feeds one DNS query for `name` (type A, class IN) and returns the sids that alert on it. */
function inspectDnsQuery(rules: string, name: string): number[] {
  return inspectDnsQueryWith(new AppInspector(load(rules), 15), name);
}

function inspectDnsQueryWith(inspector: AppInspector, name: string): number[] {
  assert.deepEqual(inspector.skipped, []);
  const state = new FlowAppState(2);
  const parser = new DnsState(false);
  state.proto = AppProto.DNS;
  state.parser = parser;
  const flow = createTestFlow();
  flow.appProto = AppProto.DNS;
  const query: number[] = [0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
  for (const label of name.split('.')) query.push(label.length, ...latin1(label));
  query.push(0, 0x00, 0x01, 0x00, 0x01);
  const bytes = Uint8Array.from(query);
  parser.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  state.pendingInspect[Direction.TO_SERVER] = 1;
  const out = new AlertQueue(15);
  inspector.inspect(createTestPacket({ direction: Direction.TO_SERVER, ipProto: IpProto.UDP, dstPort: 53 }), flow, state, out, false);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids;
}

const REQUEST = 'GET /Admin/Login.PHP?q=%41%42 HTTP/1.1\r\nHost: www.example.org\r\n\r\n';

test('transformed http.uri runs in transactions', () => {
  const rules = [
    'alert http any any -> any any (http.uri; to_lowercase; content:"/admin/login.php"; sid:1;)',
    'alert http any any -> any any (http.uri; url_decode; content:"q=AB"; sid:2;)',
    'alert http any any -> any any (http.uri; to_uppercase; content:"/ADMIN/NOPE"; sid:3;)',
    '',
  ].join('\n');
  assert.deepEqual(inspectRequest(rules, REQUEST), [1, 2]);
});

test('raw and transformed buffer in one rule', () => {
  const rules = [
    // The raw uri has "/Admin" and the lower-cased one "/admin".
    'alert http any any -> any any (http.uri; content:"/Admin"; http.uri; to_lowercase; content:"/admin"; sid:4;)',
    'alert http any any -> any any (http.uri; content:"/admin"; http.uri; to_lowercase; content:"/admin"; sid:5;)',
    '',
  ].join('\n');
  assert.deepEqual(inspectRequest(rules, REQUEST), [4]);
});

test('dotprefix on each dns.query', () => {
  const rules = [
    'alert dns any any -> any any (dns.query; dotprefix; content:".example.com"; endswith; sid:6;)',
    'alert dns any any -> any any (dns.query; dotprefix; content:".ample.com"; sid:7;)',
    '',
  ].join('\n');
  assert.deepEqual(inspectDnsQuery(rules, 'www.example.com'), [6]);
  // The added dot lets a bare name match a pattern that starts at a label boundary.
  assert.deepEqual(inspectDnsQuery(rules, 'example.com'), [6]);
  assert.deepEqual(inspectDnsQuery(rules, 'notexample.com'), []);
});

test('http1 header with header_names transform', () => {
  const rules = [
    'alert http1 any any -> any any (http.header_names; strip_pseudo_headers; content:"|0d 0a|Host|0d 0a|"; startswith; sid:8;)',
    'alert http1 any any -> any any (http.header_names; to_lowercase; content:"|0d 0a|host|0d 0a|"; startswith; sid:9;)',
    '',
  ].join('\n');
  assert.deepEqual(inspectRequest(rules, REQUEST), [8, 9]);
});

test('base64_decode after url_decode in transactions', () => {
  // In the raw URI "%2B" decodes to '+', so "n%2Bw" becomes "n+w", whose base64 decoding is 0x9f 0xec.
  const rule = 'alert http any any -> any any (http.uri.raw; url_decode; content:"c="; base64_decode:relative; base64_data; content:"|9f ec|"; sid:10;)';
  assert.deepEqual(inspectRequest(rule, 'GET /?c=n%2Bw HTTP/1.1\r\nHost: a.test\r\n\r\n'), [10]);
  assert.deepEqual(inspectRequest(rule, 'GET /?c=nBw HTTP/1.1\r\nHost: a.test\r\n\r\n'), []);
});

test('transformed fast pattern prefilters', () => {
  const rules = [
    'alert dns any any -> any any (dns.query; dotprefix; content:".evil.test"; endswith; sid:11;)',
    'alert dns any any -> any any (dns.query; to_uppercase; content:"GOOD.TEST"; sid:12;)',
    '',
  ].join('\n');
  const inspector = new AppInspector(load(rules), 15);
  assert.deepEqual(inspectDnsQueryWith(inspector, 'www.evil.test'), [11]);
  // The prefilter scans the transformed names, so only the rule whose pattern occurs is evaluated.
  assert.equal(inspector.evaluations, 1);
  const other = new AppInspector(load(rules), 15);
  assert.deepEqual(inspectDnsQueryWith(other, 'www.other.test'), []);
  assert.equal(other.evaluations, 0);
});
