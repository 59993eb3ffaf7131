import { test } from 'node:test';
import { LinkType, Packet } from '../core/packet.js';
import { DecodeContext } from './context.js';
import { decodePacket } from './decode-packet.js';
import { parseHexRows } from './test-support.js';

// Ethernet + IPv4 + TCP SYN (see ipv4.test.ts): a valid start that random
// byte flips then break in every layer.
const TCP_SYN = parseHexRows(`
0000  00 05 5d 21 99 4c 00 21 6a 5b 7d 4a 08 00 45 00   ..]!.L.!j[}J..E.
0010  00 34 31 7f 40 00 80 06 55 eb ac 10 10 80 d4 3a   .41.@...U......:
0020  e2 8e 0b 0a 00 50 dc 02 24 74 00 00 00 00 80 02   .....P..$t......
0030  20 00 cf eb 00 00 02 04 05 b4 01 03 03 02 01 01    ...............
0040  04 02                                             ..
`);

const LINK_TYPES = [LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL, LinkType.IEEE802_11_RADIOTAP];

test('random frames never throw', () => {
  // A fixed-seed linear congruential generator keeps failures reproducible.
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 8;
  };
  const ctx = new DecodeContext('all');
  const p = new Packet();
  for (let i = 0; i < 20_000; i++) {
    const length = next() % 120;
    const bytes = new Uint8Array(length);
    if (i % 2 === 0) {
      bytes.set(TCP_SYN.subarray(0, Math.min(length, TCP_SYN.length)));
      for (let flips = next() % 4; flips >= 0; flips--) if (length > 0) bytes[next() % length] = next() & 0xff;
    } else {
      for (let j = 0; j < length; j++) bytes[j] = next() & 0xff;
      // Give most frames a plausible start so deeper layers are reached.
      if (length > 14) bytes.set([0x08, 0x00, 0x45], 12);
    }
    p.reset(bytes, 0, length, LINK_TYPES[i % LINK_TYPES.length] as number, i + 1);
    decodePacket(p, ctx);
  }
});
