import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction } from '../core/packet.js';
import {
  DnsFrameType, FlowFrames, FrameBytes, FrameConfig, FRAME_LOOKBACK_BYTES, MAX_FRAMES_PER_DIRECTION, SshFrameType, STREAM_FRAME_TYPE,
  TlsFrameType, frameTypeId, frameTypeName, type Frame,
} from './frames.js';
import { TlsState } from './tls/state.js';
import { SshState } from './ssh/state.js';
import { DnsState } from './dns/state.js';
import { HttpState } from './http/state.js';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function allFrames(proto: string, isTcp: boolean): FlowFrames {
  return new FlowFrames(proto, isTcp, new FrameConfig(true).enabledTypes(proto) as Uint8Array);
}

/** Feeds `bytes` to the parser in pieces of `sizes` (the rest in one piece), as the app layer does. */
function feed(frames: FlowFrames, parser: { handleData(d: number, b: Uint8Array, s: number, l: number, t: number): void }, direction: number, bytes: Uint8Array, sizes: number[]): void {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.min(sizes[i] ?? bytes.length, bytes.length - at);
    frames.beginChunk(direction, bytes, at, n, at);
    parser.handleData(direction, bytes, at, n, 0);
    at += n;
  }
}

/** Frames as `type@offset+length` in creation order, the whole-stream frame left out. */
function layout(frames: FlowFrames, proto: string, direction: number): string[] {
  return (frames.frames[direction] as Frame[])
    .filter((f) => f.type !== STREAM_FRAME_TYPE)
    .map((f) => `${frameTypeName(proto, f.type)}@${f.offset}+${f.length}`);
}

// Two TLS records: application data of 3 bytes, then an alert
// (RFC 8446 section 5.1 header: type, version 0x0303, length).
//   0000  17 03 03 00 03 aa bb cc  15 03 03 00 02 02 28     ...............
const TLS_RECORDS = hex('1703030003aabbcc 15030300020228');
const TLS_LAYOUT = ['pdu@0+8', 'hdr@0+5', 'data@5+3', 'pdu@8+7', 'hdr@8+5', 'data@13+2', 'alert@13+2'];

test('tls records become frames whole', () => {
  const frames = allFrames('tls', true);
  const tls = new TlsState();
  tls.frames = frames;
  feed(frames, tls, Direction.TO_CLIENT, TLS_RECORDS, []);
  assert.deepEqual(layout(frames, 'tls', Direction.TO_CLIENT), TLS_LAYOUT);
});

test('tls records become frames byte by byte', () => {
  const frames = allFrames('tls', true);
  const tls = new TlsState();
  tls.frames = frames;
  feed(frames, tls, Direction.TO_CLIENT, TLS_RECORDS, new Array<number>(TLS_RECORDS.length).fill(1));
  assert.deepEqual(layout(frames, 'tls', Direction.TO_CLIENT), TLS_LAYOUT);
});

test('ssh packet becomes three frames', () => {
  // Banner (11 bytes), then a NEWKEYS packet (RFC 4253 section 6):
  // packet_length 12, padding_length 4, payload 21 plus 6 bytes, padding 4.
  //   000b  00 00 00 0c 04 15 00 00  00 00 00 00 00 00 00 00   ................
  const bytes = new Uint8Array([...Buffer.from('SSH-2.0-x\r\n', 'latin1'), ...hex('0000000c0415 000000000000 00000000')]);
  for (const sizes of [[], [3, 10, 1, 1]]) {
    const frames = allFrames('ssh', true);
    const ssh = new SshState();
    ssh.frames = frames;
    feed(frames, ssh, Direction.TO_SERVER, bytes, sizes);
    assert.deepEqual(layout(frames, 'ssh', Direction.TO_SERVER), ['record.pdu@11+16', 'record.hdr@11+6', 'record.data@17+10']);
    assert.equal((frames.frames[0] as Frame[])[1]?.txId, 0);
  }
});

test('dns tcp frame skips length prefix', () => {
  // Length prefix 12, then a 12-byte header with no questions (RFC 1035 section 4.2.2).
  const bytes = hex('000c 1234 0100 0000 0000 0000 0000');
  for (const sizes of [[], [1, 1, 5]]) {
    const frames = allFrames('dns', true);
    const dns = new DnsState(true);
    dns.frames = frames;
    feed(frames, dns, Direction.TO_SERVER, bytes, sizes);
    assert.deepEqual(layout(frames, 'dns', Direction.TO_SERVER), ['pdu@2+12']);
  }
});

test('dns udp frame is the datagram', () => {
  const bytes = hex('1234 0100 0000 0000 0000 0000');
  const frames = allFrames('dns', false);
  const dns = new DnsState(false);
  dns.frames = frames;
  feed(frames, dns, Direction.TO_SERVER, bytes, []);
  feed(frames, dns, Direction.TO_SERVER, bytes, []);
  // A datagram replaces the frames of the one before; UDP has no whole-stream frame.
  assert.deepEqual((frames.frames[0] as Frame[]).map((f) => `${f.type}@${f.offset}+${f.length}`), [`${DnsFrameType.PDU}@0+12`]);
});

test('stream frame starts at first data', () => {
  const frames = allFrames('tls', true);
  frames.beginChunk(Direction.TO_SERVER, TLS_RECORDS, 0, 4, 0);
  const list = frames.frames[0] as Frame[];
  assert.equal(list.length, 1);
  assert.equal(list[0]?.type, STREAM_FRAME_TYPE);
  assert.equal(list[0]?.offset, 0);
  assert.equal(list[0]?.length, -1);
  assert.equal(list[0]?.id, 1);
});

test('disabled frame types are not recorded', () => {
  const config = new FrameConfig(false);
  config.enable('tls', TlsFrameType.HDR);
  const frames = new FlowFrames('tls', true, config.enabledTypes('tls') as Uint8Array);
  const tls = new TlsState();
  tls.frames = frames;
  feed(frames, tls, Direction.TO_CLIENT, TLS_RECORDS, []);
  assert.deepEqual(layout(frames, 'tls', Direction.TO_CLIENT), ['hdr@0+5', 'hdr@8+5']);
  assert.equal(config.enabledTypes('ssh'), null);
});

test('frame limit per direction', () => {
  const frames = allFrames('ssh', true);
  frames.beginChunk(Direction.TO_SERVER, new Uint8Array(1), 0, 1, 0);
  for (let i = 0; i < MAX_FRAMES_PER_DIRECTION + 5; i++) frames.add(Direction.TO_SERVER, SshFrameType.RECORD_PDU, 0, 1);
  assert.equal((frames.frames[0] as Frame[]).length, MAX_FRAMES_PER_DIRECTION);
  // The whole-stream frame took one place.
  assert.equal(frames.dropped, 6);
});

test('frame bytes keep gaps', () => {
  const store = new FrameBytes();
  store.append(hex('0102'), 0, 2, 0);
  store.addGap(3);
  store.append(hex('0607'), 0, 2, 5);
  assert.equal(store.end, 7);
  assert.equal(store.contiguousEnd(0), 2);
  assert.equal(store.contiguousEnd(3), 3);
  assert.equal(store.contiguousEnd(5), 7);
  store.trim(5);
  assert.equal(store.base, 5);
  assert.equal(store.gapStarts.length, 0);
  assert.deepEqual([...store.data.subarray(0, 2)], [6, 7]);
});

test('frame bytes restart after long gap', () => {
  const store = new FrameBytes();
  store.append(hex('01'), 0, 1, 0);
  store.addGap(1 << 20);
  assert.equal(store.base, 1 + (1 << 20));
  assert.equal(store.end, store.base);
});

test('frame type names', () => {
  assert.equal(frameTypeId('ssh', 'record.hdr'), SshFrameType.RECORD_HDR);
  assert.equal(frameTypeId('http', 'request'), 0);
  assert.equal(frameTypeId('tls', 'stream'), STREAM_FRAME_TYPE);
  assert.equal(frameTypeId('tls', 'record'), -1);
  assert.equal(frameTypeId('smb', 'pdu'), -1);
  assert.equal(frameTypeName('tls', TlsFrameType.HEARTBEAT), 'heartbeat');
});

test('http request and response frames', () => {
  // Request: start line 17 bytes, header section 30 bytes (blank line
  // included), Content-Length body 3 bytes.
  const request = Uint8Array.from(Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', 'latin1'));
  // Response: start line 17 bytes, header section 30 bytes, chunked body
  // "3 CRLF abc CRLF 0 CRLF CRLF" of 13 bytes.
  const response = Uint8Array.from(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 'latin1'));
  for (const sizes of [[], new Array<number>(64).fill(1)]) {
    const frames = allFrames('http', true);
    const http = new HttpState();
    http.frames = frames;
    feed(frames, http, Direction.TO_SERVER, request, sizes);
    feed(frames, http, Direction.TO_CLIENT, response, sizes);
    assert.deepEqual(layout(frames, 'http', Direction.TO_SERVER), ['request@0+50', 'request.line@0+17', 'request.headers@17+30', 'request.body@47+3']);
    assert.deepEqual(layout(frames, 'http', Direction.TO_CLIENT), ['response@0+60', 'response.line@0+17', 'response.headers@17+30', 'response.body@47+13']);
    assert.deepEqual((frames.frames[Direction.TO_CLIENT] as Frame[]).map((f) => f.txId), [-1, 0, 0, 0, 0]);
  }
});

test('prune drops finished frames', () => {
  const frames = allFrames('tls', true);
  const big = new Uint8Array(FRAME_LOOKBACK_BYTES + 100);
  frames.beginChunk(Direction.TO_CLIENT, big, 0, big.length, 0);
  // The whole-stream frame is done in this test.
  const stream = (frames.frames[1] as Frame[])[0] as Frame;
  stream.isInspected = true;
  stream.isLogged = true;
  const pdu = frames.add(Direction.TO_CLIENT, TlsFrameType.PDU, 0, 10) as Frame;
  const open = frames.add(Direction.TO_CLIENT, TlsFrameType.PDU, 50, 1 << 20) as Frame;
  pdu.isInspected = true;
  frames.prune(Direction.TO_CLIENT, true);
  // Not logged yet while frame events are written: kept.
  assert.equal((frames.frames[1] as Frame[]).includes(pdu), true);
  pdu.isLogged = true;
  frames.prune(Direction.TO_CLIENT, true);
  assert.equal((frames.frames[1] as Frame[]).includes(pdu), false);
  // The open frame at offset 50 keeps its bytes.
  assert.equal(frames.bytes[1].base, 50);
  open.isInspected = true;
  frames.prune(Direction.TO_CLIENT, false);
  assert.equal(frames.frames[1].length, 0);
  // With no frame open, only the look-back bytes stay.
  assert.equal(frames.bytes[1].base, 100);
});

test('http request held behind connect', () => {
  // A CONNECT (26 bytes) whose tunnel the proxy refuses: the GET (19 bytes)
  // in the same segment is held, parsed after the response, and keeps its own offset.
  const request = Uint8Array.from(Buffer.from('CONNECT h:443 HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n', 'latin1'));
  const forbidden = Uint8Array.from(Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', 'latin1'));
  const frames = allFrames('http', true);
  const http = new HttpState();
  http.frames = frames;
  feed(frames, http, Direction.TO_SERVER, request, []);
  feed(frames, http, Direction.TO_CLIENT, forbidden, []);
  const requests = layout(frames, 'http', Direction.TO_SERVER).filter((f) => f.startsWith('request@'));
  assert.deepEqual(requests, ['request@0+26', 'request@26+19']);
});
