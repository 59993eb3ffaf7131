/**
 * TLS keywords that take their value inline instead of selecting a sticky
 * buffer: `ssl_version`, the legacy string matches `tls.subject`,
 * `tls.issuerdn` and `tls.fingerprint`, and the certificate validity
 * checks `tls_cert_notbefore`, `tls_cert_notafter`, `tls_cert_expired`
 * and `tls_cert_valid`. Suricata: rules/tls-keywords.html.
 *
 * The certificate keywords read the server's leaf certificate in the
 * to-client direction only, as Suricata registers them.
 */
import { Direction } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { DetectThreadContext, KeywordDef, PacketMatcher, SignatureBuilder } from '../../detect/signature.js';
import { unquoteValue } from '../../detect/rule-lexer.js';
import type { TlsTransaction } from './state.js';

/** `ssl_version` names, with the version numbers each one covers. */
const SSL_VERSION_NAMES: ReadonlyMap<string, readonly number[]> = new Map([
  ['sslv2', [0x0002]],
  ['sslv3', [0x0300]],
  ['tls1.0', [0x0301]],
  ['tls1.1', [0x0302]],
  ['tls1.2', [0x0303]],
  ['tls1.3', [0x0304]],
]);

/** Returns the `ssl_version` name of a version number, or null. TLS 1.3 drafts (0x7fXX) count as tls1.3. */
export function sslVersionName(version: number): string | null {
  if (version > 0x7f00 && version <= 0x7fff) return 'tls1.3';
  for (const [name, versions] of SSL_VERSION_NAMES) {
    if (versions.includes(version)) return name;
  }
  return null;
}

/**
 * `ssl_version:[!]name[,[!]name...]`: the version of the hello in the
 * inspected direction. To the server it is the client's offer, also from
 * an SSLv2-framed hello, and to the client the negotiated version.
 *
 * A listed name matches its version and a negated one excludes it. Once
 * the list has a negation, versions it does not name match too, so
 * `!sslv3` matches every version but SSLv3. An unknown version never
 * matches.
 */
export class SslVersionMatch implements PacketMatcher {
  readonly keyword = 'ssl_version';
  readonly isTxMatcher = true;
  readonly appProto = 'tls';
  /** Names listed without `!`. */
  readonly included: ReadonlySet<string>;
  /** Names listed with `!`. */
  readonly excluded: ReadonlySet<string>;

  constructor(included: ReadonlySet<string>, excluded: ReadonlySet<string>) {
    this.included = included;
    this.excluded = excluded;
  }

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Tells whether the version seen in `direction` satisfies the list. */
  matchTx(tx: TlsTransaction, direction: number): boolean {
    const version = direction === Direction.TO_SERVER ? tx.clientVersion : tx.version;
    const name = sslVersionName(version);
    if (name === null) return false;
    if (this.included.has(name)) return true;
    if (this.excluded.has(name)) return false;
    return this.excluded.size > 0;
  }
}

/** Parses an `ssl_version` value into a matcher, or returns the error text. */
export function parseSslVersion(value: string): SslVersionMatch | string {
  const included = new Set<string>();
  const excluded = new Set<string>();
  for (const part of value.split(',')) {
    let name = part.trim();
    const isNegated = name.startsWith('!');
    if (isNegated) name = name.slice(1).trim();
    name = name.toLowerCase();
    if (!SSL_VERSION_NAMES.has(name)) {
      return `'${part.trim()}' is not an SSL version (expected sslv2, sslv3, tls1.0, tls1.1, tls1.2 or tls1.3, optionally with !)`;
    }
    (isNegated ? excluded : included).add(name);
  }
  return new SslVersionMatch(included, excluded);
}

/** Fields of the server certificate that the legacy string keywords compare. */
const CertField = { SUBJECT: 0, ISSUER: 1, FINGERPRINT: 2 } as const;

/**
 * `tls.subject`, `tls.issuerdn` and `tls.fingerprint` with an inline
 * value: the server certificate's field contains the string (equals it,
 * in any case, for the fingerprint), or with `!` does not. Without a
 * server certificate nothing matches, negated or not.
 */
export class TlsCertStringMatch implements PacketMatcher {
  readonly isTxMatcher = true;
  readonly appProto = 'tls';

  constructor(
    readonly keyword: string,
    readonly field: number,
    readonly text: string,
    readonly isNegated: boolean,
  ) {}

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Compares the server certificate's field, which only the to-client direction has. */
  matchTx(tx: TlsTransaction, direction: number): boolean {
    if (direction !== Direction.TO_CLIENT) return false;
    const cert = tx.serverCertificate;
    if (cert === null) return false;
    let isFound: boolean;
    if (this.field === CertField.FINGERPRINT) isFound = cert.fingerprint === this.text;
    else isFound = (this.field === CertField.SUBJECT ? cert.subject : cert.issuer).includes(this.text);
    return isFound !== this.isNegated;
  }
}

function certStringKeyword(name: string, field: number, description: string, docsAnchor: string): KeywordDef {
  return {
    name,
    description,
    docsAnchor,
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      let text = value.trim();
      const isNegated = text.startsWith('!');
      if (isNegated) text = text.slice(1).trim();
      const unquoted = unquoteValue(text);
      if (unquoted === null || unquoted.length === 0) {
        b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a quoted string (expected ${name}:"text" or ${name}:!"text")`);
        return;
      }
      // Fingerprints are compared without case; EVE writes them in lower case.
      const expected = field === CertField.FINGERPRINT ? unquoted.toLowerCase() : unquoted;
      b.addPacketMatch(new TlsCertStringMatch(name, field, expected, isNegated));
    },
  };
}

/** Comparison of a validity keyword: `=`, `<`, `>` or the open range `a<>b`. */
const DateOp = { EQ: 0, LT: 1, GT: 2, RANGE: 3 } as const;

/**
 * Parses a date of `tls_cert_notbefore` / `tls_cert_notafter` into seconds
 * since the epoch (UTC). It accepts ISO 8601 `YYYY`, `YYYY-MM` or
 * `YYYY-MM-DD`, optionally followed by `T` or a space and `HH`, `HH:MM`
 * or `HH:MM:SS`, and a plain number of seconds since the epoch. Returns
 * null for any other text.
 * NOTE: a bare four-digit number is read as a year, as Suricata 9 does;
 * Suricata 8 and earlier read it as seconds since the epoch.
 */
export function parseCertDate(text: string): number | null {
  const t = text.trim();
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2}))?)?)?)?)?$/.exec(t);
  if (m !== null) {
    const month = m[2] === undefined ? 1 : Number(m[2]);
    const day = m[3] === undefined ? 1 : Number(m[3]);
    const parts = [m[4], m[5], m[6]].map((v) => (v === undefined ? 0 : Number(v)));
    if (month < 1 || month > 12 || day < 1 || day > 31 || parts[0] > 23 || parts[1] > 59 || parts[2] > 60) return null;
    return Date.UTC(Number(m[1]), month - 1, day, parts[0], parts[1], parts[2]) / 1000;
  }
  if (/^\d{1,12}$/.test(t)) return Number(t);
  return null;
}

/** `tls_cert_notbefore` and `tls_cert_notafter`: compare a validity date of the server certificate. */
export class TlsCertDateMatch implements PacketMatcher {
  readonly isTxMatcher = true;
  readonly appProto = 'tls';

  constructor(
    readonly keyword: string,
    readonly isNotAfter: boolean,
    readonly op: number,
    readonly value: number,
    readonly upper: number,
  ) {}

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Compares the server certificate's date, which only the to-client direction has. */
  matchTx(tx: TlsTransaction, direction: number): boolean {
    if (direction !== Direction.TO_CLIENT) return false;
    const cert = tx.serverCertificate;
    if (cert === null) return false;
    const date = this.isNotAfter ? cert.notAfterS : cert.notBeforeS;
    switch (this.op) {
      case DateOp.LT: return date < this.value;
      case DateOp.GT: return date > this.value;
      case DateOp.RANGE: return date > this.value && date < this.upper;
      default: return date === this.value;
    }
  }
}

function certDateKeyword(name: string, isNotAfter: boolean, description: string): KeywordDef {
  return {
    name,
    description,
    docsAnchor: 'tls-keywords.html',
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      const text = value.trim();
      const bad = `'${value}' is not a date comparison (expected a date, <date, >date or date<>date; a date is ISO 8601 such as 2015-10-22T23:59:59, or seconds since the epoch)`;
      let op: number = DateOp.EQ;
      let first = text;
      let second = '';
      const range = text.indexOf('<>');
      if (range > 0) {
        op = DateOp.RANGE;
        first = text.slice(0, range);
        second = text.slice(range + 2);
      } else if (text.startsWith('<') || text.startsWith('>')) {
        op = text[0] === '<' ? DateOp.LT : DateOp.GT;
        first = text.slice(1);
      }
      const low = parseCertDate(first);
      const high = op === DateOp.RANGE ? parseCertDate(second) : 0;
      if (low === null || high === null) {
        b.error(ErrorCode.RULE_BAD_VALUE, bad);
        return;
      }
      if (op === DateOp.RANGE && high <= low) {
        b.error(ErrorCode.RULE_BAD_VALUE, `'${value}': the first date of a range must be before the second`);
        return;
      }
      b.addPacketMatch(new TlsCertDateMatch(name, isNotAfter, op, low, high));
    },
  };
}

/**
 * `tls_cert_expired` and `tls_cert_valid`: the server certificate has
 * expired (notAfter before the time of the flow's last TLS data), or is
 * valid at that time (notBefore to notAfter).
 */
export class TlsCertValidityMatch implements PacketMatcher {
  readonly isTxMatcher = true;
  readonly appProto = 'tls';

  constructor(readonly keyword: string, readonly isExpiredCheck: boolean) {}

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Checks the server certificate, which only the to-client direction has, against the time of the latest TLS data. */
  matchTx(tx: TlsTransaction, direction: number): boolean {
    if (direction !== Direction.TO_CLIENT) return false;
    const cert = tx.serverCertificate;
    if (cert === null) return false;
    const now = Math.floor(tx.lastTimestampUs / 1e6);
    if (this.isExpiredCheck) return cert.notAfterS < now;
    return cert.notBeforeS <= now && now <= cert.notAfterS;
  }
}

function certValidityKeyword(name: string, isExpiredCheck: boolean, description: string): KeywordDef {
  return {
    name,
    description,
    docsAnchor: 'tls-keywords.html',
    value: 'none',
    setup(b: SignatureBuilder): void {
      b.addPacketMatch(new TlsCertValidityMatch(name, isExpiredCheck));
    },
  };
}

const sslVersionKeyword: KeywordDef = {
  name: 'ssl_version',
  description: 'match the SSL or TLS version of the hello, with ! and lists',
  docsAnchor: 'tls-keywords.html#ssl-version',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const parsed = parseSslVersion(value);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, parsed);
      return;
    }
    b.addPacketMatch(parsed);
  },
};

/** The keywords of this file, registered with the other TLS keywords. */
export const TLS_LEGACY_KEYWORDS: readonly KeywordDef[] = [
  sslVersionKeyword,
  certStringKeyword('tls.subject', CertField.SUBJECT, 'match a string in the subject of the server certificate', 'tls-keywords.html#tls-subject'),
  certStringKeyword('tls.issuerdn', CertField.ISSUER, 'match a string in the issuer of the server certificate', 'tls-keywords.html#tls-issuerdn'),
  certStringKeyword('tls.fingerprint', CertField.FINGERPRINT, 'match the SHA-1 fingerprint of the server certificate', 'tls-keywords.html#tls-fingerprint'),
  certDateKeyword('tls_cert_notbefore', false, 'compare the notBefore date of the server certificate'),
  certDateKeyword('tls_cert_notafter', true, 'compare the notAfter date of the server certificate'),
  certValidityKeyword('tls_cert_expired', true, 'match a server certificate that has expired'),
  certValidityKeyword('tls_cert_valid', false, 'match a server certificate that is valid now'),
];
