import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRulesFromText } from '../rule-files.js';
import { AppInspector } from '../app-inspect.js';
import { AlertQueue } from '../detect-engine.js';
import type { Signature } from '../signature.js';
import { createTestFlow, createTestPacket } from '../test-support/packets.js';
import { Direction, type Packet } from '../../core/packet.js';
import { AppProto, FlowAppState } from '../../app/app-layer.js';
import { BoundedBytes, defaultHttpConfig, FileHash, FileState, HttpFile, HttpState } from '../../app/http/state.js';
import { ContentMatch } from './content.js';
import { FileMatch, FileSizeCondition, fileHashesOf } from './file-keywords.js';
import { parseHashList } from './hash-list.js';

// RFC 1321 appendix A.5 and FIPS 180-2 appendix B.1: the digests of "abc".
const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72';
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

/** Writes hash lists to a new folder and returns the path of a rules file in it. */
function ruleFolder(lists: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-file-keywords-'));
  for (const [name, text] of Object.entries(lists)) writeFileSync(join(dir, name), text);
  return join(dir, 'local.rules');
}

function load(text: string, file = 'rules/local.rules'): Signature[] {
  const result = loadRulesFromText(text, file);
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  return result.signatures;
}

function loadErrors(text: string, file = 'rules/local.rules'): string[] {
  return loadRulesFromText(text, file).diagnostics.map((d) => d.message);
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Feeds request and response pairs of one HTTP flow, inspecting after each message. Returns the sids, sorted. */
function inspectHttp(sigs: Signature[], messages: readonly [string, string][]): number[] {
  const inspector = new AppInspector(sigs, 15);
  assert.deepEqual(inspector.skipped, []);
  const state = new FlowAppState(1);
  const parser = new HttpState({ ...defaultHttpConfig(), fileHashes: fileHashesOf(sigs) });
  state.proto = AppProto.HTTP;
  state.parser = parser;
  const flow = createTestFlow();
  flow.appProto = AppProto.HTTP;
  const out = new AlertQueue(15);
  const toServer = createTestPacket({ direction: Direction.TO_SERVER });
  const toClient = createTestPacket({ direction: Direction.TO_CLIENT, src: '203.0.113.1', dst: '198.51.100.1', srcPort: 80, dstPort: 40000 });
  const sids: number[] = [];
  const feed = (direction: number, text: string, p: Packet): void => {
    const bytes = latin1(text);
    parser.handleData(direction, bytes, 0, bytes.length, 0);
    state.pendingInspect[direction] = 1;
    out.clear();
    inspector.inspect(p, flow, state, out, false);
    for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  };
  for (const [request, response] of messages) {
    feed(Direction.TO_SERVER, request, toServer);
    feed(Direction.TO_CLIENT, response, toClient);
  }
  return sids.sort((a, b) => a - b);
}

// A multipart upload of two files, "titi.txt" containing "abc" (3 bytes)
// and "toto.TXT" containing "le minet" (8 bytes), then a download of
// /docs/R.pdf containing "abc".
const UPLOAD_BODY =
  '--XyZ\r\nContent-Disposition: form-data; name="a"; filename="titi.txt"\r\nContent-Type: text/plain\r\n\r\nabc\r\n' +
  '--XyZ\r\nContent-Disposition: form-data; name="b"; filename="toto.TXT"\r\n\r\nle minet\r\n--XyZ--\r\n';
const UPLOAD: [string, string] = [
  'POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n' +
    `Content-Length: ${UPLOAD_BODY.length}\r\n\r\n${UPLOAD_BODY}`,
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
];
const DOWNLOAD: [string, string] = [
  'GET /docs/R.pdf HTTP/1.1\r\nHost: h\r\n\r\n',
  'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
];

test('filename is nocase file.name content', () => {
  const [sig] = load('alert http any any -> any any (filename:"R.PDF"; content:"x"; sid:1;)\n');
  assert.deepEqual(sig!.buffers.map((b) => b.buffer), ['file.name', 'pkt_data']);
  const content = sig!.buffers[0]!.matches[0] as ContentMatch;
  assert.equal(Buffer.from(content.pattern).toString('latin1'), 'r.pdf');
  assert.equal(content.isNocase, true);
  assert.equal(content.isEndsWith, false);
  assert.equal(content.isNegated, false);
});

test('fileext is dotted endswith content', () => {
  const [sig] = load('alert http any any -> any any (fileext:!"Doc"; sid:1;)\n');
  const content = sig!.buffers[0]!.matches[0] as ContentMatch;
  assert.equal(sig!.buffers[0]!.buffer, 'file.name');
  assert.equal(Buffer.from(content.original).toString('latin1'), '.Doc');
  assert.equal(content.isNocase, true);
  assert.equal(content.isEndsWith, true);
  assert.equal(content.isNegated, true);
});

test('file.data named twice gives two chains', () => {
  const [sig] = load('alert http any any -> any any (file.data; content:"a"; file.name; content:"n"; file.data; content:"b"; sid:1;)\n');
  assert.deepEqual(sig!.buffers.map((b) => b.buffer), ['file.data', 'file.name', 'file.data']);
  assert.deepEqual(sig!.buffers.map((b) => b.matches.length), [1, 1, 1]);
});

test('filemagic rejected for missing libmagic', () => {
  assert.deepEqual(loadErrors('alert http any any -> any any (filemagic:"PDF document"; sid:1;)\n'), [
    'filemagic: not supported, because it needs libmagic, which kapu does not include; rule skipped',
  ]);
});

test('filemd5 missing list reported', () => {
  const rules = ruleFolder({});
  const errors = loadErrors('alert http any any -> any any (filemd5:absent.md5; sid:1;)\n', rules);
  assert.deepEqual(errors, [`filemd5: hash list '${join(rules, '..', 'absent.md5')}' cannot be read (ENOENT)`]);
});

test('filesize value with units', () => {
  const [sig] = load('alert http any any -> any any (filesize:>1KB; filesize:<2mb; sid:1;)\n');
  const match = sig!.packetMatches.find((m) => m instanceof FileMatch) as FileMatch;
  assert.equal(match.conditions.length, 2);
  const [low, high] = match.conditions as FileSizeCondition[];
  assert.equal(low!.value.a, 1024);
  assert.equal(high!.value.a, 2 * 1024 * 1024);
});

test('filesize bad value reported', () => {
  assert.deepEqual(loadErrors('alert http any any -> any any (filesize:>ten; sid:1;)\n').length, 1);
});

test('filesize on open and truncated files', () => {
  const file = new HttpFile(latin1('f'), 1, new BoundedBytes(16), 0);
  file.update(new Uint8Array(10));
  const [greater, less] = load('alert http any any -> any any (filesize:>5; sid:1;)\nalert http any any -> any any (filesize:<20; sid:2;)\n')
    .map((sig) => (sig.packetMatches[0] as FileMatch).conditions[0] as FileSizeCondition);
  // The size of an open file only grows: > can match now, < must wait.
  assert.equal(greater!.matchFile(file), true);
  assert.equal(less!.matchFile(file), false);
  file.close(FileState.CLOSED);
  assert.equal(less!.matchFile(file), true);
  const cut = new HttpFile(latin1('g'), 1, new BoundedBytes(16), 0);
  cut.update(new Uint8Array(10));
  cut.close(FileState.TRUNCATED);
  assert.equal(greater!.matchFile(cut), true);
  assert.equal(less!.matchFile(cut), false);
});

test('hash list reads md5sum output', () => {
  const list = parseHashList(`# known\n${MD5_ABC.toUpperCase()}  abc.txt\r\n\nd41d8cd98f00b204e9800998ecf8427e\n`, 'md5');
  assert.ok(list instanceof Set);
  assert.deepEqual([...list], [MD5_ABC, 'd41d8cd98f00b204e9800998ecf8427e']);
});

test('hash list bad line reported', () => {
  assert.equal(parseHashList(`${MD5_ABC}\nnot-a-digest\n`, 'md5'), "line 2 does not start with a md5 digest (expected 32 hex digits, found 'not-a-digest')");
  assert.equal(typeof parseHashList(MD5_ABC, 'sha256'), 'string');
});

test('file hashes needed by rules', () => {
  const rules = ruleFolder({ 'a.md5': MD5_ABC + '\n', 'a.sha256': SHA256_ABC + '\n' });
  const sigs = load('alert http any any -> any any (filemd5:a.md5; sid:1;)\nalert http any any -> any any (filesha256:!a.sha256; sid:2;)\n', rules);
  assert.equal(fileHashesOf(sigs), FileHash.MD5 | FileHash.SHA256);
});

test('file keywords on upload and download', () => {
  const rules = ruleFolder({ 'md5.list': `${MD5_ABC}  abc\n`, 'sha.list': `${SHA256_ABC}\n` });
  const sigs = load(
    [
      'alert http any any -> any any (file.name; content:"titi.txt"; sid:1;)',
      // "abc" and "minet" are in two different files.
      'alert http any any -> any any (file.data; content:"abc"; content:"minet"; sid:2;)',
      'alert http any any -> any any (file.data; content:"abc"; file.data; content:"minet"; sid:3;)',
      'alert http any any -> any any (fileext:"txt"; sid:4;)',
      'alert http any any -> any any (flow:to_server; fileext:!"txt"; sid:5;)',
      'alert http any any -> any any (filemd5:md5.list; sid:6;)',
      'alert http any any -> any any (flow:to_server; filemd5:!md5.list; sid:7;)',
      'alert http any any -> any any (flow:to_client; filesha256:sha.list; sid:8;)',
      'alert http any any -> any any (filesize:8; sid:9;)',
      'alert http any any -> any any (filesize:>8; sid:10;)',
      'alert http any any -> any any (flow:to_client; filename:"r.PDF"; sid:11;)',
      'alert http any any -> any any (flow:to_server; fileext:"pdf"; sid:12;)',
      // The file with md5("abc") has 3 bytes, not 8: both tests must hold for one file.
      'alert http any any -> any any (filemd5:md5.list; filesize:8; sid:13;)',
      '',
    ].join('\n'),
    rules,
  );
  // sid 6 matches both transactions: the uploaded titi.txt and the downloaded R.pdf contain "abc".
  assert.deepEqual(inspectHttp(sigs, [UPLOAD, DOWNLOAD]), [1, 3, 4, 6, 6, 7, 8, 9, 11]);
});

test('file data of a get body absent', () => {
  // A GET request body is not a file, so file.data has no instance there.
  const sigs = load('alert http any any -> any any (flow:to_server; file.data; content:"abc"; sid:1;)\n');
  const request = 'GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc';
  assert.deepEqual(inspectHttp(sigs, [[request, 'HTTP/1.1 204 No Content\r\n\r\n']]), []);
});

test('filesize direction argument', () => {
  const sigs = load(
    [
      'alert http any any -> any any (filesize: to_server, >1; sid:20;)',
      'alert http any any -> any any (filesize: to_client, >1; sid:21;)',
      'alert http any any => any any (http.uri; content:"/docs"; filesize: to_client, 3; sid:22;)',
      '',
    ].join('\n'),
  );
  assert.equal((sigs[1]!.packetMatches[0] as FileMatch).direction, 1);
  assert.deepEqual(inspectHttp(sigs, [DOWNLOAD]), [21, 22]);
});

test('filesize directions in conflict', () => {
  const errors = loadErrors('alert http any any => any any (filesize: to_client, >1; filesize: to_server, <9; sid:1;)\n');
  assert.deepEqual(errors, ["filesize: 'to_server' conflicts with the other direction named by an earlier file keyword (all file tests apply to one file)"]);
});
