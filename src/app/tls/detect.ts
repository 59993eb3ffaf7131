/**
 * TLS rule keywords: the sticky buffers of the handshake (SNI, certificate
 * fields, JA3, JA3S, JA4, random, ALPN) and `tls.version`. Client-side
 * buffers apply to the to-server direction and certificate buffers to the
 * to-client one, as in Suricata. Suricata: rules/tls-keywords.html and
 * rules/ja-keywords.html.
 */
import { Direction } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { DetectThreadContext, KeywordDef, PacketMatcher, SignatureBuilder } from '../../detect/signature.js';
import { registerKeyword } from '../../detect/keywords/keyword-table.js';
import { parseUintValue, type UintValue } from '../../detect/keywords/uint-value.js';
import { asciiBytes } from '../dns/json-text.js';
import type { TlsTransaction } from './state.js';
import { TLS_LEGACY_KEYWORDS } from './legacy-keywords.js';

/** Canonical TLS buffer names. */
export const TlsBuffer = {
  SNI: 'tls.sni',
  CERTS: 'tls.certs',
  CERT_SUBJECT: 'tls.cert_subject',
  CERT_ISSUER: 'tls.cert_issuer',
  CERT_SERIAL: 'tls.cert_serial',
  CERT_FINGERPRINT: 'tls.cert_fingerprint',
  SUBJECT_ALT_NAME: 'tls.subjectaltname',
  ALPN: 'tls.alpn',
  RANDOM: 'tls.random',
  RANDOM_TIME: 'tls.random_time',
  RANDOM_BYTES: 'tls.random_bytes',
  JA3_HASH: 'ja3.hash',
  JA3_STRING: 'ja3.string',
  JA3S_HASH: 'ja3s.hash',
  JA3S_STRING: 'ja3s.string',
  JA4_HASH: 'ja4.hash',
} as const;

const EMPTY: Uint8Array[] = [];

/**
 * Buffers that only the client's messages fill, so rules on them inspect
 * the to-server direction. The certificate buffers, `tls.alpn` and the
 * random buffers exist in both directions (the client certificate and
 * hello to the server, the server's to the client).
 */
export const TLS_TO_SERVER_BUFFERS: ReadonlySet<string> = new Set([TlsBuffer.SNI, TlsBuffer.JA3_HASH, TlsBuffer.JA3_STRING, TlsBuffer.JA4_HASH]);

/** Buffers that only the server's messages fill, so rules on them inspect the to-client direction. */
export const TLS_TO_CLIENT_BUFFERS: ReadonlySet<string> = new Set([TlsBuffer.SUBJECT_ALT_NAME, TlsBuffer.JA3S_HASH, TlsBuffer.JA3S_STRING]);

function one(text: string | null): Uint8Array[] {
  return text === null ? EMPTY : [asciiBytes(text)];
}

/**
 * Returns every buffer of `bufferName` for the transaction in `direction`,
 * or an empty list when the buffer does not apply or is not seen yet.
 * Certificate strings are those of the leaf certificate that the
 * direction carried (the client's to the server), as EVE prints them.
 */
export function getTlsBuffers(tx: TlsTransaction, bufferName: string, direction: number): Uint8Array[] {
  const cache = tx.bufferCache[direction === Direction.TO_SERVER ? 0 : 1];
  let list = cache.get(bufferName);
  if (list === undefined) {
    list = buildTlsBuffers(tx, bufferName, direction);
    cache.set(bufferName, list);
  }
  return list;
}

function buildTlsBuffers(tx: TlsTransaction, bufferName: string, direction: number): Uint8Array[] {
  const isToServer = direction === Direction.TO_SERVER;
  const hello = isToServer ? tx.clientHello : tx.serverHello;
  const cert = tx.certificateOf(direction);
  switch (bufferName) {
    case TlsBuffer.SNI:
      return isToServer && tx.clientHello?.sni ? [tx.clientHello.sni] : EMPTY;
    case TlsBuffer.CERTS:
      return isToServer ? tx.clientCertificates : tx.serverCertificates;
    case TlsBuffer.CERT_SUBJECT:
      return one(cert?.subject ?? null);
    case TlsBuffer.CERT_ISSUER:
      return one(cert?.issuer ?? null);
    case TlsBuffer.CERT_SERIAL:
      return one(cert?.serial ?? null);
    case TlsBuffer.CERT_FINGERPRINT:
      return one(cert?.fingerprint ?? null);
    case TlsBuffer.SUBJECT_ALT_NAME:
      return isToServer || cert === null ? EMPTY : cert.subjectAltNames.map(asciiBytes);
    case TlsBuffer.ALPN:
      return hello === null ? EMPTY : hello.alpns;
    case TlsBuffer.RANDOM:
      return hello === null ? EMPTY : [hello.random];
    case TlsBuffer.RANDOM_TIME:
      return hello === null ? EMPTY : [hello.random.subarray(0, 4)];
    case TlsBuffer.RANDOM_BYTES:
      return hello === null ? EMPTY : [hello.random.subarray(4)];
    case TlsBuffer.JA3_HASH:
      return isToServer ? one(tx.ja3Hash) : EMPTY;
    case TlsBuffer.JA3_STRING:
      return isToServer ? one(tx.ja3String) : EMPTY;
    case TlsBuffer.JA3S_HASH:
      return isToServer ? EMPTY : one(tx.ja3sHash);
    case TlsBuffer.JA3S_STRING:
      return isToServer ? EMPTY : one(tx.ja3sString);
    case TlsBuffer.JA4_HASH:
      return isToServer ? one(tx.ja4) : EMPTY;
    default:
      return EMPTY;
  }
}

/** Returns the first buffer of `bufferName`, or null. */
export function getTlsBuffer(tx: TlsTransaction, bufferName: string, direction: number): Uint8Array | null {
  const list = getTlsBuffers(tx, bufferName, direction);
  return list.length > 0 ? list[0] : null;
}

/** Version names that `tls.version` accepts, besides 0x hex numbers. */
const VERSION_VALUES: Record<string, number> = {
  '2.0': 0x0002,
  '3.0': 0x0300,
  '1.0': 0x0301,
  '1.1': 0x0302,
  '1.2': 0x0303,
  '1.3': 0x0304,
};

/** Parses a `tls.version` value, or returns null. */
export function parseTlsVersion(value: string): number | null {
  const t = value.trim().replace(/^"|"$/g, '');
  if (t in VERSION_VALUES) return VERSION_VALUES[t];
  if (/^0x[0-9a-fA-F]{1,4}$/.test(t)) return parseInt(t.slice(2), 16);
  return null;
}

/**
 * `tls.version`: the version of the hello in that direction (the client's
 * legacy_version to the server; the negotiated version to the client).
 * The engine calls `matchTx`; `match`, the packet form, never matches.
 */
export class TlsVersionMatch implements PacketMatcher {
  readonly keyword = 'tls.version';
  readonly isTxMatcher = true;
  constructor(readonly version: number) {}

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Tells whether the transaction's version in `direction` is the rule's. */
  matchTx(tx: TlsTransaction, direction: number): boolean {
    if (direction === Direction.TO_SERVER) return tx.clientHello !== null && tx.clientHello.version === this.version;
    return tx.version !== 0 && tx.version === this.version;
  }
}

/**
 * `tls.cert_chain_len`: the number of certificates the server sent, with
 * the integer comparison syntax. The engine calls `matchTx`; `match`, the
 * packet form, never matches.
 */
export class TlsCertChainLenMatch implements PacketMatcher {
  readonly keyword = 'tls.cert_chain_len';
  readonly isTxMatcher = true;
  constructor(readonly value: UintValue) {}

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Tells whether the server's chain length satisfies the comparison; only the to-client direction has one. */
  matchTx(tx: TlsTransaction, direction: number): boolean {
    if (direction !== Direction.TO_CLIENT || tx.serverHello === null) return false;
    return this.value.matches(tx.serverCertificates.length);
  }
}

/** Largest chain length tls.cert_chain_len compares against (a 32-bit value in Suricata). */
const CERT_CHAIN_LEN_MAX = 4294967295;

const certChainLenKeyword: KeywordDef = {
  name: 'tls.cert_chain_len',
  description: 'match the number of certificates in the server chain',
  docsAnchor: 'tls-keywords.html#tls-cert-chain-len',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const parsed = parseUintValue(value, CERT_CHAIN_LEN_MAX);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, parsed);
      return;
    }
    b.addPacketMatch(new TlsCertChainLenMatch(parsed));
  },
};

function stickyKeyword(name: string, aliases: readonly string[], description: string, docsAnchor: string): KeywordDef {
  return {
    name,
    ...(aliases.length > 0 ? { aliases } : {}),
    description,
    docsAnchor,
    value: 'none',
    setup(b: SignatureBuilder): void {
      b.selectBuffer(name);
    },
  };
}

const tlsVersionKeyword: KeywordDef = {
  name: 'tls.version',
  description: 'match the TLS version of the handshake',
  docsAnchor: 'tls-keywords.html#tls-version',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const version = parseTlsVersion(value);
    if (version === null) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a TLS version (expected 1.0, 1.1, 1.2, 1.3, 3.0, 2.0 or a 0x hex number)`);
      return;
    }
    b.addPacketMatch(new TlsVersionMatch(version));
  },
};

/** The TLS and JA keywords, registered by registerTlsKeywords. */
export const TLS_KEYWORDS: readonly KeywordDef[] = [
  stickyKeyword(TlsBuffer.SNI, ['tls_sni'], 'inspect the SNI host name of the ClientHello', 'tls-keywords.html#tls-sni'),
  stickyKeyword(TlsBuffer.CERTS, [], 'inspect each DER certificate of the certificate chain sent in the inspected direction', 'tls-keywords.html#tls-certs'),
  stickyKeyword(TlsBuffer.CERT_SUBJECT, ['tls_cert_subject'], 'inspect the subject of the leaf certificate sent in the inspected direction', 'tls-keywords.html#tls-cert-subject'),
  stickyKeyword(TlsBuffer.CERT_ISSUER, ['tls_cert_issuer'], 'inspect the issuer of the leaf certificate sent in the inspected direction', 'tls-keywords.html#tls-cert-issuer'),
  stickyKeyword(TlsBuffer.CERT_SERIAL, ['tls_cert_serial'], 'inspect the serial of the leaf certificate sent in the inspected direction', 'tls-keywords.html#tls-cert-serial'),
  stickyKeyword(TlsBuffer.CERT_FINGERPRINT, ['tls_cert_fingerprint'], 'inspect the SHA-1 fingerprint of the leaf certificate sent in the inspected direction', 'tls-keywords.html#tls-cert-fingerprint'),
  stickyKeyword(TlsBuffer.SUBJECT_ALT_NAME, [], 'inspect each DNS subject alternative name of the server certificate', 'tls-keywords.html#tls-subjectaltname'),
  stickyKeyword(TlsBuffer.ALPN, [], 'inspect each ALPN protocol name of the hello', 'tls-keywords.html#tls-alpn'),
  stickyKeyword(TlsBuffer.RANDOM, [], 'inspect the 32-byte random of the hello', 'tls-keywords.html#tls-random'),
  stickyKeyword(TlsBuffer.RANDOM_TIME, [], 'inspect the first 4 bytes of the hello random', 'tls-keywords.html#tls-random-time'),
  stickyKeyword(TlsBuffer.RANDOM_BYTES, [], 'inspect the last 28 bytes of the hello random', 'tls-keywords.html#tls-random-bytes'),
  stickyKeyword(TlsBuffer.JA3_HASH, ['ja3_hash'], 'inspect the JA3 MD5 of the ClientHello', 'ja-keywords.html#ja3-hash'),
  stickyKeyword(TlsBuffer.JA3_STRING, ['ja3_string'], 'inspect the JA3 string of the ClientHello', 'ja-keywords.html#ja3-string'),
  stickyKeyword(TlsBuffer.JA3S_HASH, [], 'inspect the JA3S MD5 of the ServerHello', 'ja-keywords.html#ja3s-hash'),
  stickyKeyword(TlsBuffer.JA3S_STRING, [], 'inspect the JA3S string of the ServerHello', 'ja-keywords.html#ja3s-string'),
  stickyKeyword(TlsBuffer.JA4_HASH, [], 'inspect the JA4 fingerprint of the ClientHello', 'ja-keywords.html#ja4-hash'),
  tlsVersionKeyword,
  certChainLenKeyword,
  ...TLS_LEGACY_KEYWORDS,
];

/** Registers the TLS keywords in the keyword table. */
export function registerTlsKeywords(): void {
  for (const def of TLS_KEYWORDS) registerKeyword(def);
}
