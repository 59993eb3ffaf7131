/**
 * The decoded packet: one captured frame plus the offsets and header fields
 * of its layers. The decode stage fills it, later stages read it. A Packet
 * is reused from frame to frame (`reset`), so every field is assigned in the
 * constructor in one order and nothing is added later.
 *
 * Offsets index `bytes`. A field that a frame does not have is 0 (numbers)
 * or -1 (offsets), never undefined.
 */

/** Link-layer types from the pcap LINKTYPE_ registry. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IEEE802_11: 105,
  IEEE802_11_RADIOTAP: 127,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** IP protocol numbers (IANA). */
export const IpProto = {
  HOPOPTS: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  SCTP: 132,
} as const;

/** TCP header flag bits (RFC 9293 section 3.1, plus ECE and CWR from RFC 3168). */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Result of a checksum check: not checked, valid, or invalid. */
export const ChecksumState = {
  UNCHECKED: 0,
  VALID: 1,
  INVALID: 2,
} as const;

/** Flow direction of a packet, as the rule option `flow:` names it. */
export const Direction = {
  TO_SERVER: 0,
  TO_CLIENT: 1,
} as const;

/** Most decoder events recorded on one packet; later ones are counted only. */
export const MAX_PACKET_EVENTS = 16;

/** Most 802.1Q tags recorded on one packet (Suricata also keeps three). */
export const MAX_VLAN_LAYERS = 3;

/**
 * Tunnel layers whose IP header offset a packet records (Packet.tunnelL3Offsets).
 * Layers past this depth are still decoded through, but not inspected as
 * packets of their own.
 */
export const MAX_TUNNEL_LAYER_OFFSETS = 4;

/**
 * One captured frame and its decoded layers. `bytes` is a view over the
 * capture buffer, valid only until the next frame is read: a stage that must
 * keep payload beyond the current packet copies it.
 */
export class Packet {
  /** Frame bytes as captured (may be shorter than `wireLength`). */
  bytes: Uint8Array;
  /** Captured length in bytes, equal to `bytes.length`. */
  captureLength: number;
  /** Length of the frame on the wire. */
  wireLength: number;
  /** Capture time in microseconds since the Unix epoch. */
  timestampUs: number;
  /** 1-based position of the frame in its capture (EVE `pcap_cnt`). */
  pcapCount: number;
  /** LINKTYPE_ value of the frame's interface. */
  linkType: number;
  /** Index of the capture interface (pcapng) or 0. */
  interfaceId: number;
  /**
   * True when the capture reports that the kernel has not computed the
   * checksums yet (offloading, or a GSO packet taken whole). The decoder
   * then counts them as valid instead of checking them.
   */
  isChecksumOffloaded: boolean;

  /** Offset of the link-layer header, or -1. */
  l2Offset: number;
  /** Ethertype of the layer above the link (after VLAN tags), or 0. */
  etherType: number;
  /** VLAN ids, outermost first; `vlanCount` of them are valid. */
  vlanIds: Uint16Array;
  vlanCount: number;
  /** Offset of the ARP header (RFC 826) when the packet is ARP, else -1. */
  arpOffset: number;

  /** 4 or 6 for IP packets, 0 for anything else (ARP, 802.11, ...). */
  ipVersion: number;
  /** Offset of the innermost IP header, or -1. */
  l3Offset: number;
  /** IP header length, including IPv6 extension headers, in bytes. */
  ipHeaderLength: number;
  /** IPv4 total length, or IPv6 payload length plus 40. */
  ipTotalLength: number;
  /** Protocol of the layer after the IP headers (IpProto). */
  ipProto: number;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** IPv4 identification, or the IPv6 fragment header's identification. */
  ipId: number;
  /** IPv4 type of service or IPv6 traffic class. */
  tos: number;
  /** IPv4 flag bits (bit 0x4 reserved, 0x2 DF, 0x1 MF) as in the header. */
  ipFlags: number;
  /** Fragment offset in bytes (IPv4 or IPv6 fragment header). */
  fragmentOffset: number;
  /** True when more fragments follow, or the offset is non-zero. */
  isFragment: boolean;
  /** True for a packet rebuilt from IP fragments (rule option flow:only_frag). */
  isDefragmented: boolean;
  /** Offset and length of the IPv4 options, or -1 and 0. */
  ipOptionsOffset: number;
  ipOptionsLength: number;
  /** Bitmask of IPv4 options seen (bit n set for option type n & 0x1f). */
  ipOptionsSeen: number;
  /** Source and destination addresses: 4 bytes used for IPv4, 16 for IPv6. */
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
  /** IPv4 addresses as unsigned 32-bit numbers, 0 for IPv6. */
  src4: number;
  dst4: number;
  /** Checksum state of the IPv4 header (ChecksumState). */
  ipChecksum: number;

  /** Offset of the layer-4 header, or -1. */
  l4Offset: number;
  /** Length of the layer-4 header, in bytes. */
  l4HeaderLength: number;
  srcPort: number;
  dstPort: number;
  /** Checksum state of the TCP, UDP, ICMP, ICMPv6 or SCTP checksum. */
  l4Checksum: number;

  tcpFlags: number;
  tcpSeq: number;
  tcpAck: number;
  tcpWindow: number;
  tcpUrgentPointer: number;
  /** TCP MSS option value, or 0 when absent. */
  tcpMss: number;
  /** TCP window-scale shift, or -1 when the option is absent. */
  tcpWindowScale: number;
  tcpSackPermitted: boolean;
  /** True when a TCP timestamp option was present. */
  hasTcpTimestamp: boolean;
  tcpTsVal: number;
  tcpTsEcr: number;
  /** Offset and length of the TCP options, or -1 and 0. */
  tcpOptionsOffset: number;
  tcpOptionsLength: number;

  icmpType: number;
  icmpCode: number;
  /** ICMP echo identifier and sequence, when the message has them. */
  icmpId: number;
  icmpSeq: number;
  /** Offset of the IP header embedded in an ICMP error, or -1. */
  icmpInnerL3Offset: number;

  /** Number of SCTP chunks in the packet (RFC 9260 section 3.2), counted past any bound. */
  sctpChunkCount: number;
  /**
   * Bit set of the SCTP chunk types present: bit `type & 31` of word
   * `type >>> 5`. Valid only for SCTP packets, whose decoder clears it.
   */
  readonly sctpChunkTypes: Uint32Array;

  /** Offset and length of the application payload (after layer 4), or -1 and 0. */
  payloadOffset: number;
  payloadLength: number;
  /**
   * Bits (AppLayerEvent of app/app-layer-events.ts) of the generic
   * app-layer events, such as a protocol mismatch between the directions,
   * that the app layer raised while handling this packet.
   */
  appLayerEvents: number;
  /** Bits (1 << Direction) of the directions whose app-layer protocol was detected while handling this packet. */
  appProtoDetected: number;

  /** Number of tunnel layers (GRE, VXLAN, IP-in-IP) decoded through. */
  tunnelDepth: number;
  /** Offset of the outermost IP header when `tunnelDepth` > 0, or -1. */
  outerL3Offset: number;
  /**
   * Offsets of the IP headers of the tunnel layers, outermost first: entry
   * i is valid for i < min(tunnelDepth, MAX_TUNNEL_LAYER_OFFSETS). Entry 0
   * equals `outerL3Offset`. Later entries are the layers between the
   * outermost and the innermost packet.
   */
  readonly tunnelL3Offsets: Int32Array;

  /** Decoder event ids (see decode/events.ts); `eventCount` are valid. */
  events: Uint16Array;
  eventCount: number;
  /** True when decoding stopped on an invalid header. */
  isInvalid: boolean;

  /** Flow direction, set by the flow stage (Direction). */
  direction: number;
  /** Set by the act stage when the packet is dropped, in IPS mode. */
  isDropped: boolean;

  constructor() {
    this.bytes = new Uint8Array(0);
    this.captureLength = 0;
    this.wireLength = 0;
    this.timestampUs = 0;
    this.pcapCount = 0;
    this.linkType = 0;
    this.interfaceId = 0;
    this.isChecksumOffloaded = false;

    this.l2Offset = -1;
    this.etherType = 0;
    this.vlanIds = new Uint16Array(MAX_VLAN_LAYERS);
    this.vlanCount = 0;
    this.arpOffset = -1;

    this.ipVersion = 0;
    this.l3Offset = -1;
    this.ipHeaderLength = 0;
    this.ipTotalLength = 0;
    this.ipProto = 0;
    this.ttl = 0;
    this.ipId = 0;
    this.tos = 0;
    this.ipFlags = 0;
    this.fragmentOffset = 0;
    this.isFragment = false;
    this.isDefragmented = false;
    this.ipOptionsOffset = -1;
    this.ipOptionsLength = 0;
    this.ipOptionsSeen = 0;
    this.srcAddr = new Uint8Array(16);
    this.dstAddr = new Uint8Array(16);
    this.src4 = 0;
    this.dst4 = 0;
    this.ipChecksum = ChecksumState.UNCHECKED;

    this.l4Offset = -1;
    this.l4HeaderLength = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.l4Checksum = ChecksumState.UNCHECKED;

    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.tcpUrgentPointer = 0;
    this.tcpMss = 0;
    this.tcpWindowScale = -1;
    this.tcpSackPermitted = false;
    this.hasTcpTimestamp = false;
    this.tcpTsVal = 0;
    this.tcpTsEcr = 0;
    this.tcpOptionsOffset = -1;
    this.tcpOptionsLength = 0;

    this.icmpType = 0;
    this.icmpCode = 0;
    this.icmpId = 0;
    this.icmpSeq = 0;
    this.icmpInnerL3Offset = -1;

    this.sctpChunkCount = 0;
    this.sctpChunkTypes = new Uint32Array(8);

    this.payloadOffset = -1;
    this.payloadLength = 0;
    this.appLayerEvents = 0;
    this.appProtoDetected = 0;

    this.tunnelDepth = 0;
    this.outerL3Offset = -1;
    this.tunnelL3Offsets = new Int32Array(MAX_TUNNEL_LAYER_OFFSETS);

    this.events = new Uint16Array(MAX_PACKET_EVENTS);
    this.eventCount = 0;
    this.isInvalid = false;

    this.direction = Direction.TO_SERVER;
    this.isDropped = false;
  }

  /** Clears every decoded field so the object can take the next frame. */
  reset(bytes: Uint8Array, timestampUs: number, wireLength: number, linkType: number, pcapCount: number): void {
    this.bytes = bytes;
    this.captureLength = bytes.length;
    this.wireLength = wireLength;
    this.timestampUs = timestampUs;
    this.pcapCount = pcapCount;
    this.linkType = linkType;
    this.interfaceId = 0;
    this.isChecksumOffloaded = false;

    this.l2Offset = -1;
    this.etherType = 0;
    this.vlanCount = 0;
    this.arpOffset = -1;

    this.ipVersion = 0;
    this.l3Offset = -1;
    this.ipHeaderLength = 0;
    this.ipTotalLength = 0;
    this.ipProto = 0;
    this.ttl = 0;
    this.ipId = 0;
    this.tos = 0;
    this.ipFlags = 0;
    this.fragmentOffset = 0;
    this.isFragment = false;
    this.isDefragmented = false;
    this.ipOptionsOffset = -1;
    this.ipOptionsLength = 0;
    this.ipOptionsSeen = 0;
    this.src4 = 0;
    this.dst4 = 0;
    this.ipChecksum = ChecksumState.UNCHECKED;

    this.l4Offset = -1;
    this.l4HeaderLength = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.l4Checksum = ChecksumState.UNCHECKED;

    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.tcpUrgentPointer = 0;
    this.tcpMss = 0;
    this.tcpWindowScale = -1;
    this.tcpSackPermitted = false;
    this.hasTcpTimestamp = false;
    this.tcpTsVal = 0;
    this.tcpTsEcr = 0;
    this.tcpOptionsOffset = -1;
    this.tcpOptionsLength = 0;

    this.icmpType = 0;
    this.icmpCode = 0;
    this.icmpId = 0;
    this.icmpSeq = 0;
    this.icmpInnerL3Offset = -1;

    this.sctpChunkCount = 0;

    this.payloadOffset = -1;
    this.payloadLength = 0;
    this.appLayerEvents = 0;
    this.appProtoDetected = 0;

    this.tunnelDepth = 0;
    this.outerL3Offset = -1;

    this.eventCount = 0;
    this.isInvalid = false;

    this.direction = Direction.TO_SERVER;
    this.isDropped = false;
  }

  /** Records a decoder event; past MAX_PACKET_EVENTS it is dropped. */
  addEvent(eventId: number): void {
    if (this.eventCount < MAX_PACKET_EVENTS) {
      this.events[this.eventCount] = eventId;
      this.eventCount++;
    }
  }

  /** Tells whether the decoder event `eventId` was recorded on this packet. */
  hasEvent(eventId: number): boolean {
    for (let i = 0; i < this.eventCount; i++) {
      if (this.events[i] === eventId) return true;
    }
    return false;
  }

  /** Returns the payload as a view (no copy); empty when there is none. */
  payload(): Uint8Array {
    if (this.payloadOffset < 0) return this.bytes.subarray(0, 0);
    return this.bytes.subarray(this.payloadOffset, this.payloadOffset + this.payloadLength);
  }
}
