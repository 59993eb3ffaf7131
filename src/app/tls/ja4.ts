/**
 * JA4 client fingerprint of a TLS ClientHello (FoxIO's JA4 specification,
 * github.com/FoxIO-LLC/ja4), for example `t13d1516h2_8daaf6152771_e5627efa2ab1`:
 *
 *   a: protocol `t` (TLS over TCP) and the TLS version (`13`, `12`, ...).
 *      Then `d` when an SNI is present, else `i`. Then the cipher count and
 *      the extension count, two digits each (at most 99). Last, the first
 *      and last character of the first ALPN value (`00` without ALPN).
 *   b: first 12 hex digits of SHA-256 over the sorted cipher suites, as
 *      4-digit hex joined by commas
 *   c: the same over the sorted extensions without SNI and ALPN, then `_`
 *      and the signature algorithms in wire order
 *
 * GREASE values are left out everywhere. An empty list hashes to twelve zeros.
 */
import { createHash } from 'node:crypto';
import { isGrease, TlsExtension, type TlsHello } from './handshake.js';

const EMPTY_HASH = '000000000000';

/** Returns JA4's two-character version code of a TLS or DTLS version number. */
export function ja4VersionCode(version: number): string {
  switch (version) {
    case 0x0304:
      return '13';
    case 0x0303:
      return '12';
    case 0x0302:
      return '11';
    case 0x0301:
      return '10';
    case 0x0300:
      return 's3';
    case 0x0002:
      return 's2';
    case 0xfeff:
      return 'd1';
    case 0xfefd:
      return 'd2';
    case 0xfefc:
      return 'd3';
    default:
      return '00';
  }
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function twoDigits(n: number): string {
  return String(Math.min(n, 99)).padStart(2, '0');
}

function isAlphanumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Returns the ALPN part: first and last character, or of its hex when either is not alphanumeric. */
function alpnCode(alpns: Uint8Array[]): string {
  const first = alpns[0];
  if (first === undefined || first.length === 0) return '00';
  const a = first[0];
  const z = first[first.length - 1];
  if (isAlphanumeric(a) && isAlphanumeric(z)) return String.fromCharCode(a, z);
  const hex = Buffer.from(first).toString('hex');
  return hex[0] + hex[hex.length - 1];
}

function truncatedSha256(text: string): string {
  if (text === '') return EMPTY_HASH;
  return createHash('sha256').update(text, 'latin1').digest('hex').slice(0, 12);
}

/** Builds the JA4 fingerprint of a ClientHello over TCP. */
export function buildJa4(hello: TlsHello): string {
  const ciphers = hello.ciphers.filter((v) => !isGrease(v));
  const extensions = hello.extensions.filter((v) => !isGrease(v));
  const offered = hello.supportedVersions.filter((v) => !isGrease(v));
  const version = offered.length > 0 ? Math.max(...offered) : hello.version;
  const sni = extensions.includes(TlsExtension.SERVER_NAME) ? 'd' : 'i';
  const a = `t${ja4VersionCode(version)}${sni}${twoDigits(ciphers.length)}${twoDigits(extensions.length)}${alpnCode(hello.alpns)}`;

  const b = ciphers.length === 0 ? EMPTY_HASH : truncatedSha256(ciphers.map(hex4).sort().join(','));

  const hashed = extensions.filter((v) => v !== TlsExtension.SERVER_NAME && v !== TlsExtension.ALPN);
  const signatures = hello.signatureAlgorithms.filter((v) => !isGrease(v));
  let cText = hashed.map(hex4).sort().join(',');
  if (signatures.length > 0) cText += '_' + signatures.map(hex4).join(',');
  const c = hashed.length === 0 ? EMPTY_HASH : truncatedSha256(cText);
  return `${a}_${b}_${c}`;
}
