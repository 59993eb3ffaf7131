/**
 * Settings, limits and counters of IP defragmentation, named after
 * suricata.yaml's `defrag` section and Suricata 8's `defrag.*` counters.
 */
import { ConfigError } from '../core/errors.js';
import type { KapuConfig } from '../config/types.js';
import { findInvalidHostOsEntries } from './defrag-host-policy.js';
import { EXCEPTION_ACTION_COUNTER_NAMES, type ExceptionPolicyName } from './flow-config.js';

/**
 * Bytes of memory for the hash table, trackers and held fragments. When a
 * new tracker or fragment would pass it, the least recently updated
 * trackers are dropped to make room. When none is left to drop,
 * defrag.memcap-policy applies to the fragment and
 * defrag.max_trackers_reached rises (a fragment that needed only room for
 * its copy gets `frag_ignored` instead). Config: defrag.memcap (default
 * 32 MiB, as Suricata's). NOTE: Suricata counts only trackers and the
 * hash against its memcap, so kapu reaches it sooner under a flood.
 */
export const DEFAULT_DEFRAG_MEMCAP_BYTES = 32 * 1024 * 1024;

/**
 * Datagrams reassembled at once. A fragment that needs one more tracker
 * while this many are in use takes the least recently updated one, whose
 * fragments are dropped. Config: defrag.trackers (default 65535). Suricata
 * preallocates this many and can go past it up to its memcap.
 */
export const DEFAULT_DEFRAG_TRACKERS = 65535;

/**
 * Fragments held at once, over all trackers. Past it a fragment gets
 * `frag_ignored` and defrag.max_frags_reached rises. Config:
 * defrag.max-frags (default 65535).
 */
export const DEFAULT_DEFRAG_MAX_FRAGS = 65535;

/**
 * Seconds a datagram is kept after its latest fragment, counted from the
 * whole second of that fragment's capture time as Suricata counts it. A
 * fragment at or past that time finds the old fragments dropped. Config:
 * defrag.timeout (default 60).
 */
export const DEFAULT_DEFRAG_TIMEOUT_S = 60;

/** Hash buckets of the tracker table. Config: defrag.hash-size (default 65536). */
export const DEFAULT_DEFRAG_HASH_SIZE = 65536;

/**
 * Largest IPv4 datagram (16-bit total length). A fragment whose data ends
 * past it, counting a 20-byte header, is not held and gets
 * `ipv4.frag_pkt_too_large`.
 */
export const MAX_IPV4_DATAGRAM_BYTES = 65535;

/**
 * Largest end of an IPv6 fragment's data in the fragmentable part (offset
 * plus length). Past it the fragment is not held and gets
 * `ipv6.frag_pkt_too_large`.
 */
export const MAX_IPV6_FRAGMENTABLE_BYTES = 65535;

/** Bytes counted against defrag.memcap for a tracker (an estimate of the object and its arrays). */
export const DEFRAG_TRACKER_BYTES_ESTIMATE = 256;

/** Bytes counted for a held fragment besides the copy of its frame (an estimate). */
export const DEFRAG_FRAGMENT_BYTES_ESTIMATE = 96;

/** Bytes counted for each hash bucket. */
export const HASH_BUCKET_BYTES_ESTIMATE = 8;

/** Settings of the defragmenter, named after suricata.yaml's `defrag` and `host-os-policy`. */
export interface DefragConfig {
  memcapBytes: number;
  hashSize: number;
  trackers: number;
  maxFrags: number;
  timeoutS: number;
  /** `defrag.memcap-policy`. */
  memcapPolicy: ExceptionPolicyName;
  /** True in IPS mode, which `auto` and the drop policies depend on. */
  isIps: boolean;
  /** `host-os-policy`: policy name to addresses and networks. */
  hostOsPolicy: Readonly<Record<string, readonly string[]>>;
}

/** Returns a DefragConfig with Suricata 8's defaults (every destination bsd). */
export function defaultDefragConfig(): DefragConfig {
  return {
    memcapBytes: DEFAULT_DEFRAG_MEMCAP_BYTES,
    hashSize: DEFAULT_DEFRAG_HASH_SIZE,
    trackers: DEFAULT_DEFRAG_TRACKERS,
    maxFrags: DEFAULT_DEFRAG_MAX_FRAGS,
    timeoutS: DEFAULT_DEFRAG_TIMEOUT_S,
    memcapPolicy: 'auto',
    isIps: false,
    hostOsPolicy: {},
  };
}

/**
 * Builds the defragmenter's settings from the `defrag` and `host-os-policy`
 * sections. Throws ConfigError listing every host-os-policy entry that is
 * not an address or network.
 */
export function defragConfigOf(config: KapuConfig, isIps: boolean): DefragConfig {
  // NOTE: defrag.prealloc is accepted but not used: trackers are created
  // on demand and kept for reuse. Suricata's defrag.host-config (timeouts
  // and policies per network) is not supported.
  const problems = findInvalidHostOsEntries(config.hostOsPolicy);
  if (problems.length > 0) throw new ConfigError(problems);
  const d = config.defrag;
  return {
    memcapBytes: d.memcap,
    hashSize: d.hashSize,
    trackers: d.trackers,
    maxFrags: d.maxFrags,
    timeoutS: d.timeout,
    memcapPolicy: d.memcapPolicy === 'reject-both' ? 'reject' : d.memcapPolicy,
    isIps,
    hostOsPolicy: config.hostOsPolicy,
  };
}

/** Counters of the defragmenter, as the stats event names them (`defrag.*`). */

export class DefragCounters {
  ipv4Fragments: number;
  ipv4Reassembled: number;
  ipv6Fragments: number;
  ipv6Reassembled: number;
  maxTrackersReached: number;
  maxFragsReached: number;
  /** Trackers released with their datagram incomplete, after defrag.timeout (kapu's own). */
  timeouts: number;
  /** Trackers in use taken for a new datagram at defrag.trackers or defrag.memcap (kapu's own). */
  trackerReuse: number;
  /** defrag.memcap_exception_policy.<policy>, indexed by ExceptionAction. */
  readonly memcapPolicy: number[];

  constructor() {
    this.ipv4Fragments = 0;
    this.ipv4Reassembled = 0;
    this.ipv6Fragments = 0;
    this.ipv6Reassembled = 0;
    this.maxTrackersReached = 0;
    this.maxFragsReached = 0;
    this.timeouts = 0;
    this.trackerReuse = 0;
    this.memcapPolicy = new Array<number>(EXCEPTION_ACTION_COUNTER_NAMES.length).fill(0);
  }
}
