/**
 * Keywords on TCP options: `tcp.mss` compares the maximum segment size
 * (kind 2, length 4, RFC 9293 section 3.2) and `tcp.wscale` the window
 * scale shift (kind 3, length 3, RFC 7323 section 2.2). A segment without
 * that option, or with a wrong option length, does not match. Suricata:
 * rules/header-keywords.html#tcp-mss and #tcp-wscale.
 */
import type { Packet } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { PacketMatcher, SignatureBuilder } from '../signature.js';
import { isTcp } from './header-uint.js';
import { registerKeyword } from './keyword-table.js';
import { parseUintValue, type UintValue } from './uint-value.js';

const OPTION_EOL = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;
const OPTION_WSCALE = 3;
const MSS_OPTION_BYTES = 4;
const WSCALE_OPTION_BYTES = 3;

/**
 * Largest window scale shift (RFC 7323 section 2.3). Suricata reads a
 * larger shift as 0, and so does tcp.wscale.
 */
export const MAX_WINDOW_SCALE = 14;

/**
 * Returns the offset of the first option of `kind` with exactly `length`
 * bytes, or -1. The walk stops at the end-of-list option and at a length
 * that is below 2 or runs past the header, as the decoder's does.
 */
export function findTcpOption(p: Packet, kind: number, length: number): number {
  if (p.tcpOptionsOffset < 0) return -1;
  const bytes = p.bytes;
  const end = Math.min(p.tcpOptionsOffset + p.tcpOptionsLength, bytes.length);
  let i = p.tcpOptionsOffset;
  while (i < end) {
    const optionKind = bytes[i];
    if (optionKind === OPTION_EOL) return -1;
    if (optionKind === OPTION_NOP) {
      i++;
      continue;
    }
    if (i + 2 > end) return -1;
    const optionLength = bytes[i + 1];
    if (optionLength < 2 || i + optionLength > end) return -1;
    if (optionKind === kind && optionLength === length) return i;
    i += optionLength;
  }
  return -1;
}

/** Returns the value of the first MSS option of the segment, or -1 when it has none. */
export function tcpMssOption(p: Packet): number {
  const at = findTcpOption(p, OPTION_MSS, MSS_OPTION_BYTES);
  if (at < 0) return -1;
  return (p.bytes[at + 2] << 8) | p.bytes[at + 3];
}

/** Returns the window scale shift of the segment (0 for a shift above 14), or -1 when it has none. */
export function tcpWindowScaleOption(p: Packet): number {
  const at = findTcpOption(p, OPTION_WSCALE, WSCALE_OPTION_BYTES);
  if (at < 0) return -1;
  const shift = p.bytes[at + 2];
  return shift <= MAX_WINDOW_SCALE ? shift : 0;
}

/** Option kinds that TcpOptionMatch compares. */
export const TcpOptionField = {
  MSS: 0,
  WSCALE: 1,
} as const;

/** Compares the value of one TCP option. */
export class TcpOptionMatch implements PacketMatcher {
  constructor(
    readonly keyword: string,
    readonly field: number,
    readonly value: UintValue,
  ) {}

  match(p: Packet): boolean {
    if (!isTcp(p)) return false;
    const v = this.field === TcpOptionField.MSS ? tcpMssOption(p) : tcpWindowScaleOption(p);
    return v >= 0 && this.value.matches(v);
  }
}

function registerOptionKeyword(name: string, field: number, max: number, description: string, docsAnchor: string): void {
  registerKeyword({
    name,
    description,
    docsAnchor,
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      const parsed = parseUintValue(value, max);
      if (typeof parsed === 'string') {
        b.error(ErrorCode.RULE_BAD_VALUE, parsed);
        return;
      }
      b.addPacketMatch(new TcpOptionMatch(name, field, parsed));
    },
  });
}

registerOptionKeyword(
  'tcp.mss',
  TcpOptionField.MSS,
  65535,
  'compare the TCP MSS option value; segments without the option do not match',
  'header-keywords.html#tcp-mss',
);
registerOptionKeyword(
  'tcp.wscale',
  TcpOptionField.WSCALE,
  255,
  'compare the TCP window scale shift; segments without the option do not match',
  'header-keywords.html#tcp-wscale',
);
