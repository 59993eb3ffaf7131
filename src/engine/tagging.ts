/**
 * Packets tagged by the `tag` keyword, as Suricata counts them: the packet
 * whose alert starts a tag counts against the tag but is not logged as a
 * tagged packet (its alert already carries it). Each later packet of the
 * session, or with the tagged host as source or destination, is tagged
 * until the tag's packets, bytes or seconds run out.
 */
import type { Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { consumeSessionTag, HOST_TAGS, TagUnit, type HostTag } from '../detect/keywords/tag.js';

/** A flow's session tag before inspection, to tell whether the packet started it. */
export class SessionTagSnapshot {
  unit: number;
  remaining: number;
  endUs: number;

  constructor() {
    this.unit = TagUnit.NONE;
    this.remaining = 0;
    this.endUs = 0;
  }

  take(flow: Flow | null): void {
    this.unit = flow !== null ? flow.tagUnit : TagUnit.NONE;
    this.remaining = flow !== null ? flow.tagRemaining : 0;
    this.endUs = flow !== null ? flow.tagEndUs : 0;
  }

  /** Tells whether inspection of the current packet started or restarted the flow's tag. */
  isStartedBy(flow: Flow): boolean {
    return flow.tagUnit !== TagUnit.NONE &&
      (flow.tagUnit !== this.unit || flow.tagRemaining !== this.remaining || flow.tagEndUs !== this.endUs);
  }
}

/** Tracks the host tags whose starting packet was already counted. */
export class HostTagTracker {
  private readonly counted: WeakSet<HostTag>;

  constructor() {
    this.counted = new WeakSet();
  }

  /**
   * Counts `p` against the tags of its source and destination hosts and
   * tells whether it is a tagged packet. A tag that ran out is removed.
   */
  consume(p: Packet): boolean {
    const tags = HOST_TAGS.tags;
    if (tags.size === 0 || (p.ipVersion !== 4 && p.ipVersion !== 6)) return false;
    const bySource = this.consumeHost(p, p.ipVersion === 4 ? p.src4 : hexKey(p.srcAddr));
    const byDestination = this.consumeHost(p, p.ipVersion === 4 ? p.dst4 : hexKey(p.dstAddr));
    return bySource || byDestination;
  }

  private consumeHost(p: Packet, key: number | string): boolean {
    const tag = HOST_TAGS.tags.get(key);
    if (tag === undefined) return false;
    const isFirst = !this.counted.has(tag);
    if (isFirst) this.counted.add(tag);

    let isLive: boolean;
    if (tag.unit === TagUnit.SECONDS) {
      isLive = p.timestampUs <= tag.endUs;
    } else {
      tag.remaining -= tag.unit === TagUnit.BYTES ? p.wireLength : 1;
      isLive = tag.remaining >= 0;
    }
    if (isFirst) return false;
    if (!isLive) HOST_TAGS.tags.delete(key);
    return isLive;
  }
}

function hexKey(addr: Uint8Array): string {
  return Buffer.from(addr.buffer, addr.byteOffset, 16).toString('hex');
}

/**
 * Counts `p` against its flow's session tag and tells whether it is a
 * tagged packet; `startedHere` is true when this packet's alert started the tag.
 */
export function consumeFlowTag(flow: Flow | null, p: Packet, startedHere: boolean): boolean {
  if (flow === null || flow.tagUnit === TagUnit.NONE) return false;
  const isTagged = consumeSessionTag(flow, p);
  return isTagged && !startedHere;
}
