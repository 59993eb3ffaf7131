/**
 * The Internet checksum (RFC 1071) and CRC32c (RFC 3309, for SCTP).
 * Functions return partial sums so that a pseudo-header and a segment can
 * be added before the final fold.
 */
import type { Packet } from '../core/packet.js';
import type { DecodeContext } from './context.js';

/**
 * Adds the bytes [start, end) as big-endian 16-bit words to `sum`. An odd
 * last byte is padded with a zero byte (RFC 1071 section 4.1). Even and odd
 * bytes are summed apart and joined per 64 KiB block, which keeps every
 * partial sum a small integer.
 */
export function addChecksumWords(bytes: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  while (i < evenEnd) {
    const blockEnd = Math.min(evenEnd, i + 65536);
    let high = 0;
    let low = 0;
    for (; i + 8 <= blockEnd; i += 8) {
      high += bytes[i] + bytes[i + 2] + bytes[i + 4] + bytes[i + 6];
      low += bytes[i + 1] + bytes[i + 3] + bytes[i + 5] + bytes[i + 7];
    }
    for (; i < blockEnd; i += 2) {
      high += bytes[i];
      low += bytes[i + 1];
    }
    sum = foldChecksum(sum + high * 256 + low);
  }
  if (i < end) sum += bytes[i] << 8;
  return sum;
}

/** Folds a partial sum to 16 bits (not complemented). */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

/** Tells whether a sum that includes the checksum field itself verifies (folds to 0xffff). */
export function isChecksumValid(sum: number): boolean {
  return foldChecksum(sum) === 0xffff;
}

/**
 * Returns the partial sum of the pseudo-header for an upper-layer checksum:
 * RFC 9293 section 3.1 for IPv4, RFC 8200 section 8.1 for IPv6. Reads the
 * addresses of the innermost IP layer from `p`. For IPv6 the destination is
 * the final one named by a routing header, and the source is the home
 * address of a home address option (RFC 6275 section 6.3), when the
 * decoder found them (`ctx.pseudoSourceOffset`, `ctx.pseudoDestinationOffset`).
 */
export function pseudoHeaderSum(p: Packet, ctx: DecodeContext, proto: number, length: number): number {
  const sum = proto + (length >>> 16) + (length & 0xffff);
  if (p.ipVersion === 4) {
    return sum + (p.src4 >>> 16) + (p.src4 & 0xffff) + (p.dst4 >>> 16) + (p.dst4 & 0xffff);
  }
  const source = ctx.pseudoSourceOffset >= 0 ? addressSum(p.bytes, ctx.pseudoSourceOffset) : addressSum(p.srcAddr, 0);
  const destination = ctx.pseudoDestinationOffset >= 0 ? addressSum(p.bytes, ctx.pseudoDestinationOffset) : addressSum(p.dstAddr, 0);
  return sum + source + destination;
}

function addressSum(bytes: Uint8Array, at: number): number {
  let sum = 0;
  for (let i = at; i < at + 16; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  return sum;
}

const CRC32C_TABLE = buildCrc32cTable();

function buildCrc32cTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * Computes CRC32c over [start, end) with the four bytes at `zeroAt` read as
 * zero, as the SCTP checksum field is during the computation (RFC 9260
 * appendix A). Returns the value as SCTP stores it, byte-swapped into a
 * little-endian read of the field.
 */
export function sctpCrc32c(bytes: Uint8Array, start: number, end: number, zeroAt: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    const byte = i >= zeroAt && i < zeroAt + 4 ? 0 : bytes[i];
    crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
