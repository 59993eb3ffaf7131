/**
 * TLS record layer (RFC 8446 section 5.1, RFC 5246 section 6.2): splits
 * one direction of a TLS stream into records and reassembles handshake
 * messages that span records or TCP segments. It does not track flows,
 * so every event and message goes to a TlsRecordSink. Input may be split at
 * any byte; partial headers and handshake messages are kept here.
 *
 *   record header (5 bytes)          handshake header (4 bytes)
 *   | type | version(2) | length(2) | | type | length(3) |
 */
import { TlsEvent } from './events.js';

/** Parse status codes. */
export const TlsStatus = {
  OK: 0,
  NEED_MORE: 1,
  INVALID: 2,
} as const;

/** Record content types (RFC 8446 section 5.1, RFC 6520 for heartbeat). */
export const TlsContentType = {
  CHANGE_CIPHER_SPEC: 20,
  ALERT: 21,
  HANDSHAKE: 22,
  APPLICATION_DATA: 23,
  HEARTBEAT: 24,
} as const;

/** Handshake message types (RFC 8446 section 4, RFC 5246 section 7.4). */
export const TlsHandshakeType = {
  HELLO_REQUEST: 0,
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  NEW_SESSION_TICKET: 4,
  END_OF_EARLY_DATA: 5,
  ENCRYPTED_EXTENSIONS: 8,
  CERTIFICATE: 11,
  SERVER_KEY_EXCHANGE: 12,
  CERTIFICATE_REQUEST: 13,
  SERVER_HELLO_DONE: 14,
  CERTIFICATE_VERIFY: 15,
  CLIENT_KEY_EXCHANGE: 16,
  FINISHED: 20,
  CERTIFICATE_STATUS: 22,
  KEY_UPDATE: 24,
} as const;

export const TLS_RECORD_HEADER_BYTES = 5;
export const TLS_HANDSHAKE_HEADER_BYTES = 4;

/**
 * Largest record payload accepted: 2^14 plus 2048 bytes of expansion
 * (RFC 5246 section 6.2.3). A longer record raises tls.invalid_ssl_record
 * and parsing of the direction stops.
 */
export const MAX_TLS_RECORD_BYTES = 16384 + 2048;

/**
 * Largest handshake message reassembled, in bytes. Certificate chains are
 * the largest messages seen in practice (tens of KiB). A longer one raises
 * tls.handshake_invalid_length and parsing of the direction stops.
 * Config: app-layer.protocols.tls.max-handshake-bytes (kapu's own key).
 */
export const MAX_TLS_HANDSHAKE_BYTES = 256 * 1024;

/**
 * Maximum number of records parsed in one call (one reassembled chunk). More
 * raise tls.too_many_records_in_packet once per call; the records are still
 * parsed.
 */
export const MAX_TLS_RECORDS_PER_CALL = 255;

/** Receiver of what the record parser finds. */
export interface TlsRecordSink {
  /** A whole handshake message: `bytes[start, start + length)` is its body. */
  onHandshakeMessage(type: number, bytes: Uint8Array, start: number, length: number, recordVersion: number): void;
  onChangeCipherSpec(): void;
  onAlert(level: number, description: number): void;
  /**
   * A heartbeat record (RFC 6520). For a cleartext record `payloadLength`
   * is the length its message claims, else -1.
   */
  onHeartbeat(recordLength: number, payloadLength: number): void;
  onApplicationData(length: number): void;
  onEvent(event: number): void;
  /** Receives the version of an SSLv2-framed ClientHello (RFC 6101 appendix E.2). Its other fields are skipped. */
  onSslv2ClientHello(version: number): void;
}

/** The record parser of one direction. */
export class TlsRecordParser {
  /** Header bytes of the current record held so far (0 to 5). */
  headerFilled: number;
  readonly header: Uint8Array;
  /** Type, version and payload bytes left of the current record; type -1 between records. */
  recordType: number;
  recordVersion: number;
  recordLeft: number;
  /** First payload bytes of an alert (2 bytes) or heartbeat (3 bytes) record, which may be split. */
  readonly alert: Uint8Array;
  alertFilled: number;
  /** Payload length of the current record. */
  recordLength: number;
  /** Handshake bytes not yet formed into whole messages. */
  handshake: Uint8Array;
  handshakeFilled: number;
  /** True after this side sent ChangeCipherSpec: its later handshake records are encrypted. */
  isEncrypted: boolean;
  /** True once the stream is unparseable; later bytes are ignored. */
  isBroken: boolean;
  /** SSLv2-framed bytes left to skip (RFC 6101 appendix E.2 compatible hello). */
  sslv2Left: number;
  /** Records parsed so far. */
  records: number;
  private isFirstByte: boolean;

  constructor() {
    this.headerFilled = 0;
    this.header = new Uint8Array(TLS_RECORD_HEADER_BYTES);
    this.recordType = -1;
    this.recordVersion = 0;
    this.recordLeft = 0;
    this.alert = new Uint8Array(3);
    this.alertFilled = 0;
    this.recordLength = 0;
    this.handshake = new Uint8Array(4096);
    this.handshakeFilled = 0;
    this.isEncrypted = false;
    this.isBroken = false;
    this.sslv2Left = 0;
    this.records = 0;
    this.isFirstByte = true;
  }

  /** Parses the next bytes of the direction. Returns OK, NEED_MORE inside a record, or INVALID once broken. */
  feed(bytes: Uint8Array, start: number, length: number, sink: TlsRecordSink): number {
    let pos = start;
    const end = start + length;
    let recordsThisCall = 0;
    while (pos < end && !this.isBroken) {
      if (this.isFirstByte) {
        this.isFirstByte = false;
        if (this.beginSslv2(bytes, pos, end, sink)) continue;
      }
      if (this.sslv2Left > 0) {
        const skip = Math.min(this.sslv2Left, end - pos);
        this.sslv2Left -= skip;
        pos += skip;
        continue;
      }
      if (this.recordType < 0) {
        const take = Math.min(TLS_RECORD_HEADER_BYTES - this.headerFilled, end - pos);
        this.header.set(bytes.subarray(pos, pos + take), this.headerFilled);
        this.headerFilled += take;
        pos += take;
        if (this.headerFilled < TLS_RECORD_HEADER_BYTES) break;
        this.headerFilled = 0;
        if (++recordsThisCall === MAX_TLS_RECORDS_PER_CALL + 1) sink.onEvent(TlsEvent.TOO_MANY_RECORDS_IN_PACKET);
        this.beginRecord(sink);
        continue;
      }
      const take = Math.min(this.recordLeft, end - pos);
      this.consumePayload(bytes, pos, take, sink);
      pos += take;
      this.recordLeft -= take;
      if (this.recordLeft === 0) this.endRecord(sink);
    }
    if (this.isBroken) return TlsStatus.INVALID;
    return this.recordType < 0 && this.headerFilled === 0 && this.sslv2Left === 0 ? TlsStatus.OK : TlsStatus.NEED_MORE;
  }

  /** Marks the direction broken after a gap: record boundaries are lost. */
  markGap(): void {
    this.isBroken = true;
  }

  /**
   * Detects an SSLv2-framed ClientHello at the start of the stream: the
   * high bit of the first byte is set and the third byte is message type 1.
   * Its bytes are skipped; a TLS record must follow.
   */
  private beginSslv2(bytes: Uint8Array, pos: number, end: number, sink: TlsRecordSink): boolean {
    if ((bytes[pos] & 0x80) === 0 || end - pos < 3 || bytes[pos + 2] !== 1) return false;
    this.sslv2Left = 2 + (((bytes[pos] & 0x7f) << 8) | bytes[pos + 1]);
    // Header (2), msg_type (1), then the client's version (2).
    // NOTE: when the first segment ends before the version, it is not reported.
    if (end - pos >= 5) sink.onSslv2ClientHello((bytes[pos + 3] << 8) | bytes[pos + 4]);
    return true;
  }

  private beginRecord(sink: TlsRecordSink): void {
    const h = this.header;
    const type = h[0];
    const version = (h[1] << 8) | h[2];
    const length = (h[3] << 8) | h[4];
    if (type < TlsContentType.CHANGE_CIPHER_SPEC || type > TlsContentType.HEARTBEAT) {
      sink.onEvent(TlsEvent.INVALID_RECORD_TYPE);
      this.isBroken = true;
      return;
    }
    // RFC 8446 section 5.1: legacy_record_version is 0x0301 to 0x0303 in
    // practice; 0x0300 is SSLv3. Other major versions are not TLS.
    if (h[1] !== 3 || h[2] > 4) {
      sink.onEvent(TlsEvent.INVALID_RECORD_VERSION);
      this.isBroken = true;
      return;
    }
    if (length > MAX_TLS_RECORD_BYTES) {
      sink.onEvent(TlsEvent.INVALID_SSL_RECORD);
      this.isBroken = true;
      return;
    }
    this.records++;
    this.recordType = type;
    this.recordVersion = version;
    this.recordLeft = length;
    this.recordLength = length;
    this.alertFilled = 0;
    if (type === TlsContentType.APPLICATION_DATA) sink.onApplicationData(length);
    if (length === 0) this.endRecord(sink);
  }

  private consumePayload(bytes: Uint8Array, pos: number, take: number, sink: TlsRecordSink): void {
    if (this.recordType === TlsContentType.HANDSHAKE && !this.isEncrypted) {
      this.appendHandshake(bytes, pos, take, sink);
    } else if (this.recordType === TlsContentType.ALERT || this.recordType === TlsContentType.HEARTBEAT) {
      for (let i = 0; i < take && this.alertFilled < 3; i++) this.alert[this.alertFilled++] = bytes[pos + i];
    }
  }

  private endRecord(sink: TlsRecordSink): void {
    const type = this.recordType;
    this.recordType = -1;
    if (type === TlsContentType.CHANGE_CIPHER_SPEC) {
      this.isEncrypted = true;
      sink.onChangeCipherSpec();
    } else if (type === TlsContentType.ALERT && !this.isEncrypted) {
      // RFC 5246 section 7.2: an alert is exactly level and description.
      if (this.recordLength === 2) sink.onAlert(this.alert[0], this.alert[1]);
      else sink.onEvent(TlsEvent.INVALID_ALERT_MESSAGE);
    } else if (type === TlsContentType.HEARTBEAT) {
      const hasLength = !this.isEncrypted && this.alertFilled === 3;
      sink.onHeartbeat(this.recordLength, hasLength ? (this.alert[1] << 8) | this.alert[2] : -1);
    }
  }

  private appendHandshake(bytes: Uint8Array, pos: number, take: number, sink: TlsRecordSink): void {
    if (this.handshakeFilled + take > this.handshake.length) {
      let size = this.handshake.length;
      while (size < this.handshakeFilled + take) size *= 2;
      const grown = new Uint8Array(Math.min(size, MAX_TLS_HANDSHAKE_BYTES + TLS_HANDSHAKE_HEADER_BYTES + MAX_TLS_RECORD_BYTES));
      grown.set(this.handshake.subarray(0, this.handshakeFilled));
      this.handshake = grown;
    }
    this.handshake.set(bytes.subarray(pos, pos + take), this.handshakeFilled);
    this.handshakeFilled += take;

    let at = 0;
    const buf = this.handshake;
    while (this.handshakeFilled - at >= TLS_HANDSHAKE_HEADER_BYTES) {
      const bodyBytes = (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3];
      if (bodyBytes > MAX_TLS_HANDSHAKE_BYTES) {
        sink.onEvent(TlsEvent.HANDSHAKE_INVALID_LENGTH);
        this.isBroken = true;
        return;
      }
      if (this.handshakeFilled - at < TLS_HANDSHAKE_HEADER_BYTES + bodyBytes) break;
      sink.onHandshakeMessage(buf[at], buf, at + TLS_HANDSHAKE_HEADER_BYTES, bodyBytes, this.recordVersion);
      at += TLS_HANDSHAKE_HEADER_BYTES + bodyBytes;
    }
    if (at > 0) {
      buf.copyWithin(0, at, this.handshakeFilled);
      this.handshakeFilled -= at;
    }
  }
}
