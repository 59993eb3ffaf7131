/**
 * The `igmp` and `rgmp` objects that Suricata 9 adds to alerts on IGMP
 * packets: the message type and the IGMP version the message belongs to,
 * or, for RGMP (RFC 3488: types 0xfc to 0xff sent to 224.0.0.25), the
 * RGMP type alone.
 *
 * NOTE: the field names and values follow suricata-verify's expectations
 * for Suricata 9 (`rgmp.type`, `igmp.version`). Other fields that Suricata
 * may write in these objects are not written.
 */
import { IpProto, type Packet } from '../core/packet.js';

/** 224.0.0.25, the RGMP group address (RFC 3488 section 3). */
const RGMP_GROUP = 0xe0000019;
const RGMP_LOWEST_TYPE = 0xfc;
/** Length of an IGMPv1 or IGMPv2 message. A longer query is IGMPv3 (RFC 9776 section 7.1). */
const IGMP_V2_MESSAGE_BYTES = 8;

/**
 * Returns the IGMP version of a message: queries by length and max
 * response time (RFC 9776 section 7.1), reports and leaves by type
 * (0x12 v1, 0x16 and 0x17 v2, 0x22 v3), or 0 for other types.
 */
export function igmpVersionOf(type: number, maxResponse: number, messageBytes: number): number {
  switch (type) {
    case 0x11:
      if (messageBytes > IGMP_V2_MESSAGE_BYTES) return 3;
      return maxResponse === 0 ? 1 : 2;
    case 0x12:
      return 1;
    case 0x16:
    case 0x17:
      return 2;
    case 0x22:
      return 3;
    default:
      return 0;
  }
}

/** Returns `,"rgmp":{...}` or `,"igmp":{...}` for an IGMP packet, else ''. */
export function igmpAlertFields(p: Packet): string {
  const at = p.l4Offset;
  if (p.ipVersion !== 4 || p.ipProto !== IpProto.IGMP || at < 0 || at + 2 > p.bytes.length) return '';
  const type = p.bytes[at] as number;
  if (p.dst4 === RGMP_GROUP && type >= RGMP_LOWEST_TYPE) return ',"rgmp":{"type":' + type + '}';
  const version = igmpVersionOf(type, p.bytes[at + 1] as number, p.l4HeaderLength);
  return ',"igmp":{"type":' + type + (version > 0 ? ',"version":' + version : '') + '}';
}
