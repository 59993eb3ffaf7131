/** The defragmenter's counters under Suricata 8's stats names. */
import type { Defragmenter } from './defrag.js';
import { EXCEPTION_ACTION_COUNTER_NAMES } from './flow-config.js';

/** Writes the `defrag.*` counters of `defrag` into `out`. */
export function writeDefragStats(defrag: Defragmenter, out: Map<string, number>): void {
  const c = defrag.counters;
  out.set('defrag.ipv4.fragments', c.ipv4Fragments);
  out.set('defrag.ipv4.reassembled', c.ipv4Reassembled);
  out.set('defrag.ipv6.fragments', c.ipv6Fragments);
  out.set('defrag.ipv6.reassembled', c.ipv6Reassembled);
  out.set('defrag.max_trackers_reached', c.maxTrackersReached);
  out.set('defrag.max_frags_reached', c.maxFragsReached);
  out.set('defrag.memuse', defrag.memuseBytes);
  for (let i = 1; i < EXCEPTION_ACTION_COUNTER_NAMES.length; i++) {
    out.set('defrag.memcap_exception_policy.' + EXCEPTION_ACTION_COUNTER_NAMES[i], c.memcapPolicy[i] as number);
  }
}
