/**
 * Per-flow DNS state: the transactions of one UDP or TCP flow. As in
 * Suricata 8, every message is its own transaction, a request in the
 * to-server direction and a response in the to-client one. A response is
 * linked to the open request with the same DNS id (`requestTxId`).
 */
import { Direction } from '../../core/packet.js';
import { DnsEvent } from './events.js';
import { DNS_FLAG_QR, DNS_FLAG_Z, DnsStatus, dnsOpcode, isValidDnsOpcode, parseDnsMessage, type DnsMessage } from './parser.js';
import { DnsTcpFramer, type DnsMessageSink } from './tcp-framer.js';

/**
 * Maximum number of transactions kept per flow. When a new message arrives at
 * the limit, the oldest transaction is dropped, dns.too_many_transactions is
 * raised and `droppedTransactions` rises.
 * Config: app-layer.protocols.dns.max-tx.
 */
export const DEFAULT_MAX_DNS_TRANSACTIONS = 256;

/**
 * Maximum number of requests waiting for a response by DNS id. An older
 * request past it is forgotten, so a late response gets no `requestTxId`.
 */
export const MAX_DNS_OPEN_REQUESTS = 64;

/** Maximum number of events kept in `DnsState.events`. Later ones are only counted. */
export const MAX_DNS_STATE_EVENTS = 64;

/** One DNS message and what detection and logging need from it. */
export class DnsTransaction {
  readonly txId: number;
  /** Direction the message travelled in (Direction). */
  readonly direction: number;
  /** The parsed message, or null when it was malformed. */
  readonly message: DnsMessage | null;
  /** DnsEvent ids raised on this transaction. */
  readonly events: number[];
  /** Capture time of the message, in microseconds. */
  readonly timestampUs: number;
  /** For a response: txId of the request with the same DNS id, or -1. */
  requestTxId: number;
  /** For a request: txId of its response once seen, or -1. */
  responseTxId: number;
  /** A message is whole when it is parsed, so both flags are set at creation. */
  isToServerDone: boolean;
  isToClientDone: boolean;
  /** True once the EVE record was written, so pruning may drop it. */
  isLogged: boolean;
  /** Query names, one buffer per query (the `dns.query` buffers). */
  readonly queryNames: Uint8Array[];
  /** Owner names of each section, and every name of the message with rdata names (`dns.response.rrname`). */
  readonly answerNames: Uint8Array[];
  readonly authorityNames: Uint8Array[];
  readonly additionalNames: Uint8Array[];
  readonly allNames: Uint8Array[];
  /** Record types of the queries and of the answers, in message order (`dns.rrtype`). */
  readonly queryTypes: number[];
  readonly answerTypes: number[];

  constructor(txId: number, direction: number, message: DnsMessage | null, timestampUs: number) {
    this.txId = txId;
    this.direction = direction;
    this.message = message;
    this.events = message === null ? [] : message.events.slice();
    this.timestampUs = timestampUs;
    this.requestTxId = -1;
    this.responseTxId = -1;
    this.isToServerDone = true;
    this.isToClientDone = true;
    this.isLogged = false;
    this.queryNames = [];
    this.answerNames = [];
    this.authorityNames = [];
    this.additionalNames = [];
    this.allNames = [];
    this.queryTypes = message === null ? [] : message.queries.map((q) => q.rrtype);
    this.answerTypes = message === null ? [] : message.answers.map((a) => a.rrtype);
    if (message !== null) collectNames(message, this);
  }

  /** True when the message has the QR bit set. */
  get isResponse(): boolean {
    return this.message !== null && (this.message.flags & DNS_FLAG_QR) !== 0;
  }
}

/**
 * Fills the name lists of a transaction once, so buffer getters do not
 * allocate. Empty names (the root) are left out, as Suricata inspects no
 * empty name buffer.
 */
function collectNames(m: DnsMessage, tx: DnsTransaction): void {
  for (const q of m.queries) pushName(tx.queryNames, q.name.value);
  for (const r of m.answers) pushName(tx.answerNames, r.name.value);
  for (const r of m.authorities) pushName(tx.authorityNames, r.name.value);
  for (const r of m.additionals) pushName(tx.additionalNames, r.name.value);

  for (const name of tx.queryNames) tx.allNames.push(name);
  for (const section of [m.answers, m.authorities, m.additionals]) {
    for (const r of section) {
      pushName(tx.allNames, r.name.value);
      const d = r.rdata;
      if (d.kind === 'name' || d.kind === 'mx') pushName(tx.allNames, d.name.value);
      else if (d.kind === 'soa') {
        pushName(tx.allNames, d.mname.value);
        pushName(tx.allNames, d.rname.value);
      } else if (d.kind === 'srv') pushName(tx.allNames, d.target.value);
    }
  }
}

function pushName(list: Uint8Array[], name: Uint8Array): void {
  if (name.length > 0) list.push(name);
}

/** Counters of one DNS flow. */
export interface DnsCounters {
  messages: number;
  malformed: number;
  droppedTransactions: number;
  eventsDropped: number;
}

/**
 * Parser errors of many flows, shared by their DnsStates: Suricata's
 * `app_layer.error.dns_udp.parser` and `dns_tcp.parser` counters.
 */
export interface DnsErrorCounters {
  /** Messages that failed to parse (malformed or cut short). */
  parser: number;
}

/** DNS state of one flow, for UDP (one message per datagram) or TCP. */
export class DnsState implements DnsMessageSink {
  readonly isTcp: boolean;
  readonly maxTransactions: number;
  transactions: DnsTransaction[];
  /** Events raised on the flow in order (DnsEvent ids), at most MAX_DNS_STATE_EVENTS. */
  events: number[];
  /** For each entry of `events`: the txId of the transaction it was raised on, or -1 for the flow. */
  eventTxIds: number[];
  counters: DnsCounters;
  private nextTxId: number;
  private readonly framers: DnsTcpFramer[];
  /** DNS id to txId of requests that have no response yet. */
  private readonly openRequests: Map<number, number>;
  private currentDirection: number;
  private currentTimestampUs: number;
  private readonly errorCounters: DnsErrorCounters | null;

  constructor(isTcp: boolean, maxTransactions = DEFAULT_MAX_DNS_TRANSACTIONS, errorCounters: DnsErrorCounters | null = null) {
    this.isTcp = isTcp;
    this.maxTransactions = maxTransactions;
    this.transactions = [];
    this.events = [];
    this.eventTxIds = [];
    this.counters = { messages: 0, malformed: 0, droppedTransactions: 0, eventsDropped: 0 };
    this.nextTxId = 0;
    this.framers = isTcp ? [new DnsTcpFramer(), new DnsTcpFramer()] : [];
    this.openRequests = new Map();
    this.currentDirection = Direction.TO_SERVER;
    this.currentTimestampUs = 0;
    this.errorCounters = errorCounters;
  }

  /** Parses in-order bytes of one direction: one datagram for UDP, any part of the stream for TCP. */
  handleData(direction: number, bytes: Uint8Array, start: number, length: number, timestampUs: number): void {
    this.currentDirection = direction;
    this.currentTimestampUs = timestampUs;
    if (this.isTcp) {
      this.framers[direction].feed(bytes, start, length, this);
      return;
    }
    this.onDnsMessage(bytes, start, length);
  }

  /** Drops the partial TCP message of `direction`: its bytes are lost. */
  handleGap(direction: number, lengthBytes: number): void {
    if (lengthBytes > 0 && this.isTcp) this.framers[direction].reset();
  }

  /** Ends a direction; a partial TCP message left there is malformed. */
  handleEnd(direction: number): void {
    if (!this.isTcp) return;
    const framer = this.framers[direction];
    if (framer.missingBytes() > 0) {
      framer.reset();
      this.currentDirection = direction;
      this.addMalformed();
    }
  }

  /** Turns one whole message into a transaction. Called by the TCP framer too. */
  onDnsMessage(bytes: Uint8Array, start: number, length: number): void {
    this.counters.messages++;
    const result = parseDnsMessage(bytes, start, length);
    if (result.status !== DnsStatus.OK || result.message === null) {
      this.addMalformed(result.event);
      return;
    }

    const tx = this.addTransaction(result.message);
    const flags = result.message.flags;
    const isResponse = (flags & DNS_FLAG_QR) !== 0;
    if (this.currentDirection === Direction.TO_SERVER && isResponse) this.raise(tx, DnsEvent.NOT_REQUEST);
    if (this.currentDirection === Direction.TO_CLIENT && !isResponse) this.raise(tx, DnsEvent.NOT_RESPONSE);
    if ((flags & DNS_FLAG_Z) !== 0) this.raise(tx, DnsEvent.Z_FLAG_SET);
    if (!isValidDnsOpcode(dnsOpcode(flags))) this.raise(tx, DnsEvent.INVALID_OPCODE);
    for (const e of result.message.events) this.recordEvent(e, tx.txId);

    this.linkByDnsId(tx, result.message.id, isResponse);
  }

  /** Removes logged transactions below `txId` (the oldest first). */
  pruneTransactions(txId: number): void {
    let n = 0;
    while (n < this.transactions.length && this.transactions[n].txId < txId && this.transactions[n].isLogged) n++;
    if (n > 0) this.transactions.splice(0, n);
  }

  /** Returns the transaction with `txId`, or null once it was dropped. */
  findTransaction(txId: number): DnsTransaction | null {
    for (const tx of this.transactions) if (tx.txId === txId) return tx;
    return null;
  }

  private linkByDnsId(tx: DnsTransaction, dnsId: number, isResponse: boolean): void {
    if (!isResponse) {
      if (this.openRequests.size >= MAX_DNS_OPEN_REQUESTS) {
        const oldest = this.openRequests.keys().next().value;
        if (oldest !== undefined) this.openRequests.delete(oldest);
      }
      this.openRequests.delete(dnsId);
      this.openRequests.set(dnsId, tx.txId);
      return;
    }
    const requestTxId = this.openRequests.get(dnsId);
    if (requestTxId === undefined) return;
    this.openRequests.delete(dnsId);
    tx.requestTxId = requestTxId;
    const request = this.findTransaction(requestTxId);
    if (request !== null) request.responseTxId = tx.txId;
  }

  private addMalformed(event: number = DnsEvent.MALFORMED_DATA): void {
    this.counters.malformed++;
    if (this.errorCounters !== null) this.errorCounters.parser++;
    const tx = this.addTransaction(null);
    this.raise(tx, event);
    if (event !== DnsEvent.MALFORMED_DATA) this.raise(tx, DnsEvent.MALFORMED_DATA);
  }

  private addTransaction(message: DnsMessage | null): DnsTransaction {
    if (this.transactions.length >= this.maxTransactions) {
      this.transactions.shift();
      this.counters.droppedTransactions++;
      this.recordEvent(DnsEvent.TOO_MANY_TRANSACTIONS, -1);
    }
    const tx = new DnsTransaction(this.nextTxId++, this.currentDirection, message, this.currentTimestampUs);
    this.transactions.push(tx);
    return tx;
  }

  private raise(tx: DnsTransaction, event: number): void {
    if (!tx.events.includes(event)) tx.events.push(event);
    this.recordEvent(event, tx.txId);
  }

  private recordEvent(event: number, txId: number): void {
    if (this.events.length < MAX_DNS_STATE_EVENTS) {
      this.events.push(event);
      this.eventTxIds.push(txId);
    } else {
      this.counters.eventsDropped++;
    }
  }
}
