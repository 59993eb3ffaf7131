/**
 * Rule keywords about the app layer as a whole: `app-layer-protocol`
 * (the flow's detected protocol) and `app-layer-event` (a parser event
 * raised on a transaction, `<proto>.<event name>`).
 */
import { Direction, type Packet } from '../core/packet.js';
import { ErrorCode } from '../core/errors.js';
import type { Flow } from '../flow/flow.js';
import type { DetectThreadContext, KeywordDef, PacketMatcher, Signature, SignatureBuilder } from '../detect/signature.js';
import { AppProto } from './app-layer.js';
import { appLayerEventBit } from './app-layer-events.js';
import { httpEventId } from './http/events.js';
import { findDnsEvent } from './dns/events.js';
import { findTlsEvent } from './tls/events.js';
import { findSshEvent } from './ssh/events.js';

/** Protocol names `app-layer-protocol` and `app-layer-event` accept, with the protocol they mean. */
const PROTOCOL_NAMES: ReadonlyMap<string, string> = new Map([
  ['http', AppProto.HTTP],
  ['http1', AppProto.HTTP],
  ['dns', AppProto.DNS],
  ['tls', AppProto.TLS],
  ['ssl', AppProto.TLS],
  ['ssh', AppProto.SSH],
]);

/**
 * Modes of `app-layer-protocol` (Suricata 8), the detected protocol it
 * compares: the packet direction's (the default), one direction's, either
 * direction's, or the flow's final protocol.
 */
export const ProtocolMode = {
  DIRECTION: 0,
  TO_SERVER: 1,
  TO_CLIENT: 2,
  EITHER: 3,
  FINAL: 4,
} as const;

const MODE_NAMES: ReadonlyMap<string, number> = new Map([
  ['direction', ProtocolMode.DIRECTION],
  ['to_server', ProtocolMode.TO_SERVER],
  ['to_client', ProtocolMode.TO_CLIENT],
  ['either', ProtocolMode.EITHER],
  ['final', ProtocolMode.FINAL],
  // NOTE: kapu changes no flow's protocol after detection, so the
  // original protocol is the final one.
  ['original', ProtocolMode.FINAL],
]);

/** `app-layer-protocol:[!]<name>[,<mode>]`: the detected protocol is (or is not) `name`. */
export class AppLayerProtocolMatch implements PacketMatcher {
  readonly keyword = 'app-layer-protocol';
  readonly proto: string;
  readonly isNegated: boolean;
  readonly mode: number;
  /**
   * True when the rule checks nothing but protocols (Suricata's
   * protocol-detection-only rules): it then matches only on a packet
   * during which a direction's protocol was detected. Set at load by
   * markDetectionOnlyRules.
   */
  isDetectionOnly: boolean;

  constructor(proto: string, isNegated: boolean, mode: number = ProtocolMode.DIRECTION) {
    this.proto = proto;
    this.isNegated = isNegated;
    this.mode = mode;
    this.isDetectionOnly = false;
  }

  match(p: Packet, flow: Flow | null, _ctx: DetectThreadContext): boolean {
    if (flow === null) return false;
    if (this.isDetectionOnly && p.appProtoDetected === 0) return false;
    // NOTE: a negated match needs a detected protocol, so `!http` does not match a flow still being probed.
    switch (this.mode) {
      case ProtocolMode.TO_SERVER:
        return this.compare(flow.appProtoTs);
      case ProtocolMode.TO_CLIENT:
        return this.compare(flow.appProtoTc);
      case ProtocolMode.EITHER:
        return this.compare(flow.appProtoTs) || this.compare(flow.appProtoTc);
      case ProtocolMode.FINAL:
        return this.compare(flow.appProto);
      default:
        return this.compare(p.direction === Direction.TO_SERVER ? flow.appProtoTs : flow.appProtoTc);
    }
  }

  private compare(proto: string | null): boolean {
    if (proto === null) return false;
    return (proto === this.proto) !== this.isNegated;
  }
}

/**
 * `app-layer-event:<name>` of a generic app-layer event
 * (`applayer_mismatch_protocol_both_directions`): the app layer raised it
 * while handling this packet.
 */
export class AppLayerGenericEventMatch implements PacketMatcher {
  readonly keyword = 'app-layer-event';
  readonly bit: number;

  constructor(bit: number) {
    this.bit = bit;
  }

  match(p: Packet, _flow: Flow | null, _ctx: DetectThreadContext): boolean {
    return (p.appLayerEvents & this.bit) !== 0;
  }
}

/** `app-layer-event:<proto>.<event>`: the transaction carries the parser event. */
export class AppLayerEventMatch implements PacketMatcher {
  readonly keyword = 'app-layer-event';
  readonly isTxMatcher = true;
  /** Protocol whose transactions carry the event (AppProto). */
  readonly appProto: string;
  readonly eventId: number;

  constructor(appProto: string, eventId: number) {
    this.appProto = appProto;
    this.eventId = eventId;
  }

  /** Never matches a packet: the events live in transactions. */
  match(_p: Packet, _flow: Flow | null, _ctx: DetectThreadContext): boolean {
    return false;
  }

  matchTx(tx: { events: readonly number[] }, _direction: number): boolean {
    return tx.events.includes(this.eventId);
  }
}

/**
 * Marks the `app-layer-protocol` matchers of rules that check only
 * protocols (besides `flow`), so that such a rule matches once, on the
 * packet that completed detection, as Suricata's pd_only rules do.
 */
export function markDetectionOnlyRules(signatures: readonly Signature[]): void {
  for (const sig of signatures) {
    if (sig.buffers.length > 0 || sig.packetMatches.length === 0) continue;
    const isProtocolOnly = sig.packetMatches.every((m) => m instanceof AppLayerProtocolMatch || m.keyword === 'flow');
    if (!isProtocolOnly) continue;
    for (const m of sig.packetMatches) if (m instanceof AppLayerProtocolMatch) m.isDetectionOnly = true;
  }
}

function findEvent(proto: string, name: string): number {
  switch (proto) {
    case AppProto.HTTP: return httpEventId(name);
    case AppProto.DNS: return findDnsEvent(name);
    case AppProto.TLS: return findTlsEvent(name);
    default: return findSshEvent(name);
  }
}

export const APP_LAYER_KEYWORDS: readonly KeywordDef[] = [
  {
    name: 'app-layer-protocol',
    description: 'match the protocol detected on the flow',
    docsAnchor: 'app-layer.html#app-layer-protocol',
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      let text = value.trim();
      const isNegated = text.startsWith('!');
      if (isNegated) text = text.slice(1).trim();
      const parts = text.split(',').map((part) => part.trim().toLowerCase());
      const name = parts[0] as string;
      const proto = PROTOCOL_NAMES.get(name);
      if (proto === undefined) {
        b.error(ErrorCode.RULE_UNSUPPORTED, `app-layer protocol '${name}' is not supported yet (supported: ${[...PROTOCOL_NAMES.keys()].join(', ')})`);
        return;
      }
      let mode: number = ProtocolMode.DIRECTION;
      for (let i = 1; i < parts.length; i++) {
        const found = MODE_NAMES.get(parts[i] as string);
        if (found === undefined) {
          b.error(ErrorCode.RULE_BAD_VALUE, `'${parts[i]}' is not an app-layer-protocol mode (expected ${[...MODE_NAMES.keys()].join(', ')})`);
          return;
        }
        mode = found;
      }
      b.addPacketMatch(new AppLayerProtocolMatch(proto, isNegated, mode));
    },
  },
  {
    name: 'app-layer-event',
    description: 'match an app-layer parser event raised on a transaction',
    docsAnchor: 'app-layer.html#app-layer-event',
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      const text = value.trim();
      const genericBit = appLayerEventBit(text.toLowerCase());
      if (genericBit !== 0) {
        b.addPacketMatch(new AppLayerGenericEventMatch(genericBit));
        return;
      }
      const dot = text.indexOf('.');
      const proto = dot > 0 ? PROTOCOL_NAMES.get(text.slice(0, dot).toLowerCase()) : undefined;
      if (proto === undefined) {
        b.error(ErrorCode.RULE_UNSUPPORTED, `app-layer event '${text}' is not supported yet (expected <protocol>.<event> for ${[...PROTOCOL_NAMES.keys()].join(', ')})`);
        return;
      }
      const id = findEvent(proto, text.slice(dot + 1).toLowerCase());
      if (id < 0) {
        b.error(ErrorCode.RULE_BAD_VALUE, `'${text.slice(dot + 1)}' is not a ${proto} app-layer event`);
        return;
      }
      b.addPacketMatch(new AppLayerEventMatch(proto, id));
    },
  },
];
