/**
 * A small DER reader for X.509 certificates (RFC 5280 section 4.1): the
 * fields that TLS logging and rules use (subject, issuer, serial, validity,
 * subject alternative names) and the SHA-1 fingerprint. Malformed DER
 * returns an error code with the tls event to raise; it never throws.
 *
 *   Certificate  ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
 *   TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER,
 *       signature AlgorithmIdentifier, issuer Name, validity Validity,
 *       subject Name, subjectPublicKeyInfo, [1] [2] OPTIONAL, [3] extensions }
 */
import { createHash } from 'node:crypto';
import { TlsEvent } from './events.js';

/** Fields of one certificate, in the forms EVE prints. */
export interface X509Certificate {
  /** The DER bytes as sent (the `tls.certs` buffer). */
  der: Uint8Array;
  /** RDNs joined by ", ", attributes as `CN=value` (EVE `tls.subject`). */
  subject: string;
  issuer: string;
  /** Serial INTEGER content bytes, upper-case hex joined by `:` (EVE `tls.serial`). */
  serial: string;
  /** SHA-1 of the DER, lower-case hex joined by `:` (EVE `tls.fingerprint`). */
  fingerprint: string;
  /** `YYYY-MM-DDTHH:MM:SS` in UTC (EVE `tls.notbefore`, `tls.notafter`). */
  notBefore: string;
  notAfter: string;
  /** Seconds since the epoch, for tls.cert_expired and tls.cert_valid. */
  notBeforeS: number;
  notAfterS: number;
  /** dNSName entries of the subjectAltName extension. */
  subjectAltNames: string[];
}

/** Result of parseX509: the certificate, or the event for the first problem found. */
export type X509Result = { ok: true; cert: X509Certificate } | { ok: false; event: number };

interface Tlv {
  tag: number;
  /** Offset of the content. */
  start: number;
  /** Offset after the content. */
  end: number;
}

/** Reads one DER TLV at `at` that must end by `limit`, or returns null. */
function readTlv(b: Uint8Array, at: number, limit: number): Tlv | null {
  if (at + 2 > limit) return null;
  const tag = b[at];
  // High tag numbers (low five bits all set) do not occur in certificates.
  if ((tag & 0x1f) === 0x1f) return null;
  let len = b[at + 1];
  let pos = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // DER forbids the indefinite form (n = 0); four length bytes cover 4 GiB.
    if (n === 0 || n > 4 || pos + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[pos + i];
    pos += n;
  }
  if (pos + len > limit) return null;
  return { tag, start: pos, end: pos + len };
}

/** Short names of attribute types, as common X.509 printers write them. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'Email',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/** Decodes an OBJECT IDENTIFIER into dotted form (X.690 section 8.19). */
export function decodeOid(b: Uint8Array, start: number, end: number): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = start; i < end; i++) {
    value = value * 128 + (b[i] & 0x7f);
    if ((b[i] & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join('.');
}

const LATIN1 = new TextDecoder('latin1');
const UTF8 = new TextDecoder('utf-8');

/** Decodes a directory string by its tag: UTF8String, BMPString, or one byte per character. */
function decodeString(b: Uint8Array, t: Tlv): string {
  const bytes = b.subarray(t.start, t.end);
  if (t.tag === 0x0c) return UTF8.decode(bytes);
  if (t.tag === 0x1e) {
    let out = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
    return out;
  }
  return LATIN1.decode(bytes);
}

/** Prints a Name: RDNs in order joined by ", ", multi-valued RDNs by " + ". */
function readName(b: Uint8Array, name: Tlv): string | null {
  const rdns: string[] = [];
  let pos = name.start;
  while (pos < name.end) {
    const set = readTlv(b, pos, name.end);
    if (set === null || set.tag !== 0x31) return null;
    const attrs: string[] = [];
    let at = set.start;
    while (at < set.end) {
      const seq = readTlv(b, at, set.end);
      if (seq === null || seq.tag !== 0x30) return null;
      const oid = readTlv(b, seq.start, seq.end);
      if (oid === null || oid.tag !== 0x06) return null;
      const value = readTlv(b, oid.end, seq.end);
      if (value === null) return null;
      const type = decodeOid(b, oid.start, oid.end);
      attrs.push(`${ATTRIBUTE_NAMES[type] ?? type}=${decodeString(b, value)}`);
      at = seq.end;
    }
    rdns.push(attrs.join(' + '));
    pos = set.end;
  }
  return rdns.join(', ');
}

/** Reads UTCTime or GeneralizedTime (RFC 5280 section 4.1.2.5) into seconds and text. */
function readTime(b: Uint8Array, t: Tlv): { seconds: number; text: string } | null {
  const s = LATIN1.decode(b.subarray(t.start, t.end));
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === 0x17) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s);
    if (m === null) return null;
    const yy = Number(m[1]);
    // RFC 5280: UTCTime years 50 to 99 are 19YY, 00 to 49 are 20YY.
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (t.tag === 0x18) {
    m = /^\d{2}(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(s);
    if (m === null) return null;
    year = Number(s.slice(0, 4));
  } else {
    return null;
  }
  const [month, day, hour, minute] = [m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(ms)) return null;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const text = `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}`;
  return { seconds: Math.floor(ms / 1000), text };
}

/** Formats bytes as hex pairs joined by `:`. */
export function colonHex(bytes: Uint8Array, isUpperCase: boolean): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const h = bytes[i].toString(16).padStart(2, '0');
    parts.push(isUpperCase ? h.toUpperCase() : h);
  }
  return parts.join(':');
}

const OID_SUBJECT_ALT_NAME = '2.5.29.17';

/** Reads the dNSName entries of the subjectAltName extension inside `[3]`. */
function readSubjectAltNames(b: Uint8Array, explicit: Tlv): string[] | null {
  const list = readTlv(b, explicit.start, explicit.end);
  if (list === null || list.tag !== 0x30) return null;
  const names: string[] = [];
  let pos = list.start;
  while (pos < list.end) {
    const ext = readTlv(b, pos, list.end);
    if (ext === null || ext.tag !== 0x30) return null;
    const oid = readTlv(b, ext.start, ext.end);
    if (oid === null || oid.tag !== 0x06) return null;
    if (decodeOid(b, oid.start, oid.end) === OID_SUBJECT_ALT_NAME) {
      let next = readTlv(b, oid.end, ext.end);
      if (next !== null && next.tag === 0x01) next = readTlv(b, next.end, ext.end);
      if (next === null || next.tag !== 0x04) return null;
      const seq = readTlv(b, next.start, next.end);
      if (seq === null || seq.tag !== 0x30) return null;
      let at = seq.start;
      while (at < seq.end) {
        const gn = readTlv(b, at, seq.end);
        if (gn === null) return null;
        if (gn.tag === 0x82) names.push(LATIN1.decode(b.subarray(gn.start, gn.end)));
        at = gn.end;
      }
    }
    pos = ext.end;
  }
  return names;
}

/** Parses one DER certificate. */
export function parseX509(der: Uint8Array): X509Result {
  const b = der;
  const fail = (event: number): X509Result => ({ ok: false, event });
  const cert = readTlv(b, 0, b.length);
  if (cert === null || cert.tag !== 0x30) return fail(TlsEvent.CERTIFICATE_INVALID_DER);
  const tbs = readTlv(b, cert.start, cert.end);
  if (tbs === null || tbs.tag !== 0x30) return fail(TlsEvent.CERTIFICATE_INVALID_DER);

  let pos = tbs.start;
  let field = readTlv(b, pos, tbs.end);
  if (field !== null && field.tag === 0xa0) {
    const version = readTlv(b, field.start, field.end);
    if (version === null || version.tag !== 0x02 || version.end - version.start !== 1 || b[version.start] > 2) {
      return fail(TlsEvent.CERTIFICATE_INVALID_VERSION);
    }
    pos = field.end;
    field = readTlv(b, pos, tbs.end);
  }
  if (field === null || field.tag !== 0x02 || field.end === field.start) return fail(TlsEvent.CERTIFICATE_INVALID_SERIAL);
  const serial = colonHex(b.subarray(field.start, field.end), true);

  const algorithm = readTlv(b, field.end, tbs.end);
  if (algorithm === null || algorithm.tag !== 0x30) return fail(TlsEvent.CERTIFICATE_INVALID_ALGORITHMIDENTIFIER);
  const issuerTlv = readTlv(b, algorithm.end, tbs.end);
  const issuer = issuerTlv !== null && issuerTlv.tag === 0x30 ? readName(b, issuerTlv) : null;
  if (issuerTlv === null || issuer === null) return fail(TlsEvent.CERTIFICATE_INVALID_ISSUER);

  const validity = readTlv(b, issuerTlv.end, tbs.end);
  if (validity === null || validity.tag !== 0x30) return fail(TlsEvent.CERTIFICATE_INVALID_VALIDITY);
  const nbTlv = readTlv(b, validity.start, validity.end);
  const naTlv = nbTlv === null ? null : readTlv(b, nbTlv.end, validity.end);
  const notBefore = nbTlv === null ? null : readTime(b, nbTlv);
  const notAfter = naTlv === null ? null : readTime(b, naTlv);
  if (notBefore === null || notAfter === null) return fail(TlsEvent.CERTIFICATE_INVALID_DATE);

  const subjectTlv = readTlv(b, validity.end, tbs.end);
  const subject = subjectTlv !== null && subjectTlv.tag === 0x30 ? readName(b, subjectTlv) : null;
  if (subjectTlv === null || subject === null) return fail(TlsEvent.CERTIFICATE_INVALID_SUBJECT);

  let subjectAltNames: string[] = [];
  pos = subjectTlv.end;
  while (pos < tbs.end) {
    const t = readTlv(b, pos, tbs.end);
    if (t === null) return fail(TlsEvent.CERTIFICATE_INVALID_DER);
    if (t.tag === 0xa3) {
      const names = readSubjectAltNames(b, t);
      if (names === null) return fail(TlsEvent.CERTIFICATE_INVALID_EXTENSIONS);
      subjectAltNames = names;
    }
    pos = t.end;
  }

  const fingerprint = colonHex(createHash('sha1').update(der).digest(), false);
  return {
    ok: true,
    cert: {
      der,
      subject,
      issuer,
      serial,
      fingerprint,
      notBefore: notBefore.text,
      notAfter: notAfter.text,
      notBeforeS: notBefore.seconds,
      notAfterS: notAfter.seconds,
      subjectAltNames,
    },
  };
}
