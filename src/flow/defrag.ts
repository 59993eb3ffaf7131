/**
 * IP defragmentation (RFC 791 section 3.2, RFC 8200 section 4.5), as
 * Suricata 8 does it. Fragments are held per datagram, keyed by the two
 * addresses (in either order, see defrag-key.ts), identification, protocol
 * and VLAN ids, and placed by the overlap policy of the first fragment's
 * destination (overlap-policy.ts). When a fragment
 * completes a datagram, `handleFragment` returns a second packet decoded
 * from the rebuilt bytes, which the pipeline runs through flow, detection
 * and output like a captured one. The fragments themselves still go
 * through detection.
 *
 * Time is capture time. Every table is bounded: trackers, held fragments
 * and memory, each with a counter and an event when reached.
 */
import { Packet } from '../core/packet.js';
import { raiseEvent, type DecodeContext } from '../decode/context.js';
import { DecoderEvent } from '../decode/events.js';
import { decodeIpv4 } from '../decode/ipv4.js';
import { decodeIpv6 } from '../decode/ipv6.js';
import {
  DEFRAG_FRAGMENT_BYTES_ESTIMATE,
  DEFRAG_TRACKER_BYTES_ESTIMATE,
  DefragCounters,
  defaultDefragConfig,
  HASH_BUCKET_BYTES_ESTIMATE,
  MAX_IPV4_DATAGRAM_BYTES,
  MAX_IPV6_FRAGMENTABLE_BYTES,
  type DefragConfig,
} from './defrag-config.js';
import { HostPolicyTable } from './defrag-host-policy.js';
import { FragmentKey, isSameDatagram, readFragmentKey, setTrackerKey } from './defrag-key.js';
import { IPV6_HEADER_BYTES, isComplete, rebuildIpv4, rebuildIpv6 } from './defrag-reassemble.js';
import { DefragTracker, Fragment } from './defrag-tracker.js';
import { ExceptionAction, resolveMemcapAction } from './flow-config.js';
import { Placement, placeFragment } from './overlap-policy.js';

export {
  DEFAULT_DEFRAG_HASH_SIZE,
  DEFAULT_DEFRAG_MAX_FRAGS,
  DEFAULT_DEFRAG_MEMCAP_BYTES,
  DEFAULT_DEFRAG_TIMEOUT_S,
  DEFAULT_DEFRAG_TRACKERS,
  DEFRAG_FRAGMENT_BYTES_ESTIMATE,
  DEFRAG_TRACKER_BYTES_ESTIMATE,
  DefragCounters,
  defaultDefragConfig,
  defragConfigOf,
  MAX_IPV4_DATAGRAM_BYTES,
  MAX_IPV6_FRAGMENTABLE_BYTES,
  type DefragConfig,
} from './defrag-config.js';

const US_PER_S = 1_000_000;
const IPV4_HEADER_MIN_BYTES = 20;
const IPV6_FRAGMENT_HEADER_BYTES = 8;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_AH = 51;

/** Reassembles IP fragments; one per worker, like the flow table. */
export class Defragmenter {
  readonly config: DefragConfig;
  readonly counters: DefragCounters;
  /**
   * Outcome of defrag.memcap-policy for the fragment just handled
   * (ExceptionAction); NONE unless the memcap was reached.
   */
  exceptionAction: number;
  private readonly hostPolicies: HostPolicyTable;
  private readonly memcapAction: number;
  private readonly buckets: (DefragTracker | null)[];
  private readonly bucketMask: number;
  /** Trackers by last update, oldest first, for the timeout scan. */
  private oldest: DefragTracker | null;
  private newest: DefragTracker | null;
  private readonly spareTrackers: DefragTracker[];
  private trackerCount: number;
  private fragmentCount: number;
  private memuse: number;
  private readonly placement: Placement;
  private readonly key: FragmentKey;
  private readonly l3Scratch: Int32Array;
  /** The packet returned for a rebuilt datagram, reused for the next one. */
  private readonly rebuilt: Packet;

  constructor(config: DefragConfig = defaultDefragConfig()) {
    this.config = config;
    this.counters = new DefragCounters();
    this.exceptionAction = ExceptionAction.NONE;
    this.hostPolicies = new HostPolicyTable(config.hostOsPolicy);
    this.memcapAction = resolveMemcapAction(config.memcapPolicy, config.isIps);
    let size = 1;
    while (size < config.hashSize) size *= 2;
    this.buckets = new Array<DefragTracker | null>(size).fill(null);
    this.bucketMask = size - 1;
    this.oldest = null;
    this.newest = null;
    this.spareTrackers = [];
    this.trackerCount = 0;
    this.fragmentCount = 0;
    this.memuse = size * HASH_BUCKET_BYTES_ESTIMATE;
    this.placement = new Placement();
    this.key = new FragmentKey();
    this.l3Scratch = new Int32Array(1);
    this.rebuilt = new Packet();
  }

  /** Bytes counted against defrag.memcap now (defrag.memuse). */
  get memuseBytes(): number {
    return this.memuse;
  }

  /** Trackers in use now. */
  get activeTrackers(): number {
    return this.trackerCount;
  }

  /** Fragments held now. */
  get heldFragments(): number {
    return this.fragmentCount;
  }

  /** Returns the length of the longest hash bucket chain (a check of the hash spread). */
  longestBucketChain(): number {
    let longest = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      let length = 0;
      for (let t: DefragTracker | null = this.buckets[i]!; t !== null; t = t.nextInBucket) length++;
      if (length > longest) longest = length;
    }
    return longest;
  }

  /** Host-os-policy entries that are not an address or network (they are skipped). */
  get invalidPolicyEntries(): readonly string[] {
    return this.hostPolicies.invalidEntries;
  }

  /**
   * Takes a decoded fragment (`p.isFragment`). Returns the rebuilt packet,
   * decoded, with `isDefragmented` set and the fragment's timestamp and
   * pcap_cnt, when this fragment completes its datagram; otherwise null.
   * The returned packet is reused by the next call. Overlaps and limits
   * raise decoder events on `p`.
   */
  handleFragment(p: Packet, decode: DecodeContext): Packet | null {
    this.exceptionAction = ExceptionAction.NONE;
    const isV4 = p.ipVersion === 4;
    if (!isV4 && p.ipVersion !== 6) return null;
    if (isV4) this.counters.ipv4Fragments++;
    else this.counters.ipv6Fragments++;

    const l3 = p.l3Offset;
    const dataStart = l3 + p.ipHeaderLength;
    const dataLength = l3 + p.ipTotalLength - dataStart;
    const offset = p.fragmentOffset;
    if (isV4 && IPV4_HEADER_MIN_BYTES + offset + dataLength > MAX_IPV4_DATAGRAM_BYTES) {
      raiseEvent(p, decode, DecoderEvent.IPV4_FRAG_PKT_TOO_LARGE);
      return null;
    }
    if (!isV4 && offset + dataLength > MAX_IPV6_FRAGMENTABLE_BYTES) {
      raiseEvent(p, decode, DecoderEvent.IPV6_FRAG_PKT_TOO_LARGE);
      return null;
    }

    this.expireTrackers(p.timestampUs);
    const tracker = this.findOrCreateTracker(p);
    if (tracker === null) return null;
    tracker.timeoutUs = Math.floor(p.timestampUs / US_PER_S) * US_PER_S + this.config.timeoutS * US_PER_S;
    this.touch(tracker);

    const placement = this.placement;
    placeFragment(tracker.fragments, tracker.policy, offset, offset + dataLength, placement);
    if (placement.removeIndex >= 0) this.removeFragment(tracker, placement.removeIndex);
    const rebuilt = this.holdFragment(p, decode, tracker, dataStart, dataLength, placement.ltrim);
    if (placement.hasOverlap) {
      raiseEvent(p, decode, isV4 ? DecoderEvent.IPV4_FRAG_OVERLAP : DecoderEvent.IPV6_FRAG_OVERLAP);
    }
    return rebuilt;
  }

  /** Drops every tracker (end of input); incomplete datagrams are not reported. */
  clear(): void {
    while (this.oldest !== null) this.releaseTracker(this.oldest);
  }

  /**
   * Stores the fragment trimmed by `ltrim` (-1: discarded by the policy),
   * then rebuilds the datagram when it is complete.
   */
  private holdFragment(p: Packet, decode: DecodeContext, tracker: DefragTracker, dataStart: number, dataLength: number, ltrim: number): Packet | null {
    if (ltrim < 0 || ltrim >= dataLength) {
      if (tracker.fragments.length === 0) this.releaseTracker(tracker);
      return null;
    }

    const frameBytes = p.l3Offset + p.ipTotalLength;
    const fragmentBytes = DEFRAG_FRAGMENT_BYTES_ESTIMATE + frameBytes;
    // Room for the copy: older trackers are reused as for a new tracker.
    while (this.memuse + fragmentBytes > this.config.memcapBytes && this.oldest !== null && this.oldest !== tracker) {
      this.counters.trackerReuse++;
      this.releaseTracker(this.oldest);
    }
    const isFull = this.fragmentCount >= this.config.maxFrags;
    if (isFull || this.memuse + fragmentBytes > this.config.memcapBytes) {
      if (isFull) this.counters.maxFragsReached++;
      else this.applyMemcapPolicy();
      this.ignoreFragment(p, decode);
      // A tracker created for this fragment alone is not kept empty.
      if (tracker.fragments.length === 0) this.releaseTracker(tracker);
      return null;
    }

    const frag = new Fragment(p.bytes.slice(0, frameBytes));
    frag.offset = p.fragmentOffset + ltrim;
    frag.dataLength = dataLength - ltrim;
    frag.dataStart = dataStart + ltrim;
    frag.hasMore = (p.ipFlags & 0x1) !== 0;
    frag.l3Offset = p.l3Offset;
    if (p.ipVersion === 4) {
      frag.headerLength = p.ipHeaderLength;
    } else {
      frag.fragmentHeaderOffset = dataStart - IPV6_FRAGMENT_HEADER_BYTES;
      if (p.fragmentOffset === 0 && ltrim === 0) pointPastFragmentHeader(frag);
    }
    tracker.insert(frag);
    tracker.memBytes += fragmentBytes;
    this.memuse += fragmentBytes;
    this.fragmentCount++;
    if (!frag.hasMore) tracker.hasSeenLast = true;

    if (!isComplete(tracker)) return null;
    const bytes = p.ipVersion === 4 ? rebuildIpv4(tracker, this.l3Scratch) : rebuildIpv6(tracker, this.l3Scratch);
    this.releaseTracker(tracker);
    if (bytes === null) return null;
    return this.decodeRebuilt(p, decode, bytes, this.l3Scratch[0]!);
  }

  /** Decodes the rebuilt datagram into the reused packet, with the link fields of `p`. */
  private decodeRebuilt(p: Packet, decode: DecodeContext, bytes: Uint8Array, l3: number): Packet | null {
    const rp = this.rebuilt;
    rp.reset(bytes, p.timestampUs, bytes.length, p.linkType, p.pcapCount);
    rp.interfaceId = p.interfaceId;
    rp.isDefragmented = true;
    if (l3 === p.l3Offset) {
      rp.l2Offset = p.l2Offset;
      rp.etherType = p.etherType;
      rp.tunnelDepth = p.tunnelDepth;
      rp.outerL3Offset = p.outerL3Offset;
    }
    rp.vlanCount = p.vlanCount;
    for (let i = 0; i < p.vlanCount; i++) rp.vlanIds[i] = p.vlanIds[i]!;

    decode.layerCount = 0;
    decode.hasInvalidChecksum = false;
    if (p.ipVersion === 4) {
      decodeIpv4(rp, decode, l3, bytes.length);
      this.counters.ipv4Reassembled++;
    } else {
      decodeIpv6(rp, decode, l3, bytes.length);
      this.counters.ipv6Reassembled++;
    }
    // A rebuilt datagram whose IP header does not decode is not processed,
    // as Suricata drops such a pseudo packet.
    return rp.ipVersion === 0 ? null : rp;
  }

  private findOrCreateTracker(p: Packet): DefragTracker | null {
    const key = this.key;
    readFragmentKey(p, key);
    const bucket = key.hash & this.bucketMask;
    for (let t: DefragTracker | null = this.buckets[bucket]!; t !== null; t = t.nextInBucket) {
      if (isSameDatagram(t, p, key)) {
        if (t.timeoutUs > p.timestampUs) return t;
        this.counters.timeouts++;
        this.releaseTracker(t);
        break;
      }
    }

    // At a limit the least recently updated tracker is reused, as Suricata
    // takes a tracker in use when its memcap is reached. Only when none is
    // left does the memcap policy apply.
    while (this.needsTrackerRoom() && this.oldest !== null) {
      this.counters.trackerReuse++;
      this.releaseTracker(this.oldest);
    }
    if (this.needsTrackerRoom()) {
      this.counters.maxTrackersReached++;
      this.applyMemcapPolicy();
      return null;
    }

    const t = this.spareTrackers.pop() ?? new DefragTracker();
    setTrackerKey(t, p, key);
    t.policy = this.hostPolicies.policyOf(p.ipVersion, p.dstAddr);
    t.hasSeenLast = false;
    t.memBytes = DEFRAG_TRACKER_BYTES_ESTIMATE;
    t.nextInBucket = this.buckets[bucket]!;
    this.buckets[bucket] = t;
    this.trackerCount++;
    this.memuse += DEFRAG_TRACKER_BYTES_ESTIMATE;
    return t;
  }

  private needsTrackerRoom(): boolean {
    return this.trackerCount >= this.config.trackers || this.memuse + DEFRAG_TRACKER_BYTES_ESTIMATE > this.config.memcapBytes;
  }

  private ignoreFragment(p: Packet, decode: DecodeContext): void {
    raiseEvent(p, decode, p.ipVersion === 4 ? DecoderEvent.IPV4_FRAG_IGNORED : DecoderEvent.IPV6_FRAG_IGNORED);
  }

  private applyMemcapPolicy(): void {
    this.exceptionAction = this.memcapAction;
    this.counters.memcapPolicy[this.memcapAction]!++;
  }

  /** Releases trackers whose timeout is at or before `nowUs`, oldest first. */
  private expireTrackers(nowUs: number): void {
    while (this.oldest !== null && this.oldest.timeoutUs <= nowUs) {
      this.counters.timeouts++;
      this.releaseTracker(this.oldest);
    }
  }

  /** Moves `t` to the newest end of the expiry list (adding it when new). */
  private touch(t: DefragTracker): void {
    if (this.newest === t) return;
    this.unlinkExpiry(t);
    t.older = this.newest;
    t.newer = null;
    if (this.newest !== null) this.newest.newer = t;
    this.newest = t;
    if (this.oldest === null) this.oldest = t;
  }

  private unlinkExpiry(t: DefragTracker): void {
    if (t.older !== null) t.older.newer = t.newer;
    else if (this.oldest === t) this.oldest = t.newer;
    if (t.newer !== null) t.newer.older = t.older;
    else if (this.newest === t) this.newest = t.older;
    t.older = null;
    t.newer = null;
  }

  private removeFragment(t: DefragTracker, index: number): void {
    const frag = t.fragments[index]!;
    t.fragments.splice(index, 1);
    const bytes = DEFRAG_FRAGMENT_BYTES_ESTIMATE + frag.bytes.length;
    t.memBytes -= bytes;
    this.memuse -= bytes;
    this.fragmentCount--;
  }

  /** Removes `t` from the table and keeps it for reuse. */
  private releaseTracker(t: DefragTracker): void {
    const bucket = t.hash & this.bucketMask;
    let link: DefragTracker | null = this.buckets[bucket]!;
    if (link === t) {
      this.buckets[bucket] = t.nextInBucket;
    } else {
      while (link !== null && link.nextInBucket !== t) link = link.nextInBucket;
      if (link !== null) link.nextInBucket = t.nextInBucket;
    }
    t.nextInBucket = null;
    this.unlinkExpiry(t);
    this.fragmentCount -= t.fragments.length;
    this.memuse -= t.memBytes;
    this.trackerCount--;
    t.fragments.length = 0;
    t.memBytes = 0;
    this.spareTrackers.push(t);
  }
}

/**
 * In the first IPv6 fragment's copy, makes the extension header before the
 * fragment header name the protocol after it, because the rebuilt
 * datagram has no fragment header. With no extension header before it,
 * rebuildIpv6 sets the IPv6 header's next header instead.
 */
function pointPastFragmentHeader(frag: Fragment): void {
  const bytes = frag.bytes;
  const fh = frag.fragmentHeaderOffset;
  let at = frag.l3Offset + IPV6_HEADER_BYTES;
  let nextHeader = bytes[frag.l3Offset + 6]!;
  let previous = -1;
  // Each header is at least 8 bytes, so the walk ends within the frame.
  while (at < fh && nextHeader !== IPPROTO_FRAGMENT) {
    previous = at;
    const headerBytes = nextHeader === IPPROTO_AH ? (bytes[at + 1]! + 2) * 4 : (bytes[at + 1]! + 1) * 8;
    nextHeader = bytes[at]!;
    at += headerBytes;
  }
  if (previous >= 0 && at === fh) bytes[previous] = bytes[fh]!;
}
