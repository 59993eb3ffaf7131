/**
 * Decoders of the TLS handshake messages that logging and rules use:
 * ClientHello and ServerHello (RFC 8446 section 4.1.2 and 4.1.3, RFC 5246
 * section 7.4.1) with their extensions, and the Certificate message of
 * TLS 1.2 and earlier (RFC 5246 section 7.4.2). Each decoder reads one
 * whole message body and copies what it keeps.
 */
import { TlsEvent } from './events.js';

/** Extension types that the decoders read (IANA TLS ExtensionType values). */
export const TlsExtension = {
  SERVER_NAME: 0,
  SUPPORTED_GROUPS: 10,
  EC_POINT_FORMATS: 11,
  SIGNATURE_ALGORITHMS: 13,
  ALPN: 16,
  SESSION_TICKET: 35,
  SUPPORTED_VERSIONS: 43,
  KEY_SHARE: 51,
} as const;

/** Tells whether a 16-bit value is a GREASE value (RFC 8701): 0x?a?a with equal bytes. */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

/** The fields of a ClientHello or ServerHello. Lists keep wire order and GREASE values. */
export interface TlsHello {
  /** legacy_version of the hello. */
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  /** ClientHello: offered cipher suites; ServerHello: the chosen one. */
  ciphers: number[];
  /** Extension types in order. */
  extensions: number[];
  /** First host_name of server_name, or null. */
  sni: Uint8Array | null;
  supportedGroups: number[];
  ecPointFormats: number[];
  signatureAlgorithms: number[];
  alpns: Uint8Array[];
  /** supported_versions: the offered list (ClientHello) or the selected one (ServerHello). */
  supportedVersions: number[];
  /** Groups of key_share entries (ClientHello) or the chosen group (ServerHello). */
  keyShareGroups: number[];
  /** Events found while decoding (tls.* ids). */
  events: number[];
}

/** Result of a hello decoder: the hello, or the event when the body is malformed. */
export type TlsHelloResult = { ok: true; hello: TlsHello } | { ok: false; event: number };

function u16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

function u24(b: Uint8Array, at: number): number {
  return (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
}

function newHello(): TlsHello {
  return {
    version: 0,
    random: new Uint8Array(0),
    sessionId: new Uint8Array(0),
    ciphers: [],
    extensions: [],
    sni: null,
    supportedGroups: [],
    ecPointFormats: [],
    signatureAlgorithms: [],
    alpns: [],
    supportedVersions: [],
    keyShareGroups: [],
    events: [],
  };
}

const INVALID: TlsHelloResult = { ok: false, event: TlsEvent.INVALID_HANDSHAKE_MESSAGE };

/**
 * Decodes a ClientHello body:
 *   legacy_version(2) random(32) session_id<0..32> cipher_suites<2..2^16-2>
 *   legacy_compression_methods<1..2^8-1> extensions<0..2^16-1> (optional)
 */
export function parseClientHello(b: Uint8Array, start: number, length: number): TlsHelloResult {
  return parseHello(b, start, start + length, true);
}

/**
 * Decodes a ServerHello body:
 *   legacy_version(2) random(32) session_id<0..32> cipher_suite(2)
 *   legacy_compression_method(1) extensions<0..2^16-1> (optional)
 */
export function parseServerHello(b: Uint8Array, start: number, length: number): TlsHelloResult {
  return parseHello(b, start, start + length, false);
}

function parseHello(b: Uint8Array, start: number, end: number, isClient: boolean): TlsHelloResult {
  const hello = newHello();
  let pos = start;
  if (end - pos < 35) return INVALID;
  hello.version = u16(b, pos);
  hello.random = b.slice(pos + 2, pos + 34);
  pos += 34;
  const sidLength = b[pos];
  if (sidLength > 32 || pos + 1 + sidLength > end) return INVALID;
  hello.sessionId = b.slice(pos + 1, pos + 1 + sidLength);
  pos += 1 + sidLength;

  if (isClient) {
    if (pos + 2 > end) return INVALID;
    const cipherBytes = u16(b, pos);
    pos += 2;
    if (cipherBytes % 2 !== 0 || pos + cipherBytes > end) return INVALID;
    for (let i = 0; i < cipherBytes; i += 2) hello.ciphers.push(u16(b, pos + i));
    pos += cipherBytes;
    if (pos + 1 > end) return INVALID;
    const compressionBytes = b[pos];
    pos += 1 + compressionBytes;
    if (pos > end) return INVALID;
  } else {
    if (pos + 3 > end) return INVALID;
    hello.ciphers.push(u16(b, pos));
    pos += 3;
  }

  if (pos === end) return { ok: true, hello };
  if (pos + 2 > end) return INVALID;
  const extEnd = pos + 2 + u16(b, pos);
  if (extEnd > end) return INVALID;
  pos += 2;
  while (pos + 4 <= extEnd) {
    const type = u16(b, pos);
    const len = u16(b, pos + 2);
    pos += 4;
    if (pos + len > extEnd) return INVALID;
    hello.extensions.push(type);
    if (!readExtension(b, pos, len, type, isClient, hello)) return INVALID;
    pos += len;
  }
  if (pos !== extEnd) return INVALID;
  return { ok: true, hello };
}

/** Reads one extension's data into `hello`; returns false when its framing is broken. */
function readExtension(b: Uint8Array, at: number, len: number, type: number, isClient: boolean, hello: TlsHello): boolean {
  const end = at + len;
  switch (type) {
    case TlsExtension.SERVER_NAME:
      if (isClient) readServerName(b, at, end, hello);
      return true;
    case TlsExtension.SUPPORTED_GROUPS:
      return readU16List(b, at, end, hello.supportedGroups);
    case TlsExtension.EC_POINT_FORMATS: {
      if (len < 1 || 1 + b[at] > len) return false;
      for (let i = 0; i < b[at]; i++) hello.ecPointFormats.push(b[at + 1 + i]);
      return true;
    }
    case TlsExtension.SIGNATURE_ALGORITHMS:
      return readU16List(b, at, end, hello.signatureAlgorithms);
    case TlsExtension.ALPN: {
      if (len < 2 || 2 + u16(b, at) > len) return false;
      const listEnd = at + 2 + u16(b, at);
      for (let pos = at + 2; pos < listEnd; ) {
        const n = b[pos];
        if (pos + 1 + n > listEnd) return false;
        hello.alpns.push(b.slice(pos + 1, pos + 1 + n));
        pos += 1 + n;
      }
      return true;
    }
    case TlsExtension.SUPPORTED_VERSIONS: {
      if (!isClient) {
        if (len !== 2) return false;
        hello.supportedVersions.push(u16(b, at));
        return true;
      }
      if (len < 1 || 1 + b[at] > len || b[at] % 2 !== 0) return false;
      for (let i = 0; i < b[at]; i += 2) hello.supportedVersions.push(u16(b, at + 1 + i));
      return true;
    }
    case TlsExtension.KEY_SHARE: {
      if (!isClient) {
        if (len >= 2) hello.keyShareGroups.push(u16(b, at));
        return true;
      }
      if (len < 2 || 2 + u16(b, at) > len) return false;
      const listEnd = at + 2 + u16(b, at);
      for (let pos = at + 2; pos + 4 <= listEnd; ) {
        hello.keyShareGroups.push(u16(b, pos));
        pos += 4 + u16(b, pos + 2);
      }
      return true;
    }
    default:
      return true;
  }
}

/** Reads a u16 list with a 2-byte length prefix. */
function readU16List(b: Uint8Array, at: number, end: number, out: number[]): boolean {
  if (end - at < 2) return false;
  const n = u16(b, at);
  if (n % 2 !== 0 || at + 2 + n > end) return false;
  for (let i = 0; i < n; i += 2) out.push(u16(b, at + 2 + i));
  return true;
}

/**
 * Reads server_name (RFC 6066 section 3): a list of {name_type, name}. A
 * second SNI extension, a name type other than host_name (0) or a broken
 * length raise their events; the first host name is kept.
 */
function readServerName(b: Uint8Array, at: number, end: number, hello: TlsHello): void {
  if (hello.extensions.filter((t) => t === TlsExtension.SERVER_NAME).length > 1) {
    hello.events.push(TlsEvent.MULTIPLE_SNI_EXTENSIONS);
    return;
  }
  if (end - at < 2 || at + 2 + u16(b, at) > end) {
    hello.events.push(TlsEvent.INVALID_SNI_LENGTH);
    return;
  }
  const listEnd = at + 2 + u16(b, at);
  let pos = at + 2;
  while (pos + 3 <= listEnd) {
    const nameType = b[pos];
    const n = u16(b, pos + 1);
    if (pos + 3 + n > listEnd) {
      hello.events.push(TlsEvent.INVALID_SNI_LENGTH);
      return;
    }
    if (nameType !== 0) {
      hello.events.push(TlsEvent.INVALID_SNI_TYPE);
    } else if (hello.sni === null) {
      hello.sni = b.slice(pos + 3, pos + 3 + n);
    }
    pos += 3 + n;
  }
}

/** Result of parseCertificateList: the DER certificates in order, or an event. */
export type TlsCertificatesResult = { ok: true; certificates: Uint8Array[] } | { ok: false; event: number };

/**
 * Decodes a TLS 1.2 Certificate body: certificate_list<0..2^24-1> of
 * ASN.1Cert<1..2^24-1>. With `isTls13`, the RFC 8446 section 4.4.2 form:
 * request context, then entries each followed by extensions.
 */
export function parseCertificateList(b: Uint8Array, start: number, length: number, isTls13: boolean): TlsCertificatesResult {
  const end = start + length;
  let pos = start;
  if (isTls13) {
    if (pos + 1 > end) return { ok: false, event: TlsEvent.CERTIFICATE_INVALID_LENGTH };
    pos += 1 + b[pos];
  }
  if (pos + 3 > end) return { ok: false, event: TlsEvent.CERTIFICATE_INVALID_LENGTH };
  const listEnd = pos + 3 + u24(b, pos);
  if (listEnd > end) return { ok: false, event: TlsEvent.CERTIFICATE_INVALID_LENGTH };
  pos += 3;
  const certificates: Uint8Array[] = [];
  while (pos < listEnd) {
    if (pos + 3 > listEnd) return { ok: false, event: TlsEvent.CERTIFICATE_INVALID_LENGTH };
    const n = u24(b, pos);
    if (n === 0 || pos + 3 + n > listEnd) return { ok: false, event: TlsEvent.CERTIFICATE_INVALID_LENGTH };
    certificates.push(b.slice(pos + 3, pos + 3 + n));
    pos += 3 + n;
    if (isTls13) {
      if (pos + 2 > listEnd) return { ok: false, event: TlsEvent.CERTIFICATE_INVALID_LENGTH };
      pos += 2 + u16(b, pos);
    }
  }
  return { ok: true, certificates };
}
