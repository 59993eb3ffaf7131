/**
 * The EVE `tls` object, as Suricata 8 writes it. The basic form has
 * `subject`, `issuerdn` and `session_resumed`. The extended form (Suricata's
 * `extended: yes`, the default in suricata.yaml) adds `serial`,
 * `fingerprint`, `sni`, `version`, `notbefore` and `notafter`, then the
 * lists `subjectaltname` (DNS names of the server certificate),
 * `client_alpns` and `server_alpns` when they are not empty, and a `client`
 * object for a client certificate. `ja3`/`ja3s` and `ja4` appear when those
 * fingerprints are enabled (app-layer.protocols.tls.ja3-fingerprints and
 * ja4-fingerprints). A `custom` field list replaces both sets and may add
 * `certificate` and `chain` (base64 DER):
 *
 *   {"subject":"CN=a.example","issuerdn":"CN=CA","serial":"01:02",
 *    "fingerprint":"aa:...","sni":"a.example","version":"TLS 1.2",
 *    "notbefore":"2024-01-01T00:00:00","notafter":"2025-01-01T00:00:00",
 *    "ja3":{"hash":"...","string":"..."},"ja3s":{...},"ja4":"t13d...",
 *    "subjectaltname":["a.example"],"client_alpns":["h2","http/1.1"],
 *    "server_alpns":["h2"]}
 */
import { jsonBytes, jsonQuote } from '../dns/json-text.js';
import type { TlsTransaction } from './state.js';
import type { X509Certificate } from './x509.js';

/** Parts of the tls object to write. */
export interface TlsEveOptions {
  isExtended: boolean;
  hasJa3: boolean;
  hasJa4: boolean;
  /**
   * Field names of Suricata's `custom` list (`subject`, `issuer`, `sni`,
   * `not_before`, `certificate`, `chain`, `client`, ...). When set, they
   * replace the basic or extended set.
   * NOTE: `client_handshake` and `server_handshake` are accepted and not written.
   */
  customFields?: ReadonlySet<string> | null;
}

/** The options of Suricata 8's default suricata.yaml: extended, no JA3 or JA4. */
export const DEFAULT_TLS_EVE_OPTIONS: TlsEveOptions = { isExtended: true, hasJa3: false, hasJa4: false };

/** Custom field names of the basic form. */
const BASIC_FIELDS: ReadonlySet<string> = new Set(['subject', 'issuer', 'session_resumed']);

/** Custom field names of the extended form. */
const EXTENDED_FIELDS: ReadonlySet<string> = new Set([
  ...BASIC_FIELDS, 'serial', 'fingerprint', 'sni', 'version', 'not_before', 'not_after', 'ja3', 'ja3s', 'ja4',
  'subjectaltname', 'client', 'client_alpns', 'server_alpns',
]);

/** Returns Suricata's name of a TLS or SSL version number. */
export function tlsVersionName(version: number): string {
  switch (version) {
    case 0x0002:
      return 'SSLv2';
    case 0x0300:
      return 'SSLv3';
    case 0x0301:
      return 'TLSv1';
    case 0x0302:
      return 'TLS 1.1';
    case 0x0303:
      return 'TLS 1.2';
    case 0x0304:
      return 'TLS 1.3';
    default:
      // Drafts of TLS 1.3 were numbered 0x7f00 plus the draft number.
      if (version > 0x7f00 && version <= 0x7fff) return `TLS 1.3 draft-${version & 0xff}`;
      return 'UNDETERMINED';
  }
}

/** Builds the `tls` object of a transaction. */
export function buildTlsEve(tx: TlsTransaction, options: TlsEveOptions = DEFAULT_TLS_EVE_OPTIONS): string {
  const fields = options.customFields ?? (options.isExtended ? EXTENDED_FIELDS : BASIC_FIELDS);
  const parts: string[] = [];
  const cert = tx.serverCertificate;
  if (cert !== null) {
    if (fields.has('subject')) parts.push(`"subject":${jsonQuote(cert.subject)}`);
    if (fields.has('issuer')) parts.push(`"issuerdn":${jsonQuote(cert.issuer)}`);
  }
  if (tx.isSessionResumed && fields.has('session_resumed')) parts.push('"session_resumed":true');
  if (cert !== null) {
    if (fields.has('serial')) parts.push(`"serial":${jsonQuote(cert.serial)}`);
    if (fields.has('fingerprint')) parts.push(`"fingerprint":${jsonQuote(cert.fingerprint)}`);
  }
  const sni = tx.clientHello?.sni ?? null;
  if (sni !== null && fields.has('sni')) parts.push(`"sni":${jsonBytes(sni)}`);
  if (fields.has('version')) {
    const version = tx.version !== 0 ? tx.version : (tx.clientHello?.version ?? 0);
    parts.push(`"version":${jsonQuote(tlsVersionName(version))}`);
  }
  if (cert !== null) {
    if (fields.has('not_before')) parts.push(`"notbefore":${jsonQuote(cert.notBefore)}`);
    if (fields.has('not_after')) parts.push(`"notafter":${jsonQuote(cert.notAfter)}`);
  }
  if (tx.serverCertificates.length > 0) {
    if (fields.has('certificate')) parts.push(`"certificate":"${base64(tx.serverCertificates[0])}"`);
    if (fields.has('chain')) parts.push(`"chain":[${tx.serverCertificates.map((der) => `"${base64(der)}"`).join(',')}]`);
  }

  if (options.hasJa3) {
    if (tx.ja3Hash !== null && tx.ja3String !== null && fields.has('ja3')) {
      parts.push(`"ja3":{"hash":${jsonQuote(tx.ja3Hash)},"string":${jsonQuote(tx.ja3String)}}`);
    }
    if (tx.ja3sHash !== null && tx.ja3sString !== null && fields.has('ja3s')) {
      parts.push(`"ja3s":{"hash":${jsonQuote(tx.ja3sHash)},"string":${jsonQuote(tx.ja3sString)}}`);
    }
  }
  if (options.hasJa4 && tx.ja4 !== null && fields.has('ja4')) parts.push(`"ja4":${jsonQuote(tx.ja4)}`);

  if (cert !== null && cert.subjectAltNames.length > 0 && fields.has('subjectaltname')) {
    parts.push(`"subjectaltname":[${cert.subjectAltNames.map((name) => jsonQuote(name)).join(',')}]`);
  }
  const client = tx.clientCertificate;
  if (client !== null && fields.has('client')) parts.push(`"client":${clientObject(tx, client, fields)}`);
  const clientAlpns = tx.clientHello?.alpns ?? [];
  if (clientAlpns.length > 0 && fields.has('client_alpns')) parts.push(`"client_alpns":[${clientAlpns.map((a) => jsonBytes(a)).join(',')}]`);
  const serverAlpns = tx.serverHello?.alpns ?? [];
  if (serverAlpns.length > 0 && fields.has('server_alpns')) parts.push(`"server_alpns":[${serverAlpns.map((a) => jsonBytes(a)).join(',')}]`);
  return `{${parts.join(',')}}`;
}

/** Builds the `client` object: the client certificate's fields, plus its DER and chain when the custom list names them. */
function clientObject(tx: TlsTransaction, cert: X509Certificate, fields: ReadonlySet<string>): string {
  const parts = [
    `"subject":${jsonQuote(cert.subject)}`,
    `"issuerdn":${jsonQuote(cert.issuer)}`,
    `"serial":${jsonQuote(cert.serial)}`,
    `"fingerprint":${jsonQuote(cert.fingerprint)}`,
    `"notbefore":${jsonQuote(cert.notBefore)}`,
    `"notafter":${jsonQuote(cert.notAfter)}`,
  ];
  if (fields.has('client_certificate')) parts.push(`"certificate":"${base64(cert.der)}"`);
  if (fields.has('client_chain')) parts.push(`"chain":[${tx.clientCertificates.map((der) => `"${base64(der)}"`).join(',')}]`);
  return `{${parts.join(',')}}`;
}

function base64(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
}
