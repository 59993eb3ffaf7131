/**
 * EVE protocol events (`http`, `dns`, `tls`, `ssh`, `fileinfo`) as
 * Suricata 8 writes them: the head with the flow's endpoints, client as
 * source (Suricata's LOG_DIR_FLOW), then `tx_id` and the protocol object
 * that the parser's eve.ts built.
 */
import { Direction, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { AppProto, isTxDone, type AppTransaction, type FlowAppState } from '../app/app-layer.js';
import { buildHttpEve, eveString, type HttpEveOptions } from '../app/http/eve.js';
import { httpEventEveName } from '../app/http/events.js';
import type { HttpFile, HttpState, HttpTransaction } from '../app/http/state.js';
import { buildDnsEve, buildDnsEveV3, DEFAULT_DNS_EVE_OPTIONS, type DnsEveOptions } from '../app/dns/eve.js';
import { DNS_EVENT_NAMES } from '../app/dns/events.js';
import type { DnsState, DnsTransaction } from '../app/dns/state.js';
import { buildTlsEve, DEFAULT_TLS_EVE_OPTIONS, type TlsEveOptions } from '../app/tls/eve.js';
import { TLS_EVENT_NAMES } from '../app/tls/events.js';
import { TLS_VERSION_13, type TlsState, type TlsTransaction } from '../app/tls/state.js';
import { buildSshEve } from '../app/ssh/eve.js';
import { SSH_EVENT_NAMES } from '../app/ssh/events.js';
import type { SshState, SshTransaction } from '../app/ssh/state.js';
import type { EveWriter } from './eve-writer.js';
import { closeEvent, type EveContext } from './eve-header.js';
import { formatIp, jsonString, protoHasPorts, protoName, type PktSrcValue } from './eve-format.js';

/**
 * Builds a transaction event. `objectJson` is the protocol object's JSON
 * text, written under `key`; `pcapCount` is the packet that completed
 * the transaction, or 0 when none did (flow end). `isServerSource` writes
 * the server as the source, as Suricata does for a DNS response.
 */
export function buildTxEvent(
  ctx: EveContext,
  flow: Flow,
  timestampUs: number,
  pcapCount: number,
  eventType: string,
  pktSrc: PktSrcValue,
  txId: number,
  key: string,
  objectJson: string,
  isServerSource = false,
): string {
  let out = '{"timestamp":"' + ctx.time.iso(timestampUs) + '","flow_id":' + flow.flowId;
  if (pcapCount !== 0) out += ',"pcap_cnt":' + pcapCount;
  out += ',"event_type":' + jsonString(eventType);
  if (flow.vlanId !== 0) out += ',"vlan":[' + flow.vlanId + ']';
  const ports = protoHasPorts(flow.ipProto);
  const src = isServerSource ? flow.serverAddr : flow.clientAddr;
  const dst = isServerSource ? flow.clientAddr : flow.serverAddr;
  out += ',"src_ip":"' + formatIp(src, flow.ipVersion, ctx.ipv6Compress) + '"';
  if (ports) out += ',"src_port":' + (isServerSource ? flow.serverPort : flow.clientPort);
  out += ',"dest_ip":"' + formatIp(dst, flow.ipVersion, ctx.ipv6Compress) + '"';
  if (ports) out += ',"dest_port":' + (isServerSource ? flow.clientPort : flow.serverPort);
  out += ',"proto":' + jsonString(protoName(flow.ipProto)) + ',"ip_v":' + flow.ipVersion;
  out += ',"pkt_src":' + jsonString(pktSrc);
  if (txId >= 0) out += ',"tx_id":' + txId;
  if (eventType === 'fileinfo' && flow.appProto !== null) out += ',"app_proto":' + jsonString(flow.appProto);
  out += ',' + jsonString(key) + ':' + objectJson;
  return closeEvent(ctx, out);
}

/** Settings of the protocol events. */
export interface TxLogOptions {
  /** The `dns` events: version (3 by default, 2 by config or SURICATA_EVE_DNS_VERSION), requests, responses, answer lists. */
  dns: DnsEveOptions;
  /** Fields of the `tls` object (JA3, JA4). */
  tls: TlsEveOptions;
  /** Add the HASSH of each side to the `ssh` object. */
  sshHassh: boolean;
  /** Fields of the http event's `http` object; alerts and fileinfo events always use the default. */
  http?: HttpEveOptions;
  /**
   * `detect.guess-applayer-tx`: an alert of a rule without app-layer
   * keywords carries the flow's transaction when only one is live.
   */
  guessAlertTx?: boolean;
}

/** Suricata 8's defaults: DNS version 3, extended TLS without JA3 or JA4, no HASSH. */
export const DEFAULT_TX_LOG_OPTIONS: TxLogOptions = { dns: DEFAULT_DNS_EVE_OPTIONS, tls: DEFAULT_TLS_EVE_OPTIONS, sshHassh: false };

/** Returns the protocol object of one transaction as `"key":{...}` text, for alerts. */
export function txObjectText(proto: string, tx: AppTransaction, options: TxLogOptions): string | null {
  switch (proto) {
    case AppProto.HTTP: return '"http":' + buildHttpEve(tx as HttpTransaction);
    case AppProto.DNS: {
      // Suricata 8 writes the version 3 object in alerts whatever version the dns events use.
      const v3 = buildDnsEveV3(tx as DnsTransaction);
      return v3 === null ? null : '"dns":' + v3;
    }
    case AppProto.TLS: return '"tls":' + buildTlsEve(tx as TlsTransaction, options.tls);
    case AppProto.SSH: return '"ssh":' + buildSshEve(tx as SshTransaction, options.sshHassh);
    default: return null;
  }
}

/**
 * Returns the transaction that an alert without one is guessed to belong
 * to (`detect.guess-applayer-tx`), or null. The guess is made only when
 * one transaction is live, as Suricata 8 makes it. A DNS transaction is
 * one message, so only those of the alert's direction count.
 * NOTE: that DNS rule is inferred from Suricata 8's alerts, not from its
 * documentation.
 */
export function guessAlertTx(state: FlowAppState, direction: number): AppTransaction | null {
  if (state.proto === null || state.parser === null) return null;
  const txs = state.transactions();
  let found: AppTransaction | null = null;
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i] as AppTransaction;
    if (state.proto === AppProto.DNS && (tx as DnsTransaction).direction !== direction) continue;
    if (found !== null) return null;
    found = tx;
  }
  return found;
}

/** Returns the app-layer anomaly name of a parser event id. */
function eventName(proto: string, id: number): string {
  switch (proto) {
    case AppProto.HTTP: return httpEventEveName(id);
    case AppProto.DNS: return DNS_EVENT_NAMES[id] ?? String(id);
    case AppProto.TLS: return TLS_EVENT_NAMES[id] ?? String(id);
    default: return SSH_EVENT_NAMES[id] ?? String(id);
  }
}

/**
 * Writes the protocol events of the transactions a flow's parser
 * finished, each once, in transaction order, and the app-layer anomaly
 * events of new parser events. At flow end (`isFlowEnd`) unfinished
 * transactions are written too. Then it drops the written transactions
 * that detection no longer needs.
 */
export class TxLogger {
  readonly options: TxLogOptions;
  private readonly writers: readonly EveWriter[];
  private readonly eventCounts: WeakMap<object, number>;

  constructor(writers: readonly EveWriter[], options: TxLogOptions) {
    this.writers = writers;
    this.options = options;
    this.eventCounts = new WeakMap();
  }

  /** Writes what `state` has ready. `p` is the packet that brought the data (for anomaly events and pcap_cnt). */
  log(state: FlowAppState, flow: Flow, p: Packet, pktSrc: PktSrcValue, isFlowEnd: boolean): void {
    const proto = state.proto;
    if (proto === null || state.parser === null) return;
    if (this.writers.length > 0) this.logAnomalies(state, flow, p, pktSrc, proto);
    const txs = state.transactions();
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i] as AppTransaction;
      if (state.loggedTx.has(tx)) continue;
      if (!isFlowEnd && !isReadyToLog(proto, tx, this.options.sshHassh)) {
        if (proto === AppProto.HTTP) break;
        continue;
      }
      state.loggedTx.add(tx);
      if (proto === AppProto.DNS) (tx as DnsTransaction).isLogged = true;
      if (state.unloggedTx.has(tx)) continue;
      this.logTx(flow, p, pktSrc, proto, tx);
    }
    prune(state, proto);
  }

  /** Tells whether an eve-log writes protocol event type `eventType`. */
  private wants(eventType: string): boolean {
    for (const w of this.writers) {
      if (w.wantsTxEvents(eventType)) return true;
    }
    return false;
  }

  /** Writes the protocol events of one transaction; the JSON is built only for enabled types. */
  private logTx(flow: Flow, p: Packet, pktSrc: PktSrcValue, proto: string, tx: AppTransaction): void {
    if (!this.wants(proto) && !(proto === AppProto.HTTP && this.wants('fileinfo'))) return;
    const txId = (tx as { txId: number }).txId;
    const ts = p.timestampUs;
    const cnt = p.pcapCount;
    switch (proto) {
      case AppProto.HTTP: {
        const http = buildHttpEve(tx as HttpTransaction);
        const event = this.options.http === undefined ? http : buildHttpEve(tx as HttpTransaction, this.options.http);
        for (const w of this.writers) w.txEvent(flow, ts, cnt, 'http', pktSrc, txId, 'http', event);
        for (const file of (tx as HttpTransaction).files) {
          const text = http + ',"fileinfo":' + fileinfoJson(file, txId);
          // A file travels in its body's direction: a response body names the server as the source, as in Suricata.
          const isServerSource = file.direction === Direction.TO_CLIENT;
          for (const w of this.writers) w.txEvent(flow, ts, cnt, 'fileinfo', pktSrc, txId, 'http', text, isServerSource);
        }
        break;
      }
      case AppProto.DNS: {
        const dns = tx as DnsTransaction;
        const options = this.options.dns;
        const isResponse = dns.direction === Direction.TO_CLIENT;
        if (isResponse ? !options.responses : !options.requests) break;
        // Version 3 writes a response from the server; version 2 wrote every event from the client.
        const isServerSource = isResponse && options.version === 3;
        for (const text of buildDnsEve(dns, options.version, options.formats)) {
          for (const w of this.writers) w.txEvent(flow, ts, cnt, 'dns', pktSrc, txId, 'dns', text, isServerSource);
        }
        break;
      }
      case AppProto.TLS: {
        const text = buildTlsEve(tx as TlsTransaction, this.options.tls);
        for (const w of this.writers) w.txEvent(flow, ts, cnt, 'tls', pktSrc, txId, 'tls', text);
        break;
      }
      case AppProto.SSH: {
        const text = buildSshEve(tx as SshTransaction, this.options.sshHassh);
        for (const w of this.writers) w.txEvent(flow, ts, cnt, 'ssh', pktSrc, txId, 'ssh', text);
        break;
      }
    }
  }

  /** Writes an anomaly event for each parser event raised since the last call. */
  private logAnomalies(state: FlowAppState, flow: Flow, p: Packet, pktSrc: PktSrcValue, proto: string): void {
    if (proto === AppProto.HTTP) {
      const txs = state.transactions();
      for (let i = 0; i < txs.length; i++) {
        const tx = txs[i] as HttpTransaction;
        const done = this.eventCounts.get(tx) ?? 0;
        if (tx.events.length === done) continue;
        for (let k = done; k < tx.events.length; k++) this.writeAnomaly(flow, p, pktSrc, proto, tx.events[k] as number, tx.txId);
        this.eventCounts.set(tx, tx.events.length);
      }
      // Events that belong to no transaction (data before any request, for one).
      const flowEvents = (state.parser as HttpState).flowEvents;
      for (let k = state.eventsLogged; k < flowEvents.length; k++) this.writeAnomaly(flow, p, pktSrc, proto, flowEvents[k] as number, -1);
      state.eventsLogged = flowEvents.length;
      return;
    }
    if (proto === AppProto.DNS) {
      // A DNS event names the transaction (message) it was raised on, as Suricata's anomaly events do.
      const dns = state.parser as DnsState;
      for (let k = state.eventsLogged; k < dns.events.length; k++) this.writeAnomaly(flow, p, pktSrc, proto, dns.events[k], dns.eventTxIds[k]);
      state.eventsLogged = dns.events.length;
      return;
    }
    const events = (state.parser as TlsState | SshState).events;
    for (let k = state.eventsLogged; k < events.length; k++) this.writeAnomaly(flow, p, pktSrc, proto, events[k] as number, -1);
    state.eventsLogged = events.length;
  }

  private writeAnomaly(flow: Flow, p: Packet, pktSrc: PktSrcValue, proto: string, id: number, txId: number): void {
    const name = eventName(proto, id);
    for (const w of this.writers) w.appLayerAnomaly(p, flow, proto, name, 'proto_parser', txId, pktSrc);
  }
}

/**
 * Tells whether a transaction is finished enough for its protocol event.
 * A TLS handshake is logged once the server's part is in (its
 * certificates, or a resumed or TLS 1.3 ServerHello, after which the
 * rest is encrypted), as Suricata logs it. Unfinished transactions are
 * logged when the flow ends.
 */
function isReadyToLog(proto: string, tx: AppTransaction, hasHassh: boolean): boolean {
  if (proto === AppProto.DNS) return true;
  if (proto === AppProto.TLS) {
    const t = tx as TlsTransaction;
    const isServerDone = t.serverHello !== null && (t.serverCertificates.length > 0 || t.isSessionResumed || t.version === TLS_VERSION_13);
    if (isServerDone) return true;
  }
  if (proto === AppProto.SSH && hasHassh) {
    // With HASSH on, logged once both sides switched to encryption (NEWKEYS), so both KEXINITs are in.
    const t = tx as SshTransaction;
    return t.isToServerEncrypted && t.isToClientEncrypted;
  }
  return isTxDone(proto, tx, 0) && isTxDone(proto, tx, 1);
}

/**
 * Drops logged transactions that both directions finished, keeping
 * per-flow memory bounded. Nothing is dropped while a direction has data
 * that detection has not inspected yet.
 */
function prune(state: FlowAppState, proto: string): void {
  const txs = state.transactions();
  if (txs.length === 0 || state.pendingInspect[0] !== 0 || state.pendingInspect[1] !== 0) return;
  if (proto === AppProto.HTTP) {
    let keepFrom = -1;
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i] as HttpTransaction;
      if (!state.loggedTx.has(tx) || !tx.isRequestComplete || !tx.isResponseComplete) {
        keepFrom = tx.txId;
        break;
      }
    }
    (state.parser as HttpState).removeCompleted(keepFrom < 0 ? Number.MAX_SAFE_INTEGER : keepFrom);
  } else if (proto === AppProto.DNS) {
    (state.parser as DnsState).pruneTransactions(Number.MAX_SAFE_INTEGER);
  }
}

/**
 * Builds the `fileinfo` object of an HTTP file.
 * NOTE: `stored` is always false: kapu does not store files.
 */
function fileinfoJson(file: HttpFile, txId: number): string {
  let out = '{"filename":' + eveString(file.name) + ',"gaps":' + file.hasGaps + ',"state":' + jsonString(file.state);
  if (file.md5 !== null) out += ',"md5":"' + file.md5 + '"';
  if (file.sha1 !== null) out += ',"sha1":"' + file.sha1 + '"';
  if (file.sha256 !== null) out += ',"sha256":"' + file.sha256 + '"';
  return out + ',"stored":false,"size":' + file.size + ',"tx_id":' + txId + '}';
}
