/**
 * EVE `anomaly`, `drop`, `flow` and `stats` events in Suricata 8's layout.
 */
import type { Packet } from '../core/packet.js';
import { TcpFlag } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import type { Signature } from '../detect/signature.js';
import { alertObject, verdictObject } from './eve-alert.js';
import { formatIp, jsonString, protoHasPorts, protoName } from './eve-format.js';
import type { PktSrcValue } from './eve-format.js';
import { closeEvent, openPacketEvent } from './eve-header.js';
import { flowMetadataField, type FlowVariableNames } from './eve-metadata.js';
import type { EveContext } from './eve-header.js';

/**
 * Builds an anomaly event for a decoder or stream event on `p`
 * (`{"type":"decode","event":"decoder.ipv4.trunc_pkt"}`). `eventName` is
 * Suricata's full event name, prefix included.
 */
export function buildAnomalyEvent(
  ctx: EveContext,
  p: Packet,
  flow: Flow | null,
  kind: 'decode' | 'stream',
  eventName: string,
  pktSrc: PktSrcValue,
): string {
  let out = openPacketEvent(ctx, p, flow, 'anomaly', pktSrc);
  out += ',"anomaly":{"type":"' + kind + '","event":' + jsonString(eventName) + '}';
  return closeEvent(ctx, out);
}

/** Where an app-layer anomaly arose (EVE anomaly.layer). */
export type AppLayerAnomalyLayer = 'proto_detect' | 'proto_parser' | 'proto_unknown';

/**
 * Builds an anomaly event for an app-layer parser event
 * (`{"app_proto":"http","type":"applayer","event":"...","layer":"proto_parser"}`).
 * `txId` >= 0 adds the transaction id after the head, as for transaction events.
 */
export function buildAppLayerAnomalyEvent(
  ctx: EveContext,
  p: Packet,
  flow: Flow | null,
  appProto: string,
  eventName: string,
  layer: AppLayerAnomalyLayer,
  txId: number,
  pktSrc: PktSrcValue,
): string {
  let out = openPacketEvent(ctx, p, flow, 'anomaly', pktSrc);
  if (txId >= 0) out += ',"tx_id":' + txId;
  out += ',"anomaly":{"app_proto":' + jsonString(appProto) + ',"type":"applayer","event":' + jsonString(eventName);
  out += ',"layer":"' + layer + '"}';
  return closeEvent(ctx, out);
}

/** EVE drop.reason values of Suricata 8. */
export const DropReason = {
  DECODE_ERROR: 'decode error',
  DEFRAG_ERROR: 'defrag error',
  DEFRAG_MEMCAP: 'defrag memcap',
  FLOW_MEMCAP: 'flow memcap',
  FLOW_DROP: 'flow drop',
  APPLAYER_ERROR: 'applayer error',
  APPLAYER_MEMCAP: 'applayer memcap',
  RULES: 'rules',
  THRESHOLD_DETECTION_FILTER: 'threshold detection_filter',
  STREAM_ERROR: 'stream error',
  STREAM_MEMCAP: 'stream memcap',
  STREAM_MIDSTREAM: 'stream midstream',
  STREAM_REASSEMBLY: 'stream reassembly',
  STREAM_URGENT: 'stream urgent',
  NFQ_ERROR: 'nfq error',
  TUNNEL_PACKET_DROP: 'tunnel packet drop',
  DEFAULT_PACKET_POLICY: 'default packet policy',
  DEFAULT_APP_POLICY: 'default app policy',
} as const;
export type DropReasonValue = (typeof DropReason)[keyof typeof DropReason];

function readU16(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

/**
 * Builds a drop event for `p`: IP header fields, the TCP, UDP or ICMP
 * fields, and the reason. `alertSig` (with outputs `drop.alerts: yes`) adds
 * the alert object of the rule that dropped it. `verdictSig`, when given
 * (drop `verdict: yes`), adds the verdict object for the rule that dropped
 * the packet, or for a drop without a rule when it is null.
 */
export function buildDropEvent(
  ctx: EveContext,
  p: Packet,
  flow: Flow | null,
  reason: DropReasonValue | null,
  alertSig: Signature | null,
  pktSrc: PktSrcValue,
  verdictSig: Signature | null | undefined = undefined,
  kapuObject: string | null = null,
): string {
  let out = openPacketEvent(ctx, p, flow, 'drop', pktSrc);
  out += ',"drop":{';
  let l4Proto = 0;
  if (p.ipVersion === 4) {
    out += '"len":' + p.ipTotalLength + ',"tos":' + p.tos + ',"ttl":' + p.ttl + ',"ipid":' + p.ipId;
    l4Proto = p.ipProto;
  } else if (p.ipVersion === 6) {
    const b = p.bytes;
    const at = p.l3Offset;
    // IPv6 header: version(4) traffic class(8) flow label(20), then payload length.
    const flowLabel = at >= 0 ? (((b[at + 1] as number) & 0x0f) << 16) | readU16(b, at + 2) : 0;
    out += '"len":' + (p.ipTotalLength - 40) + ',"tc":' + p.tos + ',"hoplimit":' + p.ttl + ',"flowlbl":' + flowLabel;
    l4Proto = p.ipProto;
  }
  if (p.l4Offset >= 0) out += l4DropFields(p, l4Proto);
  if (reason !== null) out += (out.endsWith('{') ? '' : ',') + '"reason":' + jsonString(reason);
  out += '}';
  if (alertSig !== null) out += ',' + alertObject(p, alertSig, 'blocked', false, ctx.ipv6Compress);
  if (verdictSig !== undefined) out += verdictObject(ctx, p, verdictSig);
  if (kapuObject !== null) out += kapuObject;
  return closeEvent(ctx, out);
}

function l4DropFields(p: Packet, l4Proto: number): string {
  const b = p.bytes;
  const at = p.l4Offset;
  if (l4Proto === 6) {
    const f = p.tcpFlags;
    // Reserved bits: the low four bits of the data-offset byte (RFC 9293 section 3.1).
    const reserved = (b[at + 12] as number) & 0x0f;
    return (
      ',"tcpseq":' + p.tcpSeq + ',"tcpack":' + p.tcpAck + ',"tcpwin":' + p.tcpWindow +
      ',"syn":' + ((f & TcpFlag.SYN) !== 0) + ',"ack":' + ((f & TcpFlag.ACK) !== 0) +
      ',"psh":' + ((f & TcpFlag.PSH) !== 0) + ',"rst":' + ((f & TcpFlag.RST) !== 0) +
      ',"urg":' + ((f & TcpFlag.URG) !== 0) + ',"fin":' + ((f & TcpFlag.FIN) !== 0) +
      ',"tcpres":' + reserved + ',"tcpurgp":' + p.tcpUrgentPointer
    );
  }
  if (l4Proto === 17) return ',"udplen":' + readU16(b, at + 4);
  if (l4Proto === 1 || l4Proto === 58) return ',"icmp_id":' + p.icmpId + ',"icmp_seq":' + p.icmpSeq;
  return '';
}

/** Keys of a flow record that Suricata writes in the event head, after proto. */
const FLOW_HEAD_KEYS = ['icmp_type', 'icmp_code', 'response_icmp_type', 'response_icmp_code', 'spi'];

/**
 * Returns `app_proto_ts` and `app_proto_tc` for a direction whose detected
 * protocol differs from the flow's (`app_proto`), as Suricata writes them.
 */
function directionProtoFields(flow: Flow): string {
  let out = '';
  if (flow.appProtoTs !== null && flow.appProtoTs !== flow.appProto) out += ',"app_proto_ts":' + jsonString(flow.appProtoTs);
  if (flow.appProtoTc !== null && flow.appProtoTc !== flow.appProto) out += ',"app_proto_tc":' + jsonString(flow.appProtoTc);
  return out;
}

/**
 * Builds a flow event: the head from `flow` (client as source), then the
 * fields of `record` in its key order (app_proto, flow, tcp, ... as the
 * flow stage's flow record writes them). `timestampUs` is the capture time
 * at which the record is written. ICMP type and code keys in `record` go
 * in the head, where Suricata writes them.
 */
export function buildFlowEvent(ctx: EveContext, flow: Flow, record: Record<string, unknown>, timestampUs: number, variableNames: FlowVariableNames | null = null): string {
  let out = '{"timestamp":"' + ctx.time.iso(timestampUs) + '","flow_id":' + flow.flowId + ',"event_type":"flow"';
  if (flow.vlanId !== 0) out += ',"vlan":[' + flow.vlanId + ']';
  const ports = protoHasPorts(flow.ipProto);
  out += ',"src_ip":"' + formatIp(flow.clientAddr, flow.ipVersion, ctx.ipv6Compress) + '"';
  if (ports) out += ',"src_port":' + flow.clientPort;
  out += ',"dest_ip":"' + formatIp(flow.serverAddr, flow.ipVersion, ctx.ipv6Compress) + '"';
  if (ports) out += ',"dest_port":' + flow.serverPort;
  // Suricata's flow head writes ip_v before proto, unlike packet events.
  out += ',"ip_v":' + flow.ipVersion + ',"proto":' + jsonString(protoName(flow.ipProto));
  for (const key of FLOW_HEAD_KEYS) {
    if (record[key] !== undefined) out += ',' + jsonString(key) + ':' + JSON.stringify(record[key]);
  }
  for (const key of Object.keys(record)) {
    if (FLOW_HEAD_KEYS.includes(key) || record[key] === undefined) continue;
    out += ',' + jsonString(key) + ':' + JSON.stringify(record[key]);
    if (key === 'app_proto') out += directionProtoFields(flow);
  }
  out += flowMetadataField(flow, variableNames);
  return closeEvent(ctx, out);
}

/**
 * Builds the stats event. `counters` are Suricata counter names
 * (`decoder.pkts`, `detect.alert`) in the order they should appear; the
 * dots become nested objects. With `previous` (stats `deltas: yes`), each
 * counter gets a sibling NAME_delta with the change since then. `engines`
 * become the `detect.engines` list that Suricata writes per detection
 * engine.
 */
export function buildStatsEvent(
  ctx: EveContext,
  timestampUs: number,
  uptimeSeconds: number,
  counters: Iterable<readonly [string, number]>,
  previous: ReadonlyMap<string, number> | null,
  engines: readonly DetectEngineStats[] = [],
): string {
  const root: StatsTree = new Map();
  root.set('uptime', Math.floor(uptimeSeconds));
  for (const [name, value] of counters) {
    const parts = name.split('.');
    const node = statsNode(root, parts, parts.length - 1);
    const leaf = parts[parts.length - 1] as string;
    node.set(leaf, value);
    if (previous !== null) node.set(leaf + '_delta', value - (previous.get(name) ?? 0));
  }
  if (engines.length > 0) statsNode(root, ['detect'], 1).set('engines', { json: detectEnginesJson(ctx, engines) });
  return closeEvent(ctx, '{"timestamp":"' + ctx.time.iso(timestampUs) + '","event_type":"stats","stats":' + statsTreeJson(root));
}

/** One detection engine's figures in the stats event (`stats.detect.engines[]`). */
export interface DetectEngineStats {
  id: number;
  /** When the engine's rules were loaded, in microseconds since the epoch. */
  lastReloadUs: number;
  rulesLoaded: number;
  rulesFailed: number;
  rulesSkipped: number;
}

function detectEnginesJson(ctx: EveContext, engines: readonly DetectEngineStats[]): string {
  const items = engines.map((e) =>
    '{"id":' + e.id + ',"last_reload":"' + ctx.time.iso(e.lastReloadUs) + '","rules_loaded":' + e.rulesLoaded +
    ',"rules_failed":' + e.rulesFailed + ',"rules_skipped":' + e.rulesSkipped + '}');
  return '[' + items.join(',') + ']';
}

/** Returns the subtree at parts[0, depth), creating the missing levels. */
function statsNode(root: StatsTree, parts: readonly string[], depth: number): StatsTree {
  let node = root;
  for (let i = 0; i < depth; i++) {
    const part = parts[i] as string;
    let child = node.get(part);
    if (!(child instanceof Map)) {
      child = new Map();
      node.set(part, child);
    }
    node = child;
  }
  return node;
}

/** A stats value: a counter, a subtree, or JSON text written as it is. */
type StatsTree = Map<string, number | StatsTree | { json: string }>;

function statsTreeJson(tree: StatsTree): string {
  let out = '{';
  let first = true;
  for (const [key, value] of tree) {
    if (!first) out += ',';
    first = false;
    let text: string;
    if (value instanceof Map) text = statsTreeJson(value);
    else if (typeof value === 'number') text = String(value);
    else text = value.json;
    out += jsonString(key) + ':' + text;
  }
  return out + '}';
}
