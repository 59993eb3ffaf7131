/**
 * The EVE `tls` object, as Suricata 8 writes it. The basic form has
 * `subject`, `issuerdn` and `session_resumed`; the extended form (Suricata's
 * `extended: yes`, the default in suricata.yaml) adds `serial`,
 * `fingerprint`, `sni`, `version`, `notbefore` and `notafter`, then the
 * lists `subjectaltname` (DNS names of the server certificate),
 * `client_alpns` and `server_alpns` when they are not empty. `ja3`/`ja3s`
 * and `ja4` appear when those fingerprints are enabled
 * (app-layer.protocols.tls.ja3-fingerprints and ja4-fingerprints):
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

/** Parts of the tls object to write. */
export interface TlsEveOptions {
  isExtended: boolean;
  hasJa3: boolean;
  hasJa4: boolean;
}

/** The options of Suricata 8's default suricata.yaml: extended, no JA3 or JA4. */
export const DEFAULT_TLS_EVE_OPTIONS: TlsEveOptions = { isExtended: true, hasJa3: false, hasJa4: false };

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
  const parts: string[] = [];
  const cert = tx.serverCertificate;
  if (cert !== null) {
    parts.push(`"subject":${jsonQuote(cert.subject)}`, `"issuerdn":${jsonQuote(cert.issuer)}`);
  }
  if (tx.isSessionResumed) parts.push('"session_resumed":true');

  if (options.isExtended) {
    if (cert !== null) parts.push(`"serial":${jsonQuote(cert.serial)}`, `"fingerprint":${jsonQuote(cert.fingerprint)}`);
    const sni = tx.clientHello?.sni ?? null;
    if (sni !== null) parts.push(`"sni":${jsonBytes(sni)}`);
    const version = tx.version !== 0 ? tx.version : (tx.clientHello?.version ?? 0);
    parts.push(`"version":${jsonQuote(tlsVersionName(version))}`);
    if (cert !== null) parts.push(`"notbefore":${jsonQuote(cert.notBefore)}`, `"notafter":${jsonQuote(cert.notAfter)}`);
  }

  if (options.hasJa3) {
    if (tx.ja3Hash !== null && tx.ja3String !== null) {
      parts.push(`"ja3":{"hash":${jsonQuote(tx.ja3Hash)},"string":${jsonQuote(tx.ja3String)}}`);
    }
    if (tx.ja3sHash !== null && tx.ja3sString !== null) {
      parts.push(`"ja3s":{"hash":${jsonQuote(tx.ja3sHash)},"string":${jsonQuote(tx.ja3sString)}}`);
    }
  }
  if (options.hasJa4 && tx.ja4 !== null) parts.push(`"ja4":${jsonQuote(tx.ja4)}`);

  if (options.isExtended) {
    if (cert !== null && cert.subjectAltNames.length > 0) {
      parts.push(`"subjectaltname":[${cert.subjectAltNames.map(jsonQuote).join(',')}]`);
    }
    const clientAlpns = tx.clientHello?.alpns ?? [];
    if (clientAlpns.length > 0) parts.push(`"client_alpns":[${clientAlpns.map(jsonBytes).join(',')}]`);
    const serverAlpns = tx.serverHello?.alpns ?? [];
    if (serverAlpns.length > 0) parts.push(`"server_alpns":[${serverAlpns.map(jsonBytes).join(',')}]`);
  }
  return `{${parts.join(',')}}`;
}
