// Header sticky buffers on decoded frames. Each frame is written out below
// with its layout, and the expected offsets and lengths are counted from
// those bytes. IHL and the TCP data offset count 32-bit words (RFC 791,
// RFC 9293).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../core/packet.js';
import { decodeBytes, parseHexRows } from '../decode/test-support.js';
import type { Flow } from '../flow/flow.js';
import { AlertQueue, DetectEngine, type BufferView } from './detect-engine.js';
import { HEADER_BUFFER_PROVIDERS, HeaderBuffer } from './header-buffers.js';
import { loadRulesFromText } from './rule-files.js';
import type { Signature } from './signature.js';

/**
 * Ethernet, IPv4 with a 4-byte router alert option (IHL 6, 24 bytes),
 * TCP SYN with data offset 6 (24 bytes) holding MSS 1460 (02 04 05 b4).
 * IPv4 header at 14, TCP header at 38, 62 bytes in all.
 */
const TCP_SYN_WITH_OPTIONS = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00 46 00   .."3DUfw......F.
0010  00 30 00 01 40 00 40 06 00 00 c6 33 64 01 cb 00   .0..@.@....3d...
0020  71 02 94 04 00 00 04 d2 00 50 00 00 00 01 00 00   q........P......
0030  00 00 60 02 72 10 00 00 00 00 02 04 05 b4         ....r.........
`);

/**
 * Ethernet, IPv6 (2001:db8::1 to 2001:db8::2) with an 8-byte hop-by-hop
 * header (next header UDP, PadN), UDP 12345 to 53 of length 16, payload
 * "kapu-hdr". IPv6 header at 14 (48 bytes with the extension), UDP at 62.
 */
const IPV6_HOPOPT_UDP = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 86 dd 60 00   .."3DUfw........
0010  00 00 00 18 00 40 20 01 0d b8 00 00 00 00 00 00   .....@ .........
0020  00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00   ...... .........
0030  00 00 00 00 00 02 11 00 01 04 00 00 00 00 30 39   ..............09
0040  00 35 00 10 00 00 6b 61 70 75 2d 68 64 72         .5....kapu-hdr
`);

/**
 * Ethernet, IPv4 (20 bytes), ICMP timestamp request (type 13): the 8-byte
 * header, then originate 1, receive 0 and transmit 0 (12 bytes). ICMP at 34.
 */
const ICMP_TIMESTAMP = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00   .."3DUfw......E.
0010  00 28 00 02 00 00 40 01 00 00 c6 33 64 01 cb 00   .(....@....3d...
0020  71 02 0d 00 00 00 00 07 00 01 00 00 00 01 00 00   q...............
0030  00 00 00 00 00 00                                 ......
`);

/** The same addresses, ICMP echo request (type 8) id 7 seq 1 with payload "ping". */
const ICMP_ECHO = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00   .."3DUfw......E.
0010  00 20 00 03 00 00 40 01 00 00 c6 33 64 01 cb 00   . ....@....3d...
0020  71 02 08 00 00 00 00 07 00 01 70 69 6e 67         q.........ping
`);

/**
 * Ethernet, IPv6 to ICMPv6 Packet Too Big (type 2, code 0) with MTU 1232
 * (00 00 04 d0), then the first 8 bytes of the invoking packet. ICMPv6 at 54.
 */
const ICMPV6_TOO_BIG = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 86 dd 60 00   .."3DUfw........
0010  00 00 00 10 3a 40 20 01 0d b8 00 00 00 00 00 00   ....:@ .........
0020  00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00   ...... .........
0030  00 00 00 00 00 02 02 00 00 00 00 00 04 d0 60 00   ................
0040  00 00 00 00 11 40                                 .....@
`);

/** Ethernet, IPv4, SCTP 2906 to 6303 with verification tag 42, then one 4-byte chunk. SCTP at 34. */
const SCTP_PACKET = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00   .."3DUfw......E.
0010  00 24 00 04 00 00 40 84 00 00 c6 33 64 01 cb 00   .$....@....3d...
0020  71 02 0b 5a 18 9f 00 00 00 2a 00 00 00 00 01 00   q..Z.....*......
0030  00 04                                             ..
`);

/** Ethernet, IPv4 to 224.0.0.1, IGMP membership query (type 0x11). IGMP at 34. */
const IGMP_QUERY = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00   .."3DUfw......E.
0010  00 1c 00 05 00 00 01 02 00 00 c6 33 64 01 e0 00   ...........3d...
0020  00 01 11 64 00 00 00 00 00 00                     ...d......
`);

function decoded(frame: Uint8Array): Packet {
  const { p } = decodeBytes(frame, undefined, 'none');
  assert.equal(p.isInvalid, false);
  return p;
}

/** Returns [start, length] of the named buffer, or null when the provider reports it absent. */
function bufferOf(name: string, p: Packet): [number, number] | null {
  const provider = HEADER_BUFFER_PROVIDERS.find((x) => x.name === name);
  assert.ok(provider !== undefined, `no provider for ${name}`);
  const view: BufferView = { bytes: new Uint8Array(0), start: 0, length: 0 };
  return provider.fill(p, null, view) ? [view.start, view.length] : null;
}

function loadRules(text: string): Signature[] {
  const loaded = loadRulesFromText(text, 'hdr.rules');
  assert.deepEqual(loaded.diagnostics.map((d) => d.message), []);
  return loaded.signatures;
}

/** Returns the sids that alert on `p`, in evaluation order. */
function alertSids(rules: string, p: Packet, flow: Flow | null = null): number[] {
  const engine = new DetectEngine(loadRules(rules));
  assert.deepEqual(engine.skipped.map((s) => s.reason), []);
  const out = new AlertQueue();
  engine.inspectPacket(p, flow, out);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids.sort((a, b) => a - b);
}

test('ipv4.hdr covers the options', () => {
  const p = decoded(TCP_SYN_WITH_OPTIONS);
  assert.deepEqual(bufferOf(HeaderBuffer.IPV4, p), [14, 24]);
  assert.equal(bufferOf(HeaderBuffer.IPV6, p), null);
});

test('tcp.hdr covers the options', () => {
  const p = decoded(TCP_SYN_WITH_OPTIONS);
  assert.deepEqual(bufferOf(HeaderBuffer.TCP, p), [38, 24]);
  assert.equal(bufferOf(HeaderBuffer.UDP, p), null);
  assert.equal(bufferOf(HeaderBuffer.ICMPV4, p), null);
});

test('ether.hdr is the 14-byte frame header', () => {
  const p = decoded(TCP_SYN_WITH_OPTIONS);
  assert.deepEqual(bufferOf(HeaderBuffer.ETHER, p), [0, 14]);
});

test('ipv6.hdr includes extension headers', () => {
  const p = decoded(IPV6_HOPOPT_UDP);
  assert.deepEqual(bufferOf(HeaderBuffer.IPV6, p), [14, 48]);
  assert.equal(bufferOf(HeaderBuffer.IPV4, p), null);
});

test('udp.hdr is 8 bytes', () => {
  const p = decoded(IPV6_HOPOPT_UDP);
  assert.deepEqual(bufferOf(HeaderBuffer.UDP, p), [62, 8]);
  assert.equal(bufferOf(HeaderBuffer.TCP, p), null);
});

test('icmpv4.hdr of timestamp is 20 bytes', () => {
  const p = decoded(ICMP_TIMESTAMP);
  assert.deepEqual(bufferOf(HeaderBuffer.ICMPV4, p), [34, 20]);
});

test('icmpv4.hdr of echo is 8 bytes', () => {
  const p = decoded(ICMP_ECHO);
  assert.deepEqual(bufferOf(HeaderBuffer.ICMPV4, p), [34, 8]);
});

test('icmpv4.hdr of address mask is 8 bytes', () => {
  // Suricata's decoder grows the header only for timestamps and router
  // advertisements; an address mask request (type 17) keeps 8 bytes.
  const frame = ICMP_ECHO.slice();
  frame[34] = 17;
  assert.deepEqual(bufferOf(HeaderBuffer.ICMPV4, decoded(frame)), [34, 8]);
});

test('icmpv4.hdr of short timestamp is 8 bytes', () => {
  // A timestamp request with only 4 bytes after the header ("ping").
  const frame = ICMP_ECHO.slice();
  frame[34] = 13;
  assert.deepEqual(bufferOf(HeaderBuffer.ICMPV4, decoded(frame)), [34, 8]);
});

test('icmpv6.hdr is 8 bytes', () => {
  const p = decoded(ICMPV6_TOO_BIG);
  assert.deepEqual(bufferOf(HeaderBuffer.ICMPV6, p), [54, 8]);
  assert.equal(bufferOf(HeaderBuffer.ICMPV4, p), null);
});

test('sctp.hdr is header and chunks', () => {
  const p = decoded(SCTP_PACKET);
  // IP total length 36: 20 bytes of IPv4, the 12-byte common header and one 4-byte chunk.
  assert.deepEqual(bufferOf(HeaderBuffer.SCTP, p), [34, 16]);
  assert.equal(bufferOf(HeaderBuffer.IGMP, p), null);
});

test('igmp.hdr is 8 bytes', () => {
  const p = decoded(IGMP_QUERY);
  assert.deepEqual(bufferOf(HeaderBuffer.IGMP, p), [34, 8]);
  assert.equal(bufferOf(HeaderBuffer.SCTP, p), null);
  const rules = 'alert ip any any -> any any (igmp.hdr; content:"|11|"; startswith; bsize:8; sid:1;)';
  assert.deepEqual(alertSids(rules, p), [1]);
});

test('header cut short by capture is absent', () => {
  const p = decoded(TCP_SYN_WITH_OPTIONS);
  // The capture now ends 2 bytes before the end of the TCP options.
  p.bytes = p.bytes.subarray(0, 60);
  assert.equal(bufferOf(HeaderBuffer.TCP, p), null);
  assert.deepEqual(bufferOf(HeaderBuffer.IPV4, p), [14, 24]);
});

test('header buffer rules match decoded frames', () => {
  const rules = [
    // Byte 20 of the IPv4 header starts the router alert option.
    'alert ip any any -> any any (ipv4.hdr; content:"|94 04 00 00|"; offset:20; depth:4; sid:1;)',
    'alert ip any any -> any any (ipv4.hdr; bsize:24; sid:2;)',
    'alert ip any any -> any any (ipv4.hdr; bsize:20; sid:3;)',
    // The MSS option follows the 20 fixed bytes; its value is 1460.
    'alert tcp any any -> any any (tcp.hdr; content:"|02 04|"; offset:20; byte_test:2,=,1460,0,relative; sid:4;)',
    'alert tcp any any -> any any (tcp.hdr; isdataat:24; sid:5;)',
    'alert tcp any any -> any any (tcp.hdr; isdataat:23; sid:6;)',
    'alert ip any any -> any any (udp.hdr; bsize:8; sid:7;)',
  ].join('\n');
  assert.deepEqual(alertSids(rules, decoded(TCP_SYN_WITH_OPTIONS)), [1, 2, 4, 6]);
});

test('ipv6 and udp header rules match', () => {
  const rules = [
    // Byte 40 begins the hop-by-hop header: next header 0x11 (UDP), length 0.
    'alert ip any any -> any any (ipv6.hdr; content:"|11 00|"; offset:40; depth:2; sid:1;)',
    'alert ip any any -> any any (ipv6.hdr; bsize:48; sid:2;)',
    // UDP length 16 at bytes 4 and 5.
    'alert udp any any -> any any (udp.hdr; content:"|00 10|"; offset:4; depth:2; sid:3;)',
    'alert udp any any -> any any (udp.hdr; content:"kapu"; sid:4;)',
    'alert ip any any -> any any (ipv4.hdr; bsize:>0; sid:5;)',
  ].join('\n');
  assert.deepEqual(alertSids(rules, decoded(IPV6_HOPOPT_UDP)), [1, 2, 3]);
});

test('icmp header rules match', () => {
  const rules = [
    'alert icmp any any -> any any (icmpv4.hdr; content:"|0d 00|"; startswith; bsize:20; sid:1;)',
    'alert icmp any any -> any any (icmpv4.hdr; content:"|00 00 00 01|"; offset:8; depth:4; sid:2;)',
    'alert icmp any any -> any any (icmpv6.hdr; content:"|00 00 04 d0|"; offset:4; depth:4; sid:3;)',
  ].join('\n');
  assert.deepEqual(alertSids(rules, decoded(ICMP_TIMESTAMP)), [1, 2]);
  assert.deepEqual(alertSids(rules, decoded(ICMPV6_TOO_BIG)), [3]);
});

test('sctp.hdr in udp rule is rejected', () => {
  const loaded = loadRulesFromText('alert udp any any -> any any (sctp.hdr; content:"x"; sid:1;)', 'hdr.rules');
  assert.deepEqual(
    loaded.diagnostics.map((d) => d.message),
    ["sctp.hdr: rule protocol 'udp' has no such header (expected a rule protocol of sctp, ip)"],
  );
  assert.equal(loaded.signatures.length, 0);
});
