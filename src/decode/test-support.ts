/**
 * Helpers for the decoder tests: frames written as hex-dump rows (the
 * layout `tshark -x` prints: offset, up to 16 hex bytes, ASCII column) and
 * a one-call decode.
 */
import { LinkType, Packet } from '../core/packet.js';
import { DecodeContext, type ChecksumMode } from './context.js';
import { decodePacket } from './decode-packet.js';
import { decoderEventName } from './events.js';

const ROW = /^\s*[0-9a-fA-F]{4,8}\s{1,2}((?:[0-9a-fA-F]{2} )*[0-9a-fA-F]{2})/;

/**
 * Parses hex-dump rows into bytes. Each non-empty row is an offset, then
 * hex bytes separated by single spaces. Two or more spaces end the bytes,
 * so the ASCII column is ignored. Throws on a row without bytes.
 */
export function parseHexRows(text: string): Uint8Array {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const match = ROW.exec(line);
    if (match === null) throw new Error(`not a hex-dump row: '${line}'`);
    for (const pair of (match[1] as string).split(' ')) out.push(parseInt(pair, 16));
  }
  return Uint8Array.from(out);
}

/** Decodes `bytes` as one frame of `linkType` with a fresh context. */
export function decodeBytes(bytes: Uint8Array, linkType: number = LinkType.ETHERNET, mode: ChecksumMode = 'all'): { p: Packet; ctx: DecodeContext } {
  const p = new Packet();
  const ctx = new DecodeContext(mode);
  p.reset(bytes, 0, bytes.length, linkType, 1);
  decodePacket(p, ctx);
  return { p, ctx };
}

/** Returns the names of the events on `p`, in the order raised. */
export function eventNames(p: Packet): string[] {
  const names: string[] = [];
  for (let i = 0; i < p.eventCount; i++) names.push(decoderEventName(p.events[i] as number));
  return names;
}

/** Formats the first `count` bytes of an address as dotted IPv4. */
export function ipv4Text(addr: Uint8Array): string {
  return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
}
