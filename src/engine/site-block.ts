/**
 * The blocklist stage of the packet path. It runs after the app layer
 * parsed the packet and before detection, and looks up what the packet
 * reveals about the site it goes to:
 *
 * - the server address of the flow, once per flow and list generation;
 * - the name of a DNS query over UDP to port 53, on every query, and of
 *   each query over TCP once the DNS parser has it;
 * - the SNI of a TLS ClientHello, once per flow;
 * - the host and path of each HTTP request, once its headers are parsed.
 *
 * In IPS mode a hit drops the packet (and for TLS, HTTP and addresses the
 * whole flow). A DNS list with action nxdomain or sinkhole also answers
 * the query at once through the raw socket sender. Each hit writes one
 * gid 8100 alert whose sid is the list's id. In IDS mode the alert says
 * `allowed` and nothing is dropped or sent.
 */
import { Direction, IpProto, type Packet } from '../core/packet.js';
import type { FlowAppState } from '../app/app-layer.js';
import type { Flow } from '../flow/flow.js';
import type { DnsTransaction } from '../app/dns/state.js';
import type { HttpTransaction } from '../app/http/state.js';
import type { TlsTransaction } from '../app/tls/state.js';
import { buildDnsAnswer, DnsRcode, DnsType, MAX_DNS_ANSWER_BYTES } from '../act/dns-answer.js';
import { formatIp, jsonString } from '../output/eve-format.js';
import { MatchedIn, type CompiledList, type MatchedInValue, type SiteBlocker } from '../policy/site-blocker.js';
import type { PacketPipeline } from './pipeline.js';

/** The DNS port that queries are looked up on. */
const DNS_PORT = 53;
/** HTTP request progress once its headers are parsed (http/state.ts Progress.BODY). */
const HTTP_HEADERS_DONE = 3;

/** Buffers the stage reuses for every packet. */
export class SiteBlockScratch {
  readonly dnsAnswer: Uint8Array;

  constructor(isUsed: boolean) {
    this.dnsAnswer = new Uint8Array(isUsed ? MAX_DNS_ANSWER_BYTES : 0);
  }
}

/**
 * Looks `p` up in the blocklists and acts on a hit; returns true when the
 * packet was dropped.
 */
export function applySiteBlock(pipeline: PacketPipeline, blocker: SiteBlocker, p: Packet, flow: Flow | null, appState: FlowAppState | null): boolean {
  if (p.ipVersion === 0) return false;
  if (blocker.hasAddressLists && (flow === null || flow.siteCheckedGeneration !== blocker.generation)) {
    if (flow !== null) flow.siteCheckedGeneration = blocker.generation;
    // The server's address: the destination of a request, the source of a reply.
    const server = flow !== null && p.direction === Direction.TO_CLIENT ? p.srcAddr : p.dstAddr;
    const list = blocker.matchAddress(p.ipVersion, server, 0);
    if (list !== null) {
      blocker.counters.addressBlocked++;
      return block(pipeline, blocker, p, flow, list, formatIp(server, p.ipVersion, true), true, null, null, 'drop');
    }
  }
  if (!blocker.hasNameLists) return false;

  if (p.ipProto === IpProto.UDP && p.dstPort === DNS_PORT && p.payloadLength > 0 && (flow === null || p.direction === Direction.TO_SERVER)) {
    if (!blocker.loadDnsQuestion(p.bytes, p.payloadOffset, p.payloadLength)) return false;
    const list = blocker.matchName(MatchedIn.DNS);
    if (list === null) return false;
    blocker.counters.dnsBlocked++;
    return blockDnsQuery(pipeline, blocker, p, flow, list);
  }

  if (flow === null || appState === null || appState.proto === null) return false;
  const txs = appState.transactions();
  if (txs.length === 0) return false;
  if (appState.proto === 'tls') return checkTls(pipeline, blocker, p, flow, txs[0] as unknown as TlsTransaction);
  if (appState.proto === 'http') return checkHttp(pipeline, blocker, p, flow, txs as unknown as readonly HttpTransaction[]);
  if (appState.proto === 'dns' && flow.tcp !== null) return checkDnsTcp(pipeline, blocker, p, flow, txs as unknown as readonly DnsTransaction[]);
  return false;
}

/**
 * Looks up the queries of a DNS over TCP flow. A blocked query drops the
 * flow, whatever the list's action, because the answer would have to be
 * written into the TCP stream.
 */
function checkDnsTcp(pipeline: PacketPipeline, blocker: SiteBlocker, p: Packet, flow: Flow, txs: readonly DnsTransaction[]): boolean {
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i] as DnsTransaction;
    if (tx.txId < flow.siteCheckedTx) continue;
    flow.siteCheckedTx = tx.txId + 1;
    if (tx.direction !== Direction.TO_SERVER) continue;
    const names = tx.queryNames;
    for (let k = 0; k < names.length; k++) {
      const name = names[k] as Uint8Array;
      if (!blocker.loadName(name, 0, name.length)) continue;
      const list = blocker.matchName(MatchedIn.DNS);
      if (list === null) continue;
      blocker.counters.dnsBlocked++;
      return block(pipeline, blocker, p, flow, list, blocker.nameText(), true, tx, 'dns', 'drop');
    }
  }
  return false;
}

function checkTls(pipeline: PacketPipeline, blocker: SiteBlocker, p: Packet, flow: Flow, tx: TlsTransaction): boolean {
  if (flow.siteCheckedTx !== 0 || tx.clientHello === null) return false;
  flow.siteCheckedTx = 1;
  const sni = tx.clientHello.sni;
  if (sni === null || !blocker.loadName(sni, 0, sni.length)) return false;
  const list = blocker.matchName(MatchedIn.TLS);
  if (list === null) return false;
  blocker.counters.tlsBlocked++;
  return block(pipeline, blocker, p, flow, list, blocker.nameText(), true, tx, 'tls', 'drop');
}

function checkHttp(pipeline: PacketPipeline, blocker: SiteBlocker, p: Packet, flow: Flow, txs: readonly HttpTransaction[]): boolean {
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i] as HttpTransaction;
    if (tx.txId < flow.siteCheckedTx) continue;
    if (tx.requestProgress < HTTP_HEADERS_DONE) return false;
    flow.siteCheckedTx = tx.txId + 1;
    const host = tx.hostname;
    if (host === null || !blocker.loadName(host, 0, host.length)) continue;
    const path = tx.uri ?? tx.uriRaw;
    const list = blocker.matchHttp(path);
    if (list === null) continue;
    blocker.counters.httpBlocked++;
    let matched = blocker.nameText();
    if (path !== null) matched += Buffer.from(path.buffer, path.byteOffset, path.byteLength).toString('latin1');
    return block(pipeline, blocker, p, flow, list, matched, true, tx, 'http', 'drop');
  }
  return false;
}

/** Answers (nxdomain, sinkhole) or drops a blocked DNS query, and writes its alert. */
function blockDnsQuery(pipeline: PacketPipeline, blocker: SiteBlocker, p: Packet, flow: Flow | null, list: CompiledList): boolean {
  const settings = list.settings;
  if (pipeline.parts.isIps && settings.action !== 'drop') {
    const qtype = blocker.qtype;
    let sinkhole: Uint8Array | null = null;
    if (qtype === DnsType.A) sinkhole = settings.sinkholeV4;
    else if (qtype === DnsType.AAAA) sinkhole = settings.sinkholeV6;
    const rcode = settings.action === 'nxdomain' ? DnsRcode.NXDOMAIN : DnsRcode.NOERROR;
    const out = pipeline.siteScratch.dnsAnswer;
    const length = buildDnsAnswer(p, blocker.questionEnd, rcode, qtype, sinkhole, out);
    if (length > 0 && pipeline.sendRaw(out, length)) blocker.counters.dnsAnswersSent++;
    else blocker.counters.dnsAnswersFailed++;
  }
  // A DNS client sends many queries from one port, so only the query is dropped, not its flow.
  return block(pipeline, blocker, p, flow, list, blocker.nameText(), false, null, null, settings.action);
}

/**
 * Writes the alert of a hit and, in IPS mode, drops the packet (and the
 * flow when `dropsFlow`). `action` is what the block did: drop, nxdomain
 * or sinkhole.
 */
function block(pipeline: PacketPipeline, blocker: SiteBlocker, p: Packet, flow: Flow | null, list: CompiledList, matched: string, dropsFlow: boolean, tx: object | null, proto: string | null, action: string): boolean {
  const isIps = pipeline.parts.isIps;
  const match = blocker.match;
  pipeline.writePolicyBlock(p, flow, list.sig, kapuObjectOf(list, match.entryText, matched, match.matchedIn, action), isIps, dropsFlow, tx, proto);
  return isIps;
}

/** Builds the `,"kapu":{...}` evidence of a hit, as AlertFacts.kapuObject takes it. */
export function kapuObjectOf(list: CompiledList, entry: string, matched: string, matchedIn: MatchedInValue, action: string): string {
  const s = list.settings;
  return ',"kapu":{"list":' + jsonString(s.name) + ',"kind":"' + s.kind + '","entry":' + jsonString(entry)
    + ',"matched":' + jsonString(matched) + ',"protocol":"' + matchedIn + '","action":"' + action + '"}';
}
