/**
 * `tcp.mss`: compares the value of the TCP maximum segment size option
 * (kind 2, length 4, RFC 9293 section 3.2). A segment without a valid MSS
 * option does not match. Suricata: rules/header-keywords.html#tcp-mss.
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
const MSS_OPTION_BYTES = 4;

/**
 * Returns the value of the first MSS option of the segment, or -1 when it
 * has none. The walk stops at the end-of-list option and at a length that
 * is below 2 or runs past the header, as the decoder's does.
 */
export function tcpMssOption(p: Packet): number {
  if (p.tcpOptionsOffset < 0) return -1;
  const bytes = p.bytes;
  const end = Math.min(p.tcpOptionsOffset + p.tcpOptionsLength, bytes.length);
  let i = p.tcpOptionsOffset;
  while (i < end) {
    const kind = bytes[i];
    if (kind === OPTION_EOL) return -1;
    if (kind === OPTION_NOP) {
      i++;
      continue;
    }
    if (i + 2 > end) return -1;
    const length = bytes[i + 1];
    if (length < 2 || i + length > end) return -1;
    if (kind === OPTION_MSS && length === MSS_OPTION_BYTES) return (bytes[i + 2] << 8) | bytes[i + 3];
    i += length;
  }
  return -1;
}

/** Compares the MSS option value. */
export class TcpMssMatch implements PacketMatcher {
  readonly keyword = 'tcp.mss';

  constructor(readonly value: UintValue) {}

  match(p: Packet): boolean {
    if (!isTcp(p)) return false;
    const mss = tcpMssOption(p);
    return mss >= 0 && this.value.matches(mss);
  }
}

registerKeyword({
  name: 'tcp.mss',
  description: 'compare the TCP MSS option value; segments without the option do not match',
  docsAnchor: 'header-keywords.html#tcp-mss',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const mss = parseUintValue(value, 65535);
    if (typeof mss === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, mss);
      return;
    }
    b.addPacketMatch(new TcpMssMatch(mss));
  },
});
