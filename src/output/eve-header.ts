/**
 * The common head of every packet-based EVE event, in the order Suricata 8
 * writes it: timestamp, flow_id, pcap_cnt, event_type, vlan, src_ip,
 * src_port, dest_ip, dest_port, proto, ip_v, icmp_type, icmp_code, pkt_src,
 * ether.
 * Builders return the text of an open JSON object (no closing brace), so an
 * event builder appends its own fields.
 */
import type { Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { formatIp, jsonString, protoHasPorts, protoName } from './eve-format.js';
import type { PktSrcValue } from './eve-format.js';
import type { TimestampFormatter } from './eve-time.js';

/** Settings that every event builder uses besides its inputs. */
export interface EveContext {
  time: TimestampFormatter;
  /** True in IPS mode: drop actions block traffic (alert.action `blocked`). */
  ipsMode: boolean;
  /** eve-log `ipv6-compress`: RFC 5952 form instead of Suricata's default full form. */
  ipv6Compress: boolean;
  /** eve-log `ethernet`: add the `ether` object (MAC addresses) to packet events. */
  ethernet: boolean;
  /** eve-log `pcap-file`: the capture file read, written as `pcap_filename`; null to leave it out. */
  pcapFilename: string | null;
}

/** Closes an event object, adding `pcap_filename` last when it is configured, as Suricata does. */
export function closeEvent(ctx: EveContext, out: string): string {
  if (ctx.pcapFilename !== null) out += ',"pcap_filename":' + jsonString(ctx.pcapFilename);
  return out + '}';
}

const HEX = '0123456789abcdef';

/** Formats the 6-byte MAC address at `at` as lower-case hex pairs joined by colons. */
export function macAt(b: Uint8Array, at: number): string {
  let out = '';
  for (let i = 0; i < 6; i++) {
    const v = b[at + i] as number;
    if (i > 0) out += ':';
    out += HEX.charAt(v >> 4) + HEX.charAt(v & 15);
  }
  return out;
}

/**
 * Returns the `"ether":{...}` object of an Ethernet frame: the EtherType of
 * the Ethernet header itself (0x8100 for a VLAN-tagged frame) and the MAC
 * addresses as the packet carries them.
 */
function etherObject(p: Packet): string {
  const at = p.l2Offset;
  if (p.linkType !== 1 || at < 0 || p.bytes.length < at + 14) return '';
  const b = p.bytes;
  const etherType = ((b[at + 12] as number) << 8) | (b[at + 13] as number);
  return ',"ether":{"ether_type":' + etherType + ',"src_mac":"' + macAt(b, at + 6) + '","dest_mac":"' + macAt(b, at) + '"}';
}

/** Appends `"vlan":[...]` for the packet's VLAN ids, outermost first. */
function vlanField(p: Packet): string {
  if (p.vlanCount === 0) return '';
  let out = ',"vlan":[';
  for (let i = 0; i < p.vlanCount; i++) {
    if (i > 0) out += ',';
    out += p.vlanIds[i];
  }
  return out + ']';
}

/**
 * Opens an event about packet `p`, with addresses as the packet carries
 * them (Suricata's LOG_DIR_PACKET). `flow` adds flow_id; pcap_cnt is
 * written when the packet has a position in a capture.
 */
export function openPacketEvent(
  ctx: EveContext,
  p: Packet,
  flow: Flow | null,
  eventType: string,
  pktSrc: PktSrcValue,
): string {
  let out = '{"timestamp":"' + ctx.time.iso(p.timestampUs) + '"';
  if (flow !== null) out += ',"flow_id":' + flow.flowId;
  if (p.pcapCount !== 0) out += ',"pcap_cnt":' + p.pcapCount;
  out += ',"event_type":' + jsonString(eventType);
  out += vlanField(p);

  const isIp = p.ipVersion === 4 || p.ipVersion === 6;
  if (isIp) {
    const hasPorts = protoHasPorts(p.ipProto);
    out += ',"src_ip":"' + formatIp(p.srcAddr, p.ipVersion, ctx.ipv6Compress) + '"';
    if (hasPorts) out += ',"src_port":' + p.srcPort;
    out += ',"dest_ip":"' + formatIp(p.dstAddr, p.ipVersion, ctx.ipv6Compress) + '"';
    if (hasPorts) out += ',"dest_port":' + p.dstPort;
    out += ',"proto":' + jsonString(protoName(p.ipProto));
    out += ',"ip_v":' + p.ipVersion;
    if ((p.ipProto === 1 && p.ipVersion === 4) || (p.ipProto === 58 && p.ipVersion === 6)) {
      out += ',"icmp_type":' + p.icmpType + ',"icmp_code":' + p.icmpCode;
    }
  }
  out += ',"pkt_src":' + jsonString(pktSrc);
  if (ctx.ethernet) out += etherObject(p);
  return out;
}
