/**
 * `stream-event:<name>`: matches a packet on which TCP session tracking or
 * reassembly raised the named stream event (the names of Suricata's
 * stream-events.rules, e.g. `stream-event:3whs_synack_in_wrong_direction`).
 */
import { ErrorCode } from '../../core/errors.js';
import { IpProto, type Packet } from '../../core/packet.js';
import type { Flow } from '../../flow/flow.js';
import { streamEventId } from '../../stream/stream-events.js';
import type { KeywordDef, PacketMatcher, SignatureBuilder } from '../signature.js';

/** Matches one stream event id on the current packet. */
export class StreamEventMatcher implements PacketMatcher {
  readonly keyword = 'stream-event';
  readonly eventId: number;

  constructor(eventId: number) {
    this.eventId = eventId;
  }

  match(p: Packet, flow: Flow | null): boolean {
    // The session keeps the events of its flow's latest TCP packet; a
    // non-TCP packet of the flow (an ICMP error) has none.
    if (flow === null || flow.tcp === null || p.ipProto !== IpProto.TCP) return false;
    return flow.tcp.hasEvent(this.eventId);
  }
}

export const streamEventKeyword: KeywordDef = {
  name: 'stream-event',
  description: 'match a TCP stream event raised on the packet',
  docsAnchor: 'decode-layer.html',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const name = value.trim();
    const eventId = streamEventId(name);
    if (eventId === 0) {
      b.error(ErrorCode.RULE_BAD_VALUE, `stream-event: '${name}' is not a known stream event (see stream-events.rules for the names)`);
      return;
    }
    b.addPacketMatch(new StreamEventMatcher(eventId));
  },
};
