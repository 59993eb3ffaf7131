/**
 * JA3 and JA3S fingerprints (github.com/salesforce/ja3). JA3 joins five
 * ClientHello fields with commas, each a list of decimal values joined by
 * dashes:
 *
 *   SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
 *
 * JA3S uses SSLVersion,Cipher,Extensions of the ServerHello. GREASE values
 * (RFC 8701) are left out of every list. The fingerprint is the MD5 of the
 * string, in lower-case hex.
 */
import { createHash } from 'node:crypto';
import { isGrease, type TlsHello } from './handshake.js';

function joinValues(values: number[]): string {
  const kept: number[] = [];
  for (const v of values) if (!isGrease(v)) kept.push(v);
  return kept.join('-');
}

/** Builds the JA3 string of a ClientHello. */
export function buildJa3String(hello: TlsHello): string {
  return [
    String(hello.version),
    joinValues(hello.ciphers),
    joinValues(hello.extensions),
    joinValues(hello.supportedGroups),
    hello.ecPointFormats.join('-'),
  ].join(',');
}

/** Builds the JA3S string of a ServerHello. */
export function buildJa3sString(hello: TlsHello): string {
  return [String(hello.version), joinValues(hello.ciphers), joinValues(hello.extensions)].join(',');
}

/** Returns the MD5 of a JA3 or JA3S string in lower-case hex. */
export function hashJa3(text: string): string {
  return createHash('md5').update(text, 'latin1').digest('hex');
}
