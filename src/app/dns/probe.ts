/**
 * Content-based detection of DNS: a plausible header and a first query
 * that parses. For TCP the 2-byte length prefix comes first.
 */
import { Direction } from '../../core/packet.js';
import { DNS_FLAG_QR, DNS_HEADER_BYTES, DnsStatus, dnsOpcode, isValidDnsOpcode, parseDnsMessage } from './parser.js';

/** Tells whether `bytes` start a DNS message of the given direction. */
export function probeDns(bytes: Uint8Array, start: number, length: number, direction: number): 'yes' | 'no' | 'need_more' {
  if (length < DNS_HEADER_BYTES) return 'need_more';
  const flags = (bytes[start + 2] << 8) | bytes[start + 3];
  if (!isValidDnsOpcode(dnsOpcode(flags))) return 'no';
  const isResponse = (flags & DNS_FLAG_QR) !== 0;
  if (direction === Direction.TO_SERVER && isResponse) return 'no';
  const qdCount = (bytes[start + 4] << 8) | bytes[start + 5];
  if (qdCount === 0 && !isResponse) return 'no';
  return parseDnsMessage(bytes, start, length).status === DnsStatus.OK ? 'yes' : 'no';
}

/**
 * Tells whether a DNS-over-TCP stream starts here: length prefix, then a
 * DNS message. While the message is incomplete a valid header gives
 * 'need_more', or 'yes' with `acceptsHeader` (on a DNS port, where
 * Suricata also decides on the header alone).
 */
export function probeDnsTcp(bytes: Uint8Array, start: number, length: number, direction: number, acceptsHeader = false): 'yes' | 'no' | 'need_more' {
  if (length < 2 + DNS_HEADER_BYTES) return 'need_more';
  const messageBytes = (bytes[start] << 8) | bytes[start + 1];
  if (messageBytes < DNS_HEADER_BYTES) return 'no';
  if (length - 2 < messageBytes) {
    if (!probeDnsHeaderOnly(bytes, start + 2, direction, messageBytes, acceptsHeader)) return 'no';
    return acceptsHeader ? 'yes' : 'need_more';
  }
  return probeDns(bytes, start + 2, messageBytes, direction);
}

/**
 * Maximum number of questions accepted when only the header is in: real
 * requests ask one or two, and text protocols read here as counts in the
 * thousands.
 */
const MAX_PROBE_QUESTIONS = 64;

/**
 * Smallest size of a question or record: a 2-byte compression pointer
 * as its name. A header whose counts need more than the message length
 * cannot be DNS.
 */
const MIN_DNS_ENTRY_BYTES = 2;

/**
 * Checks the header of a message not yet complete. On a DNS port
 * (`isDnsPort`) the counts only need to fit in `messageBytes`, as
 * Suricata checks them. Elsewhere at most MAX_PROBE_QUESTIONS questions
 * are accepted.
 */
function probeDnsHeaderOnly(bytes: Uint8Array, at: number, direction: number, messageBytes: number, isDnsPort: boolean): boolean {
  const flags = (bytes[at + 2] << 8) | bytes[at + 3];
  if (!isValidDnsOpcode(dnsOpcode(flags))) return false;
  const qdCount = (bytes[at + 4] << 8) | bytes[at + 5];
  if (isDnsPort) {
    let entries = 0;
    for (let i = 4; i < DNS_HEADER_BYTES; i += 2) entries += (bytes[at + i] << 8) | bytes[at + i + 1];
    if (DNS_HEADER_BYTES + MIN_DNS_ENTRY_BYTES * entries > messageBytes) return false;
  } else if (qdCount > MAX_PROBE_QUESTIONS) {
    return false;
  }
  return !(direction === Direction.TO_SERVER && (flags & DNS_FLAG_QR) !== 0);
}
