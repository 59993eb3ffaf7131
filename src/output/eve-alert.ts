/**
 * EVE `alert` events as Suricata 8 writes them: the common head, tx_id,
 * the alert object (action, gid, signature_id, rev, signature, category,
 * severity, source/target, metadata), app_proto, direction, the flow
 * object, payload fields, stream, and the packet in base64.
 */
import type { Packet } from '../core/packet.js';
import { Direction } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { Action } from '../detect/signature.js';
import type { ActionId, Signature } from '../detect/signature.js';
import {
  PktSrc,
  base64,
  formatIp,
  jsonString,
  linkTypeName,
  printableAscii,
  protoHasPorts,
  protoName,
} from './eve-format.js';
import type { PktSrcValue } from './eve-format.js';
import { igmpAlertFields } from './eve-igmp.js';
import { sctpAlertFields } from './eve-sctp.js';
import { closeEvent, openPacketEvent } from './eve-header.js';
import { flowMetadataField, type FlowVariableNames } from './eve-metadata.js';
import type { EveContext } from './eve-header.js';

/** Optional parts of an alert event (outputs.eve-log.types.alert). */
export interface AlertFieldOptions {
  payload: boolean;
  payloadPrintable: boolean;
  payloadLength: boolean;
  packet: boolean;
  /** Rule metadata, the flow object and app-layer fields. */
  metadata: boolean;
  /** Most bytes of reassembled stream data logged as the payload (`payload-buffer-size`). */
  payloadBufferSize: number;
  /** The `verdict` object (alert option `verdict`). */
  verdict: boolean;
}

/** Facts about one alert that are not in the packet, flow or signature. */
export interface AlertFacts {
  /** EVE alert.action. */
  action: 'allowed' | 'blocked';
  /** App-layer transaction id, or -1 when the match was not on a transaction. */
  txId: number;
  /** The transaction's protocol object as `"http":{...}` text (written with metadata), or null. */
  appObject?: string | null;
  /** The `"frame":{...}` text of the frame a frame rule matched (output/eve-frame.ts), or null. */
  frameObject?: string | null;
  /** True when the signature matched on reassembled stream data (EVE `stream: 1`). */
  isStreamMatch: boolean;
  /** Reassembled data logged as the payload of a stream match, or null to use the packet payload. */
  streamPayload: Uint8Array | null;
  pktSrc: PktSrcValue;
  /** The outer packet when the alerting packet came out of a tunnel, else null. */
  tunnel: TunnelFacts | null;
  /**
   * The action that decided the packet's fate (ActionId: a drop or reject
   * that blocks it, PASS, or ALERT), for the verdict object; -1 to use the
   * signature's own action.
   */
  packetAction: number;
  /** The `,"kapu":{...}` decision record (eve-decision.ts) or policy evidence (gid 8100 alerts), or absent or null for none. */
  kapuObject?: string | null;
}

/** The outer packet of a tunnelled packet, for the alert's `tunnel` object. */
export interface TunnelFacts {
  root: Packet;
  /** Tunnel layers between the outer packet and the alerting one. */
  depth: number;
  /** Offset in the frame where the inner packet starts, for the `packet` field. */
  innerOffset: number;
}

/** Returns alert facts for a packet match with nothing special about it. */
export function packetAlertFacts(
  action: 'allowed' | 'blocked',
  pktSrc: PktSrcValue = PktSrc.WIRE,
  tunnel: TunnelFacts | null = null,
  packetAction = -1,
): AlertFacts {
  return { action, txId: -1, isStreamMatch: false, streamPayload: null, pktSrc, tunnel, packetAction };
}

/** Link type that Suricata gives the inner packet of a tunnel: DLT_RAW, which is 12 on Linux. */
const TUNNEL_LINKTYPE = 12;

/**
 * Returns the `"tunnel":{...}` object: the outer packet's addresses, ports
 * (0 for protocols without), protocol, the tunnel depth and its pkt_src.
 */
function tunnelObject(ctx: EveContext, tunnel: TunnelFacts): string {
  const root = tunnel.root;
  const ports = protoHasPorts(root.ipProto);
  let out = ',"tunnel":{"src_ip":"' + formatIp(root.srcAddr, root.ipVersion, ctx.ipv6Compress) + '"';
  out += ',"src_port":' + (ports ? root.srcPort : 0);
  out += ',"dest_ip":"' + formatIp(root.dstAddr, root.ipVersion, ctx.ipv6Compress) + '"';
  out += ',"dest_port":' + (ports ? root.dstPort : 0);
  out += ',"proto":' + jsonString(protoName(root.ipProto)) + ',"depth":' + tunnel.depth;
  if (root.pcapCount !== 0) out += ',"pcap_cnt":' + root.pcapCount;
  return out + ',"pkt_src":"' + PktSrc.WIRE + '"}';
}

/**
 * Returns EVE alert.action for a rule action: reject actions always block,
 * drop blocks in IPS mode only, everything else is allowed. A rate_filter
 * that changed the action is decided by the packet's fate instead (pass
 * `isDropped`), as Suricata does.
 */
export function alertActionText(action: ActionId, ipsMode: boolean, rateFilterChanged = false, isDropped = false): 'allowed' | 'blocked' {
  if (rateFilterChanged) return isDropped ? 'blocked' : 'allowed';
  if (action === Action.REJECT || action === Action.REJECTSRC || action === Action.REJECTDST || action === Action.REJECTBOTH) {
    return 'blocked';
  }
  if (action === Action.DROP && ipsMode) return 'blocked';
  return 'allowed';
}

/**
 * Groups `metadata` entries ("key value") by key, as Suricata writes
 * alert.metadata: `{"key":["value",...]}` with keys in rule order. An entry
 * without a value is left out, as Suricata does not log it.
 */
export function metadataJson(entries: readonly string[]): string | null {
  const groups = new Map<string, string[]>();
  for (const entry of entries) {
    const trimmed = entry.trim();
    const space = trimmed.search(/\s/);
    if (space <= 0) continue;
    const key = trimmed.slice(0, space);
    const value = trimmed.slice(space + 1).trim();
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [value]);
    else list.push(value);
  }
  if (groups.size === 0) return null;
  let out = '{';
  let first = true;
  for (const [key, values] of groups) {
    if (!first) out += ',';
    first = false;
    out += jsonString(key) + ':[';
    for (let i = 0; i < values.length; i++) {
      if (i > 0) out += ',';
      out += jsonString(values[i] as string);
    }
    out += ']';
  }
  return out + '}';
}

/** The fixed text of a signature's alert object, built on its first alert. */
interface SignatureText {
  /** `,"gid":...,"severity":N` */
  core: string;
  /** `,"metadata":{...}`, or '' when the rule has none. */
  metadata: string;
}

const signatureTexts = new WeakMap<Signature, SignatureText>();

function signatureText(sig: Signature): SignatureText {
  let text = signatureTexts.get(sig);
  if (text === undefined) {
    const metadata = metadataJson(sig.metadata);
    text = {
      core:
        ',"gid":' + sig.gid + ',"signature_id":' + sig.sid + ',"rev":' + sig.rev +
        ',"signature":' + jsonString(sig.msg) + ',"category":' + jsonString(sig.category) +
        ',"severity":' + sig.priority,
      metadata: metadata === null ? '' : ',"metadata":' + metadata,
    };
    signatureTexts.set(sig, text);
  }
  return text;
}

/**
 * Returns the text of the `"alert":{...}` object. `withMetadata` adds the
 * rule metadata. The signature's fields are formatted once and kept, so a
 * signature must not change after its first alert.
 */
export function alertObject(p: Packet, sig: Signature, action: 'allowed' | 'blocked', withMetadata: boolean, ipv6Compress = false): string {
  const text = signatureText(sig);
  let out = '"alert":{"action":"' + action + '"' + text.core;
  if (sig.target !== null && p.ipVersion !== 0) out += sourceTarget(p, sig.target, ipv6Compress);
  if (withMetadata) out += text.metadata;
  return out + '}';
}

/** `target:dest_ip` makes the destination the target; `target:src_ip` the source. */
function sourceTarget(p: Packet, target: 'src_ip' | 'dest_ip', compress: boolean): string {
  const ports = protoHasPorts(p.ipProto);
  const src = '{"ip":"' + formatIp(p.srcAddr, p.ipVersion, compress) + '"' + (ports ? ',"port":' + p.srcPort : '') + '}';
  const dst = '{"ip":"' + formatIp(p.dstAddr, p.ipVersion, compress) + '"' + (ports ? ',"port":' + p.dstPort : '') + '}';
  return target === 'dest_ip' ? ',"source":' + src + ',"target":' + dst : ',"source":' + dst + ',"target":' + src;
}

/** Returns the `"flow":{...}` object of an alert: counters, start, and the flow's own orientation. */
function alertFlowObject(ctx: EveContext, p: Packet, flow: Flow): string {
  let out = '"flow":{"pkts_toserver":' + flow.pktsToServer + ',"pkts_toclient":' + flow.pktsToClient;
  out += ',"bytes_toserver":' + flow.bytesToServer + ',"bytes_toclient":' + flow.bytesToClient;
  out += ',"start":"' + ctx.time.iso(flow.startUs) + '"';
  const toClient = p.direction === Direction.TO_CLIENT;
  const src = toClient ? p.dstAddr : p.srcAddr;
  const dst = toClient ? p.srcAddr : p.dstAddr;
  out += ',"src_ip":"' + formatIp(src, p.ipVersion, ctx.ipv6Compress) + '","dest_ip":"' + formatIp(dst, p.ipVersion, ctx.ipv6Compress) + '"';
  // Suricata writes the flow's ports only when the packet's source port is non-zero.
  if (protoHasPorts(p.ipProto) && p.srcPort > 0) {
    out += ',"src_port":' + (toClient ? p.dstPort : p.srcPort) + ',"dest_port":' + (toClient ? p.srcPort : p.dstPort);
  }
  return out + '}';
}

/** Returns the `packet` (the frame in base64) and `packet_info` fields. */
function packetFields(p: Packet): string {
  return ',"packet":"' + base64(p.bytes) + '","packet_info":{"linktype":' + p.linkType +
    ',"linktype_name":"' + linkTypeName(p.linkType) + '"}';
}

/** Returns the `packet` and `packet_info` fields of a tunnel's inner packet, which starts at its IP or Ethernet header. */
function tunnelPacketFields(p: Packet, tunnel: TunnelFacts): string {
  return ',"packet":"' + base64(p.bytes.subarray(tunnel.innerOffset)) + '","packet_info":{"linktype":' + TUNNEL_LINKTYPE +
    ',"linktype_name":"RAW"}';
}

/**
 * Builds one EVE `packet` event (without the newline): a packet that the
 * `tag` keyword tagged, logged after the alerts of the same packet.
 */
export function buildTaggedPacketEvent(ctx: EveContext, p: Packet, flow: Flow | null, pktSrc: PktSrcValue): string {
  return closeEvent(ctx, openPacketEvent(ctx, p, flow, 'packet', pktSrc) + packetFields(p));
}

/** Builds one EVE alert line (without the newline) for `sig` matching `p`. */
export function buildAlertEvent(
  ctx: EveContext,
  p: Packet,
  flow: Flow | null,
  sig: Signature,
  facts: AlertFacts,
  opts: AlertFieldOptions,
  variableNames: FlowVariableNames | null = null,
): string {
  let out = openPacketEvent(ctx, p, flow, 'alert', facts.pktSrc);
  if (facts.txId >= 0) out += ',"tx_id":' + facts.txId;
  out += ',' + alertObject(p, sig, facts.action, opts.metadata, ctx.ipv6Compress);
  if (facts.tunnel !== null) out += tunnelObject(ctx, facts.tunnel);
  out += igmpAlertFields(p);
  out += sctpAlertFields(p);

  const isIp = p.ipVersion !== 0;
  if (isIp && flow !== null) {
    if (flow.appProto !== null) out += ',"app_proto":' + jsonString(flow.appProto);
    out += p.direction === Direction.TO_SERVER ? ',"direction":"to_server"' : ',"direction":"to_client"';
    if (opts.metadata) out += ',' + alertFlowObject(ctx, p, flow);
    if (opts.metadata && facts.appObject !== undefined && facts.appObject !== null) out += ',' + facts.appObject;
    if (opts.metadata) out += flowMetadataField(flow, variableNames);
    if (facts.frameObject !== undefined && facts.frameObject !== null) out += ',' + facts.frameObject;
  }

  if (isIp && (opts.payload || opts.payloadPrintable || opts.payloadLength)) {
    const stream = p.ipProto === 6 && facts.isStreamMatch;
    let data = p.payload();
    if (stream && facts.streamPayload !== null && facts.streamPayload.length > 0) {
      data = facts.streamPayload.subarray(0, opts.payloadBufferSize);
    }
    if (opts.payload) out += ',"payload":"' + base64(data) + '"';
    if (opts.payloadLength) out += ',"payload_length":' + data.length;
    if (opts.payloadPrintable) out += ',"payload_printable":' + jsonString(printableAscii(data));
    out += ',"stream":' + (stream ? 1 : 0);
  }

  if (opts.packet) out += facts.tunnel !== null ? tunnelPacketFields(p, facts.tunnel) : packetFields(p);
  if (opts.verdict) out += facts.packetAction >= 0 ? verdictOfAction(ctx, p, facts.packetAction) : verdictObject(ctx, p, sig);
  if (facts.kapuObject !== undefined && facts.kapuObject !== null) out += facts.kapuObject;
  return closeEvent(ctx, out);
}

/**
 * Returns the `"verdict":{...}` object: what happens to the packet. A
 * reject names its target and the packet sent (a TCP reset, or ICMP
 * unreachable for other protocols); drops show in IPS mode only. `sig` is
 * the alerting signature, or for a drop event the one that caused the
 * drop (null when no signature did).
 */
export function verdictObject(ctx: EveContext, p: Packet, sig: Signature | null): string {
  return verdictOfAction(ctx, p, sig !== null ? sig.action : Action.DROP);
}

/** Returns the `"verdict":{...}` object for a packet whose fate action `a` decided. */
function verdictOfAction(ctx: EveContext, p: Packet, a: number): string {
  if (a === Action.REJECT || a === Action.REJECTSRC || a === Action.REJECTDST || a === Action.REJECTBOTH) {
    let target = 'to_client';
    if (a === Action.REJECTDST) target = 'to_server';
    else if (a === Action.REJECTBOTH) target = 'both';
    const sent = p.ipProto === 6 ? 'tcp-reset' : 'icmp-prohib';
    return ',"verdict":{"action":"' + (ctx.ipsMode ? 'drop' : 'alert') + '","reject-target":"' + target + '","reject":["' + sent + '"]}';
  }
  if (ctx.ipsMode && (p.isDropped || a === Action.DROP)) return ',"verdict":{"action":"drop"}';
  if (a === Action.PASS) return ',"verdict":{"action":"pass"}';
  return ',"verdict":{"action":"alert"}';
}
