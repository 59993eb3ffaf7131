/**
 * DNS message parser (RFC 1035 section 4). It turns one DNS message into a
 * DnsMessage record: header, queries, answers, authorities and additionals,
 * with names decompressed. It does not track flows or transports. The
 * state (state.ts) hands it one UDP datagram or one length-framed TCP
 * message at a time, and DnsTcpFramer (tcp-framer.ts) splits a TCP stream into
 * messages across any segment boundaries.
 *
 * Malformed input never throws: the parse returns INVALID with an event,
 * and problems inside the optional sections raise their own events and
 * keep what parsed before them, as Suricata does.
 *
 *   header (12 bytes, RFC 1035 section 4.1.1)
 *   0      2      4        6        8        10       12
 *   | id   | flags| qdcount| ancount| nscount| arcount|
 */
import { DnsEvent } from './events.js';

/** Parse results. */
export const DnsStatus = {
  OK: 0,
  NEED_MORE: 1,
  INVALID: 2,
} as const;

export const DNS_HEADER_BYTES = 12;

/** Resource record types that the parser decodes (IANA DNS parameters). */
export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  NULL: 10,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  SSHFP: 44,
} as const;

/**
 * Longest decompressed name kept, in bytes. Longer names are cut to exactly
 * this length, marked truncated, and dns.name_too_long is raised. RFC 1035
 * allows 255 bytes on the wire, but compression pointers can build longer
 * names; Suricata 8 keeps 1025 bytes of the dotted form.
 */
export const MAX_DNS_NAME_BYTES = 1025;

/**
 * Maximum number of labels and compression pointers, counted together,
 * walked for one name, as Suricata 8 counts them. Past it
 * dns.too_many_labels is raised. A name that followed a pointer is kept as
 * walked so far; one that did not is malformed. A loop of pointers ends
 * here too, since each pointer counts. A 255-byte wire name contains at
 * most 127 labels, so only crafted names reach the bound.
 */
export const MAX_DNS_NAME_SEGMENTS = 255;

/**
 * Maximum number of labels and pointers walked while reading all names of
 * one message. Names that point to a long name make a message cost far more
 * steps than it has bytes: a 64 KB message of 10837 queries, each pointing
 * to a 250-label name, needs 2.7 million steps. Past the budget
 * dns.infinite_loop is raised and the message is malformed; reaching it
 * took 22 to 49 ms (Node 20, one AMD EPYC core). suricata-verify's
 * dns-truncated-rname case, 1500 names cut at 1025 bytes, walks 52718
 * steps and must parse. A full 64 KB message of such names would walk
 * an estimated 210000, well below the budget.
 */
export const MAX_DNS_NAME_STEPS_PER_MESSAGE = 1048576;

/** A name as read from the message: dotted bytes plus flags. */
export interface DnsName {
  /** Labels joined by `.`; the root name is empty. */
  value: Uint8Array;
  /** True when the name was cut at MAX_DNS_NAME_BYTES (EVE `rrname_truncated`). */
  isTruncated: boolean;
}

export interface DnsQuery {
  name: DnsName;
  rrtype: number;
  rrclass: number;
}

/** Decoded rdata, by kind. Types the parser does not decode keep their raw bytes. */
export type DnsRdata =
  | { kind: 'address'; bytes: Uint8Array }
  | { kind: 'name'; name: DnsName }
  | { kind: 'mx'; preference: number; name: DnsName }
  | { kind: 'txt'; strings: Uint8Array[] }
  | { kind: 'soa'; mname: DnsName; rname: DnsName; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { kind: 'srv'; priority: number; weight: number; port: number; target: DnsName }
  | { kind: 'sshfp'; algorithm: number; fingerprintType: number; fingerprint: Uint8Array }
  | { kind: 'opt'; options: { code: number; data: Uint8Array }[] }
  | { kind: 'raw'; bytes: Uint8Array };

export interface DnsRecord {
  name: DnsName;
  rrtype: number;
  rrclass: number;
  ttl: number;
  rdata: DnsRdata;
}

export interface DnsMessage {
  id: number;
  flags: number;
  queries: DnsQuery[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** DnsEvent ids raised while parsing, in order. */
  events: number[];
}

/** Result of parseDnsMessage. `message` is null only when status is INVALID. */
export interface DnsParseResult {
  status: number;
  message: DnsMessage | null;
  /** DnsEvent id for INVALID, else -1. */
  event: number;
}

/** QR bit of the header flags: set in responses. */
export const DNS_FLAG_QR = 0x8000;
/** Z bit (RFC 1035 section 4.1.1: reserved, must be zero). */
export const DNS_FLAG_Z = 0x0040;

/** Returns the opcode of header flags. */
export function dnsOpcode(flags: number): number {
  return (flags >>> 11) & 0x0f;
}

/** Returns the rcode of header flags. */
export function dnsRcode(flags: number): number {
  return flags & 0x0f;
}

/**
 * Tells whether an opcode is below 7, as Suricata 8 checks for
 * dns.invalid_opcode: QUERY 0, IQUERY 1, STATUS 2, NOTIFY 4 (RFC 1996),
 * UPDATE 5 (RFC 2136) and DSO 6 (RFC 8490) are assigned, and 3 is
 * reserved but accepted.
 */
export function isValidDnsOpcode(opcode: number): boolean {
  return opcode < 7;
}

/** Cursor shared by the record readers of one message. */
class MessageReader {
  events: number[] = [];
  /** Labels and pointers walked so far (MAX_DNS_NAME_STEPS_PER_MESSAGE). */
  steps = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}

  addEvent(event: number): void {
    if (!this.events.includes(event)) this.events.push(event);
  }
}

const NAME_SCRATCH = new Uint8Array(MAX_DNS_NAME_BYTES);

/**
 * Reads a name at `at` (RFC 1035 section 4.1.4). Returns the offset after
 * the name in the record (after the first pointer when there is one), or
 * -1 when the name is malformed; the name goes to `out`. Pointers may
 * point forward, as Suricata 8 accepts them. A pointer to itself raises
 * dns.infinite_loop; longer loops end at MAX_DNS_NAME_SEGMENTS.
 */
function readName(r: MessageReader, at: number, out: DnsName): number {
  const bytes = r.bytes;
  let pos = at;
  let after = -1;
  let segments = 0;
  let length = 0;
  let isTruncated = false;

  for (;;) {
    if (pos >= r.end) return -1;
    if (++r.steps > MAX_DNS_NAME_STEPS_PER_MESSAGE) {
      r.addEvent(DnsEvent.INFINITE_LOOP);
      return -1;
    }
    const len = bytes[pos];
    if (len === 0) {
      if (after < 0) after = pos + 1;
      break;
    }

    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= r.end) return -1;
      const target = r.start + (((len & 0x3f) << 8) | bytes[pos + 1]);
      if (target >= r.end) return -1;
      if (target === pos) {
        // A pointer to itself never ends. After an earlier pointer the name
        // walked so far is kept; as the first pointer it is malformed.
        if (after < 0) return -1;
        r.addEvent(DnsEvent.INFINITE_LOOP);
        break;
      }
      if (after < 0) after = pos + 2;
      pos = target;
    } else if ((len & 0xc0) !== 0) {
      // Label types 01 and 10 (RFC 6891 section 5) are not in use.
      return -1;
    } else {
      if (pos + 1 + len > r.end) return -1;
      if (!isTruncated) {
        const n = appendLabel(r, bytes, pos + 1, len, length);
        isTruncated = n < 0;
        length = isTruncated ? -n : n;
      }
      pos += 1 + len;
    }

    if (++segments > MAX_DNS_NAME_SEGMENTS) {
      r.addEvent(DnsEvent.TOO_MANY_LABELS);
      if (after < 0) return -1;
      break;
    }
    // Past the length bound a name that followed a pointer stops here; one
    // without pointers is still walked to find where it ends.
    if (isTruncated && after >= 0) break;
  }

  out.value = NAME_SCRATCH.slice(0, length);
  out.isTruncated = isTruncated;
  return after;
}

/**
 * Appends one label to NAME_SCRATCH after a dot. Returns the new length, or
 * its negation when the name passed MAX_DNS_NAME_BYTES. The name then keeps
 * exactly that many bytes, cut inside the label as Suricata cuts it, and
 * dns.name_too_long is raised.
 */
function appendLabel(r: MessageReader, bytes: Uint8Array, from: number, len: number, length: number): number {
  let n = length;
  if (n > 0) {
    if (n === MAX_DNS_NAME_BYTES) {
      r.addEvent(DnsEvent.NAME_TOO_LONG);
      return -n;
    }
    NAME_SCRATCH[n++] = 0x2e;
  }
  const take = Math.min(len, MAX_DNS_NAME_BYTES - n);
  // Labels are at most 63 bytes: a plain loop is cheaper than a subarray view.
  for (let i = 0; i < take; i++) NAME_SCRATCH[n + i] = bytes[from + i];
  n += take;
  if (take < len) {
    r.addEvent(DnsEvent.NAME_TOO_LONG);
    return -n;
  }
  return n;
}

function newName(): DnsName {
  return { value: new Uint8Array(0), isTruncated: false };
}

function readU16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Reads `count` queries from `at`; returns the offset after them or -1. */
function readQueries(r: MessageReader, at: number, count: number, out: DnsQuery[]): number {
  let pos = at;
  for (let i = 0; i < count; i++) {
    const name = newName();
    pos = readName(r, pos, name);
    if (pos < 0 || pos + 4 > r.end) return -1;
    out.push({ name, rrtype: readU16(r.bytes, pos), rrclass: readU16(r.bytes, pos + 2) });
    pos += 4;
  }
  return pos;
}

/** Reads `count` resource records from `at`; returns the offset after them or -1. */
function readRecords(r: MessageReader, at: number, count: number, out: DnsRecord[]): number {
  let pos = at;
  for (let i = 0; i < count; i++) {
    const name = newName();
    pos = readName(r, pos, name);
    if (pos < 0 || pos + 10 > r.end) return -1;
    const b = r.bytes;
    const rrtype = readU16(b, pos);
    const rrclass = readU16(b, pos + 2);
    const ttl = readU32(b, pos + 4);
    const rdLength = readU16(b, pos + 8);
    pos += 10;
    if (pos + rdLength > r.end) return -1;
    const rdata = readRdata(r, rrtype, pos, rdLength);
    if (rdata === null) return -1;
    out.push({ name, rrtype, rrclass, ttl, rdata });
    pos += rdLength;
  }
  return pos;
}

/** Decodes the rdata of one record, or returns null when it is malformed. */
function readRdata(r: MessageReader, rrtype: number, at: number, length: number): DnsRdata | null {
  const b = r.bytes;
  const end = at + length;
  switch (rrtype) {
    case DnsType.A:
    case DnsType.AAAA: {
      if (length !== (rrtype === DnsType.A ? 4 : 16)) return { kind: 'raw', bytes: b.slice(at, end) };
      return { kind: 'address', bytes: b.slice(at, end) };
    }
    case DnsType.CNAME:
    case DnsType.NS:
    case DnsType.PTR: {
      const name = newName();
      if (readName(r, at, name) < 0) return null;
      return { kind: 'name', name };
    }
    case DnsType.MX: {
      if (length < 3) return null;
      const name = newName();
      if (readName(r, at + 2, name) < 0) return null;
      return { kind: 'mx', preference: readU16(b, at), name };
    }
    case DnsType.TXT: {
      // RFC 1035 section 3.3.14: one or more <character-string>s.
      const strings: Uint8Array[] = [];
      let pos = at;
      while (pos < end) {
        const n = b[pos];
        if (pos + 1 + n > end) return null;
        strings.push(b.slice(pos + 1, pos + 1 + n));
        pos += 1 + n;
      }
      return { kind: 'txt', strings };
    }
    case DnsType.SOA: {
      const mname = newName();
      const rname = newName();
      let pos = readName(r, at, mname);
      if (pos < 0) return null;
      pos = readName(r, pos, rname);
      if (pos < 0 || pos + 20 > end) return null;
      return {
        kind: 'soa',
        mname,
        rname,
        serial: readU32(b, pos),
        refresh: readU32(b, pos + 4),
        retry: readU32(b, pos + 8),
        expire: readU32(b, pos + 12),
        minimum: readU32(b, pos + 16),
      };
    }
    case DnsType.SRV: {
      if (length < 7) return null;
      const target = newName();
      if (readName(r, at + 6, target) < 0) return null;
      return { kind: 'srv', priority: readU16(b, at), weight: readU16(b, at + 2), port: readU16(b, at + 4), target };
    }
    case DnsType.SSHFP: {
      if (length < 2) return null;
      return { kind: 'sshfp', algorithm: b[at], fingerprintType: b[at + 1], fingerprint: b.slice(at + 2, end) };
    }
    case DnsType.OPT: {
      // RFC 6891 section 6.1.2: {code u16, length u16, data} repeated.
      const options: { code: number; data: Uint8Array }[] = [];
      let pos = at;
      while (pos + 4 <= end) {
        const code = readU16(b, pos);
        const n = readU16(b, pos + 2);
        if (pos + 4 + n > end) return null;
        options.push({ code, data: b.slice(pos + 4, pos + 4 + n) });
        pos += 4 + n;
      }
      if (pos !== end) return null;
      return { kind: 'opt', options };
    }
    default:
      return { kind: 'raw', bytes: b.slice(at, end) };
  }
}

/**
 * Parses one whole DNS message in `bytes[start, start + length)`. Compression
 * pointers are offsets from `start`. A message cut short in its queries or
 * answers is INVALID (dns.malformed_data); one cut in its authorities or
 * additionals keeps the earlier sections and raises dns.invalid_authorities
 * or dns.invalid_additionals.
 */
export function parseDnsMessage(bytes: Uint8Array, start: number, length: number): DnsParseResult {
  if (length < DNS_HEADER_BYTES) return { status: DnsStatus.INVALID, message: null, event: DnsEvent.MALFORMED_DATA };

  const r = new MessageReader(bytes, start, start + length);
  const message: DnsMessage = {
    id: readU16(bytes, start),
    flags: readU16(bytes, start + 2),
    queries: [],
    answers: [],
    authorities: [],
    additionals: [],
    events: r.events,
  };
  const qdCount = readU16(bytes, start + 4);
  const anCount = readU16(bytes, start + 6);
  const nsCount = readU16(bytes, start + 8);
  const arCount = readU16(bytes, start + 10);

  let pos = readQueries(r, start + DNS_HEADER_BYTES, qdCount, message.queries);
  if (pos >= 0) pos = readRecords(r, pos, anCount, message.answers);
  if (pos < 0) {
    const event = r.events.includes(DnsEvent.INFINITE_LOOP) ? DnsEvent.INFINITE_LOOP : DnsEvent.MALFORMED_DATA;
    return { status: DnsStatus.INVALID, message: null, event };
  }

  pos = readRecords(r, pos, nsCount, message.authorities);
  if (pos < 0) {
    r.addEvent(DnsEvent.INVALID_AUTHORITIES);
    return { status: DnsStatus.OK, message, event: -1 };
  }
  if (readRecords(r, pos, arCount, message.additionals) < 0) r.addEvent(DnsEvent.INVALID_ADDITIONALS);
  return { status: DnsStatus.OK, message, event: -1 };
}
