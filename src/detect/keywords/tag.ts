/**
 * `tag:` marks the packets that follow an alert, of the same session or of
 * one host, so that outputs can log them (EVE `packet` events, conditional
 * pcap logging). Syntax: `tag:session|host[,count,packets|bytes|seconds][,src|dst]`.
 * Without a count a tag covers the next 256 packets. A host tag covers the
 * destination of the alerting packet unless `src` is given.
 */
import { ErrorCode } from '../../core/errors.js';
import type { Packet } from '../../core/packet.js';
import type { Flow } from '../../flow/flow.js';
import type { PostMatcher } from '../signature.js';
import { registerKeyword } from './keyword-table.js';
import { parseMetaNumber } from './meta-number.js';

export const TagUnit = {
  NONE: 0,
  PACKETS: 1,
  BYTES: 2,
  SECONDS: 3,
} as const;

/** Packets tagged when the rule gives no count, as in Suricata. */
export const DEFAULT_TAG_PACKETS = 256;

/**
 * Hosts tagged at once. When the table is full a new host tag is not
 * recorded and HostTagTable.droppedCount rises.
 */
export const MAX_HOST_TAGS = 65536;

const UNITS: Record<string, number> = { packets: TagUnit.PACKETS, bytes: TagUnit.BYTES, seconds: TagUnit.SECONDS };

/** One host tag. */
export interface HostTag {
  unit: number;
  remaining: number;
  endUs: number;
}

/**
 * Host tags keyed by address: IPv4 as a number, IPv6 as hex text.
 * NOTE: there is one table per process, so with several worker threads a
 * worker finds only the host tags that its own flows set.
 */
export class HostTagTable {
  readonly tags = new Map<number | string, HostTag>();
  droppedCount = 0;

  /** Tags the address `addr` of an IPv4 (`v4`) or IPv6 packet. */
  add(ipVersion: number, v4: number, addr: Uint8Array, unit: number, count: number, nowUs: number): void {
    const key = ipVersion === 4 ? v4 : Buffer.from(addr.subarray(0, 16)).toString('hex');
    const existing = this.tags.get(key);
    if (existing === undefined && this.tags.size >= MAX_HOST_TAGS) {
      this.droppedCount++;
      return;
    }
    const tag = existing ?? { unit, remaining: 0, endUs: 0 };
    tag.unit = unit;
    tag.remaining = unit === TagUnit.SECONDS ? 0 : count;
    tag.endUs = unit === TagUnit.SECONDS ? nowUs + count * 1_000_000 : 0;
    this.tags.set(key, tag);
  }
}

/** The process-wide host tag table that `tag:host` writes. */
export const HOST_TAGS = new HostTagTable();

/**
 * Tells whether `p` falls under its flow's session tag and counts it
 * against the tag. The tag ends when its packets, bytes or time run out.
 */
export function consumeSessionTag(flow: Flow, p: Packet): boolean {
  switch (flow.tagUnit) {
    case TagUnit.PACKETS:
    case TagUnit.BYTES:
      if (flow.tagRemaining <= 0) {
        flow.tagUnit = TagUnit.NONE;
        return false;
      }
      flow.tagRemaining -= flow.tagUnit === TagUnit.PACKETS ? 1 : p.wireLength;
      return true;
    case TagUnit.SECONDS:
      if (p.timestampUs > flow.tagEndUs) {
        flow.tagUnit = TagUnit.NONE;
        return false;
      }
      return true;
    default:
      return false;
  }
}

/** Starts a session or host tag after the rule matched. */
export class TagUpdate implements PostMatcher {
  readonly keyword = 'tag';

  constructor(
    readonly isHost: boolean,
    readonly unit: number,
    readonly count: number,
    readonly isSourceHost: boolean,
  ) {}

  apply(p: Packet, flow: Flow | null): boolean {
    if (this.isHost) {
      if (p.ipVersion === 0) return true;
      if (this.isSourceHost) HOST_TAGS.add(p.ipVersion, p.src4, p.srcAddr, this.unit, this.count, p.timestampUs);
      else HOST_TAGS.add(p.ipVersion, p.dst4, p.dstAddr, this.unit, this.count, p.timestampUs);
      return true;
    }
    if (flow === null) return true;
    flow.tagUnit = this.unit;
    flow.tagRemaining = this.unit === TagUnit.SECONDS ? 0 : this.count;
    flow.tagEndUs = this.unit === TagUnit.SECONDS ? p.timestampUs + this.count * 1_000_000 : 0;
    return true;
  }
}

/** Parses a tag value; returns the post-matcher or the problem. */
export function parseTag(value: string): TagUpdate | string {
  const allowed = 'expected session or host, then optionally count,packets|bytes|seconds, then optionally src or dst';
  const parts = value.split(',').map((s) => s.trim().toLowerCase());
  const scope = parts[0];
  if (scope !== 'session' && scope !== 'host') return `'${parts[0]}' is not a tag scope (${allowed})`;

  let rest = parts.slice(1);
  let unit: number = TagUnit.PACKETS;
  let count = DEFAULT_TAG_PACKETS;
  if (rest.length >= 2 && /^\d+$/.test(rest[0])) {
    const n = parseMetaNumber(rest[0], 1, 4294967295);
    if (typeof n === 'string') return `count ${n}`;
    const u = UNITS[rest[1]];
    if (u === undefined) return `'${rest[1]}' is not a tag unit (expected packets, bytes or seconds)`;
    count = n;
    unit = u;
    rest = rest.slice(2);
  }

  let isSourceHost = false;
  if (rest.length === 1 && (rest[0] === 'src' || rest[0] === 'dst')) {
    isSourceHost = rest[0] === 'src';
    rest = [];
  }
  if (rest.length > 0) return `'${value}' is not a valid tag (${allowed})`;
  return new TagUpdate(scope === 'host', unit, count, isSourceHost);
}

registerKeyword({
  name: 'tag',
  description: 'Tags the following packets of the session or host for logging.',
  docsAnchor: 'tag.html',
  value: 'required',
  setup(b, value) {
    const parsed = parseTag(value);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, parsed);
      return;
    }
    b.addPostMatch(parsed);
  },
});
