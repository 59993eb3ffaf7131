// tcp.mss, tcp.wscale, icmpv6.mtu and the tcp.* number names on decoded
// frames. The expected values are read off the bytes below. The MSS option
// is kind 2, length 4 (RFC 9293), window scale is kind 3, length 3 (RFC
// 7323), and a Packet Too Big message keeps its MTU in bytes 4 to 7 (RFC
// 4443 section 3.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../../core/packet.js';
import { decodeBytes, parseHexRows } from '../../decode/test-support.js';
import { loadRulesFromText } from '../rule-files.js';
import type { DetectThreadContext } from '../signature.js';
import { tcpMssOption, tcpWindowScaleOption } from './tcp-options.js';
import { icmpv6Mtu } from './icmpv6-mtu.js';

/** IPv4 and a TCP SYN with data offset 6: options 02 04 05 b4, MSS 1460, at bytes 54 to 57. */
const TCP_SYN_MSS = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00   .."3DUfw......E.
0010  00 2c 00 01 40 00 40 06 00 00 c6 33 64 01 cb 00   .,..@.@....3d...
0020  71 02 04 d2 00 50 00 00 00 01 00 00 00 00 60 02   q....P........'.
0030  72 10 00 00 00 00 02 04 05 b4                     r.........
`);

/**
 * IPv4 and a TCP SYN with data offset 7: MSS 1460 (02 04 05 b4), NOP (01),
 * window scale 7 (03 03 07). The shift is byte 61.
 */
const TCP_SYN_WSCALE = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00   .."3DUfw......E.
0010  00 30 00 01 40 00 40 06 00 00 c6 33 64 01 cb 00   .0..@.@....3d...
0020  71 02 04 d2 00 50 00 00 00 01 00 00 00 00 70 02   q....P........p.
0030  72 10 00 00 00 00 02 04 05 b4 01 03 03 07         r.............
`);

/** IPv6 and ICMPv6 Packet Too Big, code 0, MTU 1232 (00 00 04 d0), 8 bytes of the invoking packet. */
const ICMPV6_TOO_BIG = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 86 dd 60 00   .."3DUfw........
0010  00 00 00 10 3a 40 20 01 0d b8 00 00 00 00 00 00   ....:@ .........
0020  00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00   ...... .........
0030  00 00 00 00 00 02 02 00 00 00 00 00 04 d0 60 00   ................
0040  00 00 00 00 11 40                                 .....@
`);

const ctx: DetectThreadContext = { byteVars: new Float64Array(0) };

function decoded(frame: Uint8Array): Packet {
  const { p } = decodeBytes(frame, undefined, 'none');
  assert.equal(p.isInvalid, false);
  return p;
}

/** Decodes a copy of `frame` with `patch` written at `offset`. */
function patched(frame: Uint8Array, offset: number, patch: number[]): Packet {
  const copy = frame.slice();
  copy.set(patch, offset);
  return decoded(copy);
}

function matches(options: string, p: Packet): boolean {
  const loaded = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'k.rules');
  assert.deepEqual(loaded.diagnostics.map((d) => d.message), []);
  return loaded.signatures[0].packetMatches.every((m) => m.match(p, null, ctx));
}

test('tcp.mss reads the option', () => {
  const p = decoded(TCP_SYN_MSS);
  assert.equal(tcpMssOption(p), 1460);
  assert.equal(matches('tcp.mss:1460;', p), true);
  assert.equal(matches('tcp.mss:<536;', p), false);
  assert.equal(matches('tcp.mss:1000-2000;', p), true);
});

test('tcp.mss zero is present', () => {
  const p = patched(TCP_SYN_MSS, 56, [0x00, 0x00]);
  assert.equal(tcpMssOption(p), 0);
  assert.equal(matches('tcp.mss:<536;', p), true);
});

test('tcp.mss without the option', () => {
  // NOP, NOP, NOP, end of list.
  const p = patched(TCP_SYN_MSS, 54, [0x01, 0x01, 0x01, 0x00]);
  assert.equal(tcpMssOption(p), -1);
  assert.equal(matches('tcp.mss:<536;', p), false);
  assert.equal(matches('tcp.mss:>=0;', p), false);
});

test('tcp.mss with wrong option length', () => {
  // Kind 2 with length 3 is not a valid MSS option; the walk skips it.
  const p = patched(TCP_SYN_MSS, 54, [0x02, 0x03, 0x05, 0x01]);
  assert.equal(tcpMssOption(p), -1);
});

test('icmpv6.mtu of packet too big', () => {
  const p = decoded(ICMPV6_TOO_BIG);
  assert.equal(icmpv6Mtu(p), 1232);
  assert.equal(matches('icmpv6.mtu:1232;', p), true);
  assert.equal(matches('icmpv6.mtu:<1280;', p), true);
  assert.equal(matches('icmpv6.mtu:>1280;', p), false);
});

test('icmpv6.mtu other messages', () => {
  // Code 1 is not defined for Packet Too Big; type 1 is Destination Unreachable.
  assert.equal(icmpv6Mtu(patched(ICMPV6_TOO_BIG, 55, [0x01])), -1);
  assert.equal(icmpv6Mtu(patched(ICMPV6_TOO_BIG, 54, [0x01])), -1);
  assert.equal(icmpv6Mtu(decoded(TCP_SYN_MSS)), -1);
  assert.equal(matches('icmpv6.mtu:>=0;', decoded(TCP_SYN_MSS)), false);
});

test('tcp.seq tcp.ack tcp.window names', () => {
  // Sequence number 00 00 00 01, acknowledgement 0, window 72 10 (29200).
  const p = decoded(TCP_SYN_MSS);
  assert.equal(matches('tcp.seq:1;', p), true);
  assert.equal(matches('tcp.seq:2;', p), false);
  assert.equal(matches('tcp.ack:0;', p), true);
  assert.equal(matches('tcp.ack:>0;', p), false);
  assert.equal(matches('tcp.window:29200;', p), true);
  assert.equal(matches('tcp.window:<29200;', p), false);
  assert.equal(matches('tcp.window:29200;', decoded(ICMPV6_TOO_BIG)), false);
});

test('tcp.wscale reads the shift', () => {
  const p = decoded(TCP_SYN_WSCALE);
  assert.equal(tcpWindowScaleOption(p), 7);
  assert.equal(tcpMssOption(p), 1460);
  assert.equal(matches('tcp.wscale:7;', p), true);
  assert.equal(matches('tcp.wscale:>7;', p), false);
  assert.equal(matches('tcp.mss:1460; tcp.wscale:<8;', p), true);
});

test('tcp.wscale absent or too large', () => {
  assert.equal(tcpWindowScaleOption(decoded(TCP_SYN_MSS)), -1);
  assert.equal(matches('tcp.wscale:>=0;', decoded(TCP_SYN_MSS)), false);
  // A shift of 15 is above the RFC 7323 maximum 14, and reads as 0.
  const p = patched(TCP_SYN_WSCALE, 61, [15]);
  assert.equal(tcpWindowScaleOption(p), 0);
  assert.equal(matches('tcp.wscale:0;', p), true);
});
