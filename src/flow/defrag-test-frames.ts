/**
 * Builders of raw IPv4 and IPv6 fragments for the defragmentation tests
 * and the capture script: documentation addresses (198.51.100.1 to
 * 203.0.113.2, 2001:db8::1 to 2001:db8::2), payloads of one repeated letter.
 */
import { LinkType, Packet } from '../core/packet.js';
import { DecodeContext } from '../decode/context.js';
import { decodePacket } from '../decode/decode-packet.js';

export const SRC4 = [198, 51, 100, 1];
export const DST4 = [203, 0, 113, 2];
export const SRC6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
export const DST6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/** A fragment as the tests describe it: offset in bytes, MF flag, and its data. */
export interface FragmentSpec {
  id: number;
  offsetBytes: number;
  hasMore: boolean;
  data: Uint8Array;
  proto?: number;
  dst?: readonly number[];
}

/** Returns `count` bytes of the letter `letter`. */
export function letters(letter: string, count: number): Uint8Array {
  return new Uint8Array(count).fill(letter.charCodeAt(0));
}

/** Builds an IPv4 fragment (20-byte header, valid checksum, TTL 64). */
export function ipv4Fragment(spec: FragmentSpec): Uint8Array {
  const total = 20 + spec.data.length;
  const b = new Uint8Array(total);
  b[0] = 0x45;
  b[2] = total >> 8;
  b[3] = total & 0xff;
  b[4] = (spec.id >> 8) & 0xff;
  b[5] = spec.id & 0xff;
  const offsetUnits = spec.offsetBytes >> 3;
  b[6] = (spec.hasMore ? 0x20 : 0) | ((offsetUnits >> 8) & 0x1f);
  b[7] = offsetUnits & 0xff;
  b[8] = 64;
  b[9] = spec.proto ?? 1;
  b.set(SRC4, 12);
  b.set(spec.dst ?? DST4, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  b[10] = checksum >> 8;
  b[11] = checksum & 0xff;
  b.set(spec.data, 20);
  return b;
}

/**
 * Builds an IPv6 packet with a fragment header (next header `proto`,
 * default ICMPv6). `beforeFragment` are extension headers placed between
 * the IPv6 header and the fragment header, with their own next header bytes.
 */
export function ipv6Fragment(spec: FragmentSpec, beforeFragment: Uint8Array = new Uint8Array(0), firstNextHeader = 44): Uint8Array {
  const payload = beforeFragment.length + 8 + spec.data.length;
  const b = new Uint8Array(40 + payload);
  b[0] = 0x60;
  b[4] = payload >> 8;
  b[5] = payload & 0xff;
  b[6] = firstNextHeader;
  b[7] = 64;
  b.set(SRC6, 8);
  b.set(spec.dst ?? DST6, 24);
  b.set(beforeFragment, 40);
  const fh = 40 + beforeFragment.length;
  b[fh] = spec.proto ?? 58;
  b[fh + 2] = spec.offsetBytes >> 8;
  b[fh + 3] = (spec.offsetBytes & 0xf8) | (spec.hasMore ? 1 : 0);
  b[fh + 4] = (spec.id >>> 24) & 0xff;
  b[fh + 5] = (spec.id >>> 16) & 0xff;
  b[fh + 6] = (spec.id >>> 8) & 0xff;
  b[fh + 7] = spec.id & 0xff;
  b.set(spec.data, fh + 8);
  return b;
}

/** Decodes raw IP bytes into a new packet at capture time `timestampUs`. */
export function decodeRaw(bytes: Uint8Array, ctx: DecodeContext, timestampUs = 1_000_000, pcapCount = 1): Packet {
  const p = new Packet();
  p.reset(bytes, timestampUs, bytes.length, LinkType.RAW, pcapCount);
  decodePacket(p, ctx);
  return p;
}

/**
 * The fragments of the Novak test pattern ("Target-Based Fragmentation
 * Reassembly", 2005) in arrival order: nine original fragments, seven
 * that overlap them, then the last. Letters name the fragments as the
 * paper numbers them: A is <1>, J is <4>, Q is <11>.
 */
export const NOVAK_PATTERN: readonly { letter: string; offsetBytes: number; length: number }[] = [
  { letter: 'A', offsetBytes: 0, length: 24 },
  { letter: 'B', offsetBytes: 32, length: 16 },
  { letter: 'C', offsetBytes: 48, length: 24 },
  { letter: 'D', offsetBytes: 80, length: 8 },
  { letter: 'E', offsetBytes: 104, length: 16 },
  { letter: 'F', offsetBytes: 120, length: 24 },
  { letter: 'G', offsetBytes: 144, length: 16 },
  { letter: 'H', offsetBytes: 160, length: 16 },
  { letter: 'I', offsetBytes: 176, length: 8 },
  { letter: 'J', offsetBytes: 8, length: 32 },
  { letter: 'K', offsetBytes: 48, length: 24 },
  { letter: 'L', offsetBytes: 72, length: 24 },
  { letter: 'M', offsetBytes: 96, length: 24 },
  { letter: 'N', offsetBytes: 128, length: 8 },
  { letter: 'O', offsetBytes: 152, length: 8 },
  { letter: 'P', offsetBytes: 160, length: 8 },
  { letter: 'Q', offsetBytes: 176, length: 16 },
];

/** Expands a string of block letters ("AJJ...") to 8 bytes per letter. */
export function blocks(text: string): string {
  let out = '';
  for (const ch of text) out += ch.repeat(8);
  return out;
}
