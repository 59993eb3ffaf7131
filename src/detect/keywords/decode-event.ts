/**
 * The `decode-event` rule keyword: matches packets on which the decoder
 * raised the named event (`decode-event:ipv4.trunc_pkt;`).
 */
import { ErrorCode } from '../../core/errors.js';
import type { Packet } from '../../core/packet.js';
import { DECODER_EVENT_NAMES, decoderEventId } from '../../decode/events.js';
import type { KeywordDef, PacketMatcher } from '../signature.js';

/** Matches when the packet carries decoder event `eventId`. */
export class DecodeEventMatcher implements PacketMatcher {
  readonly keyword = 'decode-event';
  readonly eventId: number;

  constructor(eventId: number) {
    this.eventId = eventId;
  }

  match(p: Packet): boolean {
    return p.hasEvent(this.eventId);
  }
}

/**
 * Returns the event names to list after an unknown name: those of the same
 * protocol (`ipv4.`) when it has any, else all of them.
 */
function allowedNames(name: string): string {
  const dot = name.indexOf('.');
  const prefix = dot > 0 ? name.slice(0, dot + 1) : '';
  const sameProtocol = prefix === '' ? [] : DECODER_EVENT_NAMES.filter((n) => n.startsWith(prefix));
  const names = sameProtocol.length > 0 ? sameProtocol : DECODER_EVENT_NAMES.slice(1);
  return names.join(', ');
}

export const decodeEventKeyword: KeywordDef = {
  name: 'decode-event',
  description: 'Match packets on which the decoder raised the named event',
  docsAnchor: 'decode-layer.html#decode-event',
  value: 'required',
  setup(b, value) {
    const name = value.trim();
    const id = decoderEventId(name);
    if (id === 0) {
      b.error(ErrorCode.RULE_BAD_VALUE, `decode-event: unknown event '${name}' (expected one of: ${allowedNames(name)})`);
      return;
    }
    b.addPacketMatch(new DecodeEventMatcher(id));
  },
};
