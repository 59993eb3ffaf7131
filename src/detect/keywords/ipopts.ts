import { ErrorCode } from '../../core/errors.js';
import type { Packet } from '../../core/packet.js';
import type { PacketMatcher } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

/**
 * IPv4 option names and the bit each sets in Packet.ipOptionsSeen (bit
 * `type & 0x1f`). Types from the IANA IP option numbers registry.
 */
const IP_OPTIONS: Record<string, number> = {
  eol: 1 << 0, // type 0
  nop: 1 << 1, // type 1
  sec: 1 << 2, // type 130
  lsrr: 1 << 3, // type 131
  ts: 1 << 4, // type 68
  esec: 1 << 5, // type 133
  rr: 1 << 7, // type 7
  satid: 1 << 8, // type 136
  ssrr: 1 << 9, // type 137
  rtralt: 1 << 20, // type 148, router alert (RFC 2113), Suricata 9
};

/** Matches one IPv4 option, or any option when `bit` is 0. */
export class IpoptsMatch implements PacketMatcher {
  readonly keyword = 'ipopts';

  constructor(readonly bit: number) {}

  match(p: Packet): boolean {
    if (p.ipVersion !== 4) return false;
    if (this.bit === 0) return p.ipOptionsLength > 0;
    return (p.ipOptionsSeen & this.bit) !== 0;
  }
}

registerKeyword({
  name: 'ipopts',
  description: 'Matches an IPv4 option: rr, eol, nop, ts, sec, esec, lsrr, ssrr, satid, rtralt or any.',
  docsAnchor: 'header-keywords.html#ipopts',
  value: 'required',
  setup(b, value) {
    const name = value.trim().toLowerCase();
    if (name === 'any') {
      b.addPacketMatch(new IpoptsMatch(0));
      return;
    }
    const bit = IP_OPTIONS[name];
    if (bit === undefined) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not an IP option (expected ${Object.keys(IP_OPTIONS).join(', ')} or any)`);
      return;
    }
    b.addPacketMatch(new IpoptsMatch(bit));
  },
});
