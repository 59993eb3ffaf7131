/**
 * Per-flow TLS state. As in Suricata, a TLS flow has one transaction: the
 * handshake. It collects the ClientHello (SNI, JA3, JA4), the ServerHello
 * (JA3S, the negotiated version) and the server's certificate chain, until
 * each side starts encrypting.
 */
import { Direction } from '../../core/packet.js';
import { TlsEvent } from './events.js';
import { parseCertificateList, parseClientHello, parseServerHello, type TlsHello } from './handshake.js';
import { buildJa3String, buildJa3sString, hashJa3 } from './ja3.js';
import { buildJa4 } from './ja4.js';
import { TlsHandshakeType, TlsRecordParser, type TlsRecordSink } from './parser.js';
import { parseX509, type X509Certificate } from './x509.js';

/** TLS 1.3 (RFC 8446); its Certificate message is encrypted. */
export const TLS_VERSION_13 = 0x0304;

/**
 * Maximum number of certificates kept from one Certificate message. Later ones
 * are not parsed and `certificatesDropped` rises. Chains usually contain 2 to 5.
 * Config: app-layer.protocols.tls.max-certificates (kapu's own key).
 */
export const MAX_TLS_CERTIFICATES = 32;

/**
 * Maximum number of events kept in `TlsState.events`; later ones are counted
 * in `eventsDropped`.
 */
export const MAX_TLS_STATE_EVENTS = 64;

/** Minimum heartbeat padding (RFC 6520 section 4). */
const HEARTBEAT_MIN_PADDING_BYTES = 16;

/**
 * ServerHello.random of a HelloRetryRequest (RFC 8446 section 4.1.3): the
 * SHA-256 of "HelloRetryRequest". The client then sends a second
 * ClientHello and the server a second ServerHello.
 */
const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.from(
  Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
);

/** Alert level `fatal` (RFC 5246 section 7.2). */
const ALERT_LEVEL_FATAL = 2;

/** The handshake of one TLS flow. */
export class TlsTransaction {
  readonly txId: number;
  clientHello: TlsHello | null;
  serverHello: TlsHello | null;
  /** Server certificate chain as sent, leaf first: DER and parsed fields (null when the DER is invalid). */
  serverCertificates: Uint8Array[];
  serverCertificateInfo: (X509Certificate | null)[];
  /** Client certificate chain (RFC 5246 section 7.4.6), leaf first, when the server asked for one: DER and parsed fields. */
  clientCertificates: Uint8Array[];
  clientCertificateInfo: (X509Certificate | null)[];
  /** JA3, JA3S and JA4, computed once when the hello arrives. */
  ja3String: string | null;
  ja3Hash: string | null;
  ja3sString: string | null;
  ja3sHash: string | null;
  ja4: string | null;
  /** Version the client offered: legacy_version of its ClientHello or of an SSLv2-framed hello, or 0. */
  clientVersion: number;
  /** Negotiated version (supported_versions of the ServerHello, else its legacy_version), or 0. */
  version: number;
  /** True when the server resumed the session: it echoed the client's session id and sent no certificate. */
  isSessionResumed: boolean;
  isToServerDone: boolean;
  isToClientDone: boolean;
  /** Capture time of the latest TLS data of the flow, in microseconds (for tls_cert_expired and tls_cert_valid). */
  lastTimestampUs: number;
  /** TlsEvent ids raised on the transaction. */
  events: number[];
  /** EVE fragment that the logger stores after buildTlsEve; reset when a handshake message arrives. */
  eve: string | null;
  /** Buffers built by detect.ts, by name, per direction (index Direction); cleared when a handshake message arrives. */
  readonly bufferCache: [Map<string, Uint8Array[]>, Map<string, Uint8Array[]>];

  constructor(txId: number) {
    this.txId = txId;
    this.clientHello = null;
    this.serverHello = null;
    this.serverCertificates = [];
    this.serverCertificateInfo = [];
    this.clientCertificates = [];
    this.clientCertificateInfo = [];
    this.ja3String = null;
    this.ja3Hash = null;
    this.ja3sString = null;
    this.ja3sHash = null;
    this.ja4 = null;
    this.clientVersion = 0;
    this.version = 0;
    this.isSessionResumed = false;
    this.isToServerDone = false;
    this.isToClientDone = false;
    this.lastTimestampUs = 0;
    this.events = [];
    this.eve = null;
    this.bufferCache = [new Map(), new Map()];
  }

  /** The leaf certificate of the server, parsed, or null. */
  get serverCertificate(): X509Certificate | null {
    return this.serverCertificateInfo.length > 0 ? this.serverCertificateInfo[0] : null;
  }

  /** The leaf certificate of the client, parsed, or null. */
  get clientCertificate(): X509Certificate | null {
    return this.clientCertificateInfo.length > 0 ? this.clientCertificateInfo[0] : null;
  }

  /** Returns the leaf certificate that `direction` carried: the client's to the server, the server's to the client. */
  certificateOf(direction: number): X509Certificate | null {
    return direction === Direction.TO_SERVER ? this.clientCertificate : this.serverCertificate;
  }
}

/** Counters of one TLS flow. */
export interface TlsCounters {
  records: number;
  handshakeMessages: number;
  heartbeats: number;
  certificatesDropped: number;
  eventsDropped: number;
}

/** TLS state of one TCP flow. */
export class TlsState implements TlsRecordSink {
  transactions: TlsTransaction[];
  /** Events raised on the flow, in order (TlsEvent ids). */
  events: number[];
  counters: TlsCounters;
  private readonly parsers: TlsRecordParser[];
  private direction: number;

  constructor() {
    this.transactions = [new TlsTransaction(0)];
    this.events = [];
    this.counters = { records: 0, handshakeMessages: 0, heartbeats: 0, certificatesDropped: 0, eventsDropped: 0 };
    this.parsers = [new TlsRecordParser(), new TlsRecordParser()];
    this.direction = Direction.TO_SERVER;
  }

  /** The handshake transaction. */
  get tx(): TlsTransaction {
    return this.transactions[0];
  }

  /** Parses in-order stream bytes of one direction. */
  handleData(direction: number, bytes: Uint8Array, start: number, length: number, timestampUs: number): void {
    this.direction = direction;
    this.tx.lastTimestampUs = timestampUs;
    const parser = this.parsers[direction];
    const before = parser.records;
    parser.feed(bytes, start, length, this);
    this.counters.records += parser.records - before;
  }

  /** Stops parsing a direction after a gap: record boundaries are lost. */
  handleGap(direction: number, lengthBytes: number): void {
    if (lengthBytes > 0) this.parsers[direction].markGap();
  }

  /** Marks a direction done. */
  handleEnd(direction: number): void {
    this.markDone(direction);
  }

  /** Drops nothing: a TLS flow keeps its one transaction for its lifetime. */
  pruneTransactions(_txId: number): void {}

  onHandshakeMessage(type: number, bytes: Uint8Array, start: number, length: number): void {
    this.counters.handshakeMessages++;
    const tx = this.tx;
    tx.bufferCache[0].clear();
    tx.bufferCache[1].clear();
    tx.eve = null;
    switch (type) {
      case TlsHandshakeType.CLIENT_HELLO:
        this.onClientHello(tx, bytes, start, length);
        return;
      case TlsHandshakeType.SERVER_HELLO:
        this.onServerHello(tx, bytes, start, length);
        return;
      case TlsHandshakeType.CERTIFICATE:
        this.onCertificate(tx, bytes, start, length);
        return;
      default:
        return;
    }
  }

  onChangeCipherSpec(): void {
    this.markDone(this.direction);
  }

  onAlert(level: number): void {
    if (level === ALERT_LEVEL_FATAL) this.raise(TlsEvent.ERROR_MESSAGE_ENCOUNTERED);
  }

  onHeartbeat(recordLength: number, payloadLength: number): void {
    this.counters.heartbeats++;
    this.raise(TlsEvent.HEARTBEAT_MESSAGE);
    // RFC 6520 section 4: type (1), payload_length (2), payload, then at
    // least 16 bytes of padding. A claimed payload that does not fit is the
    // Heartbleed over-read (CVE-2014-0160).
    if (payloadLength >= 0 && payloadLength + 3 + HEARTBEAT_MIN_PADDING_BYTES > recordLength) {
      this.raise(TlsEvent.OVERFLOW_HEARTBEAT_MESSAGE);
    }
  }

  onApplicationData(): void {
    this.markDone(this.direction);
  }

  onEvent(event: number): void {
    this.raise(event);
  }

  onSslv2ClientHello(version: number): void {
    if (this.direction === Direction.TO_SERVER && this.tx.clientVersion === 0) this.tx.clientVersion = version;
  }

  private onClientHello(tx: TlsTransaction, bytes: Uint8Array, start: number, length: number): void {
    if (this.direction !== Direction.TO_SERVER) {
      this.raise(TlsEvent.INVALID_HANDSHAKE_MESSAGE);
      return;
    }
    // A second ClientHello follows a HelloRetryRequest. SNI, JA3 and JA4
    // come from the first one.
    if (tx.clientHello !== null) return;
    const result = parseClientHello(bytes, start, length);
    if (!result.ok) {
      this.raise(result.event);
      return;
    }
    const hello = result.hello;
    for (const e of hello.events) this.raise(e);
    tx.clientHello = hello;
    tx.clientVersion = hello.version;
    tx.ja3String = buildJa3String(hello);
    tx.ja3Hash = hashJa3(tx.ja3String);
    tx.ja4 = buildJa4(hello);
  }

  private onServerHello(tx: TlsTransaction, bytes: Uint8Array, start: number, length: number): void {
    const isAfterRetry = tx.serverHello !== null && sameBytes(tx.serverHello.random, HELLO_RETRY_REQUEST_RANDOM);
    if (this.direction !== Direction.TO_CLIENT || (tx.serverHello !== null && !isAfterRetry)) {
      this.raise(TlsEvent.INVALID_HANDSHAKE_MESSAGE);
      return;
    }
    const result = parseServerHello(bytes, start, length);
    if (!result.ok) {
      this.raise(result.event);
      return;
    }
    const hello = result.hello;
    tx.serverHello = hello;
    tx.version = hello.supportedVersions.length > 0 ? hello.supportedVersions[0] : hello.version;
    tx.ja3sString = buildJa3sString(hello);
    tx.ja3sHash = hashJa3(tx.ja3sString);
    const offered = tx.clientHello?.sessionId;
    tx.isSessionResumed = offered !== undefined && offered.length > 0 && sameBytes(offered, hello.sessionId);
  }

  private onCertificate(tx: TlsTransaction, bytes: Uint8Array, start: number, length: number): void {
    const result = parseCertificateList(bytes, start, length, tx.version === TLS_VERSION_13);
    if (!result.ok) {
      this.raise(result.event);
      return;
    }
    const chain = result.certificates.slice(0, MAX_TLS_CERTIFICATES);
    this.counters.certificatesDropped += result.certificates.length - chain.length;
    const info = chain.map((der) => this.parseCertificate(der));
    if (this.direction === Direction.TO_SERVER) {
      tx.clientCertificates = chain;
      tx.clientCertificateInfo = info;
      return;
    }
    tx.isSessionResumed = false;
    tx.serverCertificates = chain;
    tx.serverCertificateInfo = info;
  }

  private parseCertificate(der: Uint8Array): X509Certificate | null {
    const parsed = parseX509(der);
    if (parsed.ok) return parsed.cert;
    this.raise(TlsEvent.INVALID_CERTIFICATE);
    this.raise(parsed.event);
    return null;
  }

  private markDone(direction: number): void {
    if (direction === Direction.TO_SERVER) this.tx.isToServerDone = true;
    else this.tx.isToClientDone = true;
  }

  private raise(event: number): void {
    const tx = this.tx;
    if (!tx.events.includes(event)) tx.events.push(event);
    if (this.events.length < MAX_TLS_STATE_EVENTS) this.events.push(event);
    else this.counters.eventsDropped++;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
