/**
 * Rule keywords about the app layer as a whole: `app-layer-protocol`
 * (the flow's detected protocol) and `app-layer-event` (a parser event
 * raised on a transaction, `<proto>.<event name>`).
 */
import { Direction, type Packet } from '../core/packet.js';
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

/**
 * Modes of `app-layer-protocol`, named by its second argument. DIRECTION
 * (the default) compares the protocol of the packet's own direction, and
 * EITHER matches when one of the two directions does. FINAL compares the
 * protocol the flow's parser runs. `original` reads the same, as kapu never
 * changes a flow's protocol.
 */
export const AppProtoMode = { DIRECTION: 0, TO_SERVER: 1, TO_CLIENT: 2, EITHER: 3, FINAL: 4 } as const;

const MODE_NAMES: ReadonlyMap<string, number> = new Map([
  ['direction', AppProtoMode.DIRECTION],
  ['to_server', AppProtoMode.TO_SERVER],
  ['to_client', AppProtoMode.TO_CLIENT],
  ['either', AppProtoMode.EITHER],
  ['final', AppProtoMode.FINAL],
  ['original', AppProtoMode.FINAL],
]);

/** `app-layer-protocol:[!]<name>[,<mode>]`: the detected protocol is (or is not) `name`. */
export class AppLayerProtocolMatch implements PacketMatcher {
  readonly keyword = 'app-layer-protocol';
  readonly proto: string;
  readonly isNegated: boolean;
  /** AppProtoMode. */
  readonly mode: number;

  constructor(proto: string, isNegated: boolean, mode: number = AppProtoMode.DIRECTION) {
    this.proto = proto;
    this.isNegated = isNegated;
    this.mode = mode;
  }

  match(p: Packet, flow: Flow | null, _ctx: DetectThreadContext): boolean {
    if (flow === null) return false;
    if (this.mode === AppProtoMode.EITHER) {
      return this.matchOne(flow.appProtoToServer) || this.matchOne(flow.appProtoToClient);
    }
    let detected: string | null;
    switch (this.mode) {
      case AppProtoMode.TO_SERVER: detected = flow.appProtoToServer; break;
      case AppProtoMode.TO_CLIENT: detected = flow.appProtoToClient; break;
      case AppProtoMode.FINAL: detected = flow.appProto; break;
      default: detected = p.direction === Direction.TO_SERVER ? flow.appProtoToServer : flow.appProtoToClient;
    }
    return this.matchOne(detected);
  }

  /** Compares one detected protocol. A negated match needs one, so `!http` does not match while it is unknown. */
  private matchOne(detected: string | null): boolean {
    if (detected === null) return false;
    return (detected === this.proto) !== this.isNegated;
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
      const parts = text.split(',').map((part) => part.trim().toLowerCase());
      const name = parts[0];
      const proto = PROTOCOL_NAMES.get(name);
      if (proto === undefined) {
        b.error(ErrorCode.RULE_UNSUPPORTED, `app-layer protocol '${name}' is not supported yet (supported: ${[...PROTOCOL_NAMES.keys()].join(', ')})`);
        return;
      }
      let mode: number = AppProtoMode.DIRECTION;
      if (parts.length > 2 || (parts.length === 2 && !MODE_NAMES.has(parts[1]))) {
        b.error(ErrorCode.RULE_BAD_VALUE, `'${parts.slice(1).join(',')}' is not a mode (expected one of ${[...MODE_NAMES.keys()].join(', ')})`);
        return;
      }
      if (parts.length === 2) mode = MODE_NAMES.get(parts[1]) as number;
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
