/**
 * Rule keywords about the app layer as a whole: `app-layer-protocol`
 * (the flow's detected protocol) and `app-layer-event` (a parser event
 * raised on a transaction, `<proto>.<event name>`).
 */
import type { Packet } from '../core/packet.js';
import { ErrorCode } from '../core/errors.js';
import type { Flow } from '../flow/flow.js';
import type { DetectThreadContext, KeywordDef, PacketMatcher, SignatureBuilder } from '../detect/signature.js';
import { AppProto } from './app-layer.js';
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

/** `app-layer-protocol:[!]<name>`: the flow's detected protocol is (or is not) `name`. */
export class AppLayerProtocolMatch implements PacketMatcher {
  readonly keyword = 'app-layer-protocol';
  readonly proto: string;
  readonly isNegated: boolean;

  constructor(proto: string, isNegated: boolean) {
    this.proto = proto;
    this.isNegated = isNegated;
  }

  match(_p: Packet, flow: Flow | null, _ctx: DetectThreadContext): boolean {
    if (flow === null) return false;
    // NOTE: a negated match needs a detected protocol, so `!http` does not match a flow still being probed.
    if (flow.appProto === null) return false;
    return (flow.appProto === this.proto) !== this.isNegated;
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
      // A second argument (a direction or `final`) narrows when the check applies; it is ignored.
      const name = text.split(',')[0].trim().toLowerCase();
      const proto = PROTOCOL_NAMES.get(name);
      if (proto === undefined) {
        b.error(ErrorCode.RULE_UNSUPPORTED, `app-layer protocol '${name}' is not supported yet (supported: ${[...PROTOCOL_NAMES.keys()].join(', ')})`);
        return;
      }
      b.addPacketMatch(new AppLayerProtocolMatch(proto, isNegated));
    },
  },
  {
    name: 'app-layer-event',
    description: 'match an app-layer parser event raised on a transaction',
    docsAnchor: 'app-layer.html#app-layer-event',
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      const text = value.trim();
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
