import type { Packet } from '../../core/packet.js';
import type { PacketMatcher } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

/** Matches IP packets whose source and destination addresses are equal. */
export class SameIpMatch implements PacketMatcher {
  readonly keyword = 'sameip';

  match(p: Packet): boolean {
    if (p.ipVersion === 4) return p.src4 === p.dst4;
    if (p.ipVersion !== 6) return false;
    for (let i = 0; i < 16; i++) {
      if (p.srcAddr[i] !== p.dstAddr[i]) return false;
    }
    return true;
  }
}

registerKeyword({
  name: 'sameip',
  description: 'Matches packets whose source address equals the destination address.',
  docsAnchor: 'header-keywords.html#sameip',
  value: 'none',
  setup(b) {
    b.addPacketMatch(new SameIpMatch());
  },
});
