/**
 * One matcher class for the header keywords that compare one packet field
 * with an integer comparison (uint-value.ts). The field is chosen by a
 * small number, so every such keyword shares one monomorphic `match`.
 */
import { IpProto, type Packet } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { PacketMatcher } from '../signature.js';
import { registerKeyword } from './keyword-table.js';
import { parseUintValue, type UintValue } from './uint-value.js';

/** Packet fields that integer header keywords read. */
export const PacketField = {
  TTL: 0,
  IP_ID: 1,
  FRAG_OFFSET: 2,
  TOS: 3,
  TCP_WINDOW: 4,
  TCP_SEQ: 5,
  TCP_ACK: 6,
  ICMP_TYPE: 7,
  ICMP_CODE: 8,
  ICMP_ID: 9,
  ICMP_SEQ: 10,
  PAYLOAD_SIZE: 11,
  /** The first byte of an IGMP message (RFC 2236 section 2.1). */
  IGMP_TYPE: 12,
  /** The verification tag of the SCTP common header (RFC 9260 section 3.1). */
  SCTP_VTAG: 13,
  /** The number of chunks in an SCTP packet. */
  SCTP_CHUNK_COUNT: 14,
} as const;

/** Compares one packet field; packets without that field do not match. */
export class UintFieldMatch implements PacketMatcher {
  constructor(
    readonly keyword: string,
    readonly field: number,
    readonly value: UintValue,
  ) {}

  match(p: Packet): boolean {
    switch (this.field) {
      case PacketField.TTL:
        return p.ipVersion !== 0 && this.value.matches(p.ttl);
      case PacketField.IP_ID:
        return p.ipVersion === 4 && this.value.matches(p.ipId);
      case PacketField.FRAG_OFFSET:
        // The header field counts 8-byte units, and Packet stores bytes. An
        // IPv6 packet without a fragment header does not match.
        // NOTE: the field value is used for IPv6 too, as the documentation
        // reads; Suricata's decoder keeps IPv6 offsets in bytes, so there it
        // compares bytes.
        if (p.ipVersion === 6 && !p.isFragment) return false;
        return p.ipVersion !== 0 && this.value.matches(p.fragmentOffset >>> 3);
      case PacketField.TOS:
        return p.ipVersion === 4 && this.value.matches(p.tos);
      case PacketField.TCP_WINDOW:
        return isTcp(p) && this.value.matches(p.tcpWindow);
      case PacketField.TCP_SEQ:
        return isTcp(p) && this.value.matches(p.tcpSeq);
      case PacketField.TCP_ACK:
        return isTcp(p) && this.value.matches(p.tcpAck);
      case PacketField.ICMP_TYPE:
        return isIcmp(p) && this.value.matches(p.icmpType);
      case PacketField.ICMP_CODE:
        return isIcmp(p) && this.value.matches(p.icmpCode);
      case PacketField.ICMP_ID:
        return hasIcmpIdAndSeq(p) && this.value.matches(p.icmpId);
      case PacketField.ICMP_SEQ:
        return hasIcmpIdAndSeq(p) && this.value.matches(p.icmpSeq);
      case PacketField.PAYLOAD_SIZE:
        return this.value.matches(p.payloadLength);
      case PacketField.SCTP_VTAG: {
        if (p.ipProto !== IpProto.SCTP || p.l4Offset < 0) return false;
        const b = p.bytes;
        const at = p.l4Offset + 4;
        return this.value.matches((((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0);
      }
      case PacketField.SCTP_CHUNK_COUNT:
        return p.ipProto === IpProto.SCTP && p.l4Offset >= 0 && this.value.matches(p.sctpChunkCount);
      case PacketField.IGMP_TYPE:
        return p.ipProto === IpProto.IGMP && p.l4Offset >= 0 && this.value.matches(p.bytes[p.l4Offset] as number);
      default:
        return false;
    }
  }
}

/** Tells whether the packet has a decoded TCP header. */
export function isTcp(p: Packet): boolean {
  return p.ipProto === IpProto.TCP && p.l4Offset >= 0;
}

/** Tells whether the packet has a decoded ICMP or ICMPv6 header. */
export function isIcmp(p: Packet): boolean {
  return (p.ipProto === IpProto.ICMP || p.ipProto === IpProto.ICMPV6) && p.l4Offset >= 0;
}

/**
 * Tells whether the ICMP message carries an identifier and sequence number:
 * echo, timestamp, information and address mask messages (RFC 792, RFC 950)
 * and ICMPv6 echo (RFC 4443 section 4).
 */
export function hasIcmpIdAndSeq(p: Packet): boolean {
  if (!isIcmp(p)) return false;
  const t = p.icmpType;
  if (p.ipProto === IpProto.ICMP) return t === 0 || t === 8 || (t >= 13 && t <= 18);
  return t === 128 || t === 129;
}

/** Definition of one integer header keyword for registerUintKeyword. */
export interface UintKeywordSpec {
  name: string;
  aliases?: readonly string[];
  description: string;
  docsAnchor: string;
  field: number;
  /** Largest value of the field (255 for 8 bits, 65535 for 16, 4294967295 for 32). */
  max: number;
  /** True when a rule may use the keyword only once, as Suricata requires for dsize. */
  isOncePerRule?: boolean;
}

/** Registers an integer header keyword. */
export function registerUintKeyword(spec: UintKeywordSpec): void {
  registerKeyword({
    name: spec.name,
    ...(spec.aliases === undefined ? {} : { aliases: spec.aliases }),
    description: spec.description,
    docsAnchor: spec.docsAnchor,
    value: 'required',
    setup(b, value) {
      if (spec.isOncePerRule === true && b.sig.packetMatches.some((m) => m.keyword === spec.name)) {
        b.error(ErrorCode.RULE_BAD_VALUE, `the rule gives '${spec.name}' more than once (a rule takes one)`);
        return;
      }
      const parsed = parseUintValue(value, spec.max);
      if (typeof parsed === 'string') {
        b.error(ErrorCode.RULE_BAD_VALUE, parsed);
        return;
      }
      b.addPacketMatch(new UintFieldMatch(spec.name, spec.field, parsed));
    },
  });
}
