/**
 * Suricata 9's SCTP keywords: `sctp.vtag` and `sctp.chunk_cnt` compare the
 * verification tag and the number of chunks, and `sctp.chunk_type` matches
 * a packet that carries a chunk of the given type, by name or number
 * (`!` for a packet without one). The sticky buffers `sctp.hdr` and
 * `sctp.chunk_data` are in header-sticky.ts. Suricata: rules/sctp-keywords.html.
 */
import { ErrorCode } from '../../core/errors.js';
import { IpProto, type Packet } from '../../core/packet.js';
import type { PacketMatcher, SignatureBuilder } from '../signature.js';
import { SCTP_CHUNK_TYPE_NAMES } from '../../decode/sctp-igmp.js';
import { PacketField, registerUintKeyword } from './header-uint.js';
import { registerKeyword } from './keyword-table.js';
import { parseUintNumber } from './uint-value.js';


const TYPE_BY_NAME: ReadonlyMap<string, number> = new Map([...SCTP_CHUNK_TYPE_NAMES].map(([type, name]) => [name, type]));

/** Matches a packet with (or, negated, without) a chunk of one type. */
export class SctpChunkTypeMatch implements PacketMatcher {
  readonly keyword = 'sctp.chunk_type';

  constructor(
    readonly type: number,
    readonly isNegated: boolean,
  ) {}

  match(p: Packet): boolean {
    if (p.ipProto !== IpProto.SCTP || p.l4Offset < 0) return false;
    const isPresent = ((p.sctpChunkTypes[this.type >>> 5] as number) & (1 << (this.type & 31))) !== 0;
    return isPresent !== this.isNegated;
  }
}

function setupChunkType(b: SignatureBuilder, value: string): void {
  let text = value.trim();
  const isNegated = text.startsWith('!');
  if (isNegated) text = text.slice(1).trim();
  const type = TYPE_BY_NAME.get(text.toLowerCase()) ?? parseUintNumber(text);
  if (type === null || type > 255) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not an SCTP chunk type (expected a number 0 to 255 or a name such as data, init, init_ack, sack, abort, cookie_echo)`);
    return;
  }
  b.addPacketMatch(new SctpChunkTypeMatch(type, isNegated));
}

registerKeyword({
  name: 'sctp.chunk_type',
  description: 'Matches an SCTP packet carrying a chunk of the given type (Suricata 9).',
  docsAnchor: 'sctp-keywords.html#sctp-chunk-type',
  value: 'required',
  setup: setupChunkType,
});

registerUintKeyword({
  name: 'sctp.vtag',
  description: 'Compares the SCTP verification tag (Suricata 9).',
  docsAnchor: 'sctp-keywords.html#sctp-vtag',
  field: PacketField.SCTP_VTAG,
  max: 4294967295,
});

registerUintKeyword({
  name: 'sctp.chunk_cnt',
  description: 'Compares the number of chunks in an SCTP packet (Suricata 9).',
  docsAnchor: 'sctp-keywords.html#sctp-chunk-cnt',
  field: PacketField.SCTP_CHUNK_COUNT,
  max: 65535,
});
