/**
 * Overlap policies of IP fragment reassembly: which bytes win when two
 * fragments of one datagram cover the same offsets. The policies are the
 * target-based ones of Novak's "Target-Based Fragmentation Reassembly"
 * (2005), as Suricata 8 applies them, chosen per destination host from
 * suricata.yaml's `host-os-policy` (default bsd).
 *
 * Fragments are kept sorted by offset, a later fragment after an earlier
 * one with the same offset. Reassembly copies them in that order, so a
 * fragment's bytes overwrite those of the fragments before it. A policy
 * therefore only trims. It cuts the start of the new fragment (`ltrim`) so
 * the old bytes stay, or the start of an old fragment so the new bytes
 * stay. It can also remove an old fragment that the new one covers, or
 * discard the new one.
 */

/** Overlap policies (Suricata's defrag policy set). */
export const DefragPolicy = {
  /** The first fragment to arrive at an offset wins (old Solaris, HP-UX 11, macOS). */
  FIRST: 1,
  /** The last fragment to arrive wins (Cisco). */
  LAST: 2,
  /** The old bytes win, unless the new fragment starts before the old one (BSD, HP-UX 10, IRIX). */
  BSD: 3,
  /**
   * Bytes are taken in offset order: a fragment at a higher offset, or at
   * the same offset and later, wins (HP JetDirect). NOTE: Suricata 8 has
   * no rule of its own for bsd-right and behaves this way; kapu follows it.
   */
  BSD_RIGHT: 4,
  /** Like BSD, but a new fragment that starts at the same offset as an old one wins too (Linux). */
  LINUX: 5,
  /** The old bytes win, unless the new fragment covers the old one wholly (Windows). */
  WINDOWS: 6,
  /** Like WINDOWS, but a new fragment that ends exactly where the old one ends also wins (Solaris). */
  SOLARIS: 7,
} as const;

/** Policy used for destinations that host-os-policy does not list (Suricata's default). */
export const DEFAULT_DEFRAG_POLICY = DefragPolicy.BSD;

/**
 * Maps a host-os-policy name (`windows`, `old-linux`, ...) to its overlap
 * policy, as Suricata maps them for IP fragments. Unknown names get bsd.
 */
export function defragPolicyOfHostOs(name: string): number {
  switch (name) {
    case 'bsd':
    case 'hpux10':
    case 'irix':
      return DefragPolicy.BSD;
    case 'bsd-right':
      return DefragPolicy.BSD_RIGHT;
    case 'linux':
    case 'old-linux':
      return DefragPolicy.LINUX;
    case 'first':
    case 'old-solaris':
    case 'hpux11':
    case 'macos':
      return DefragPolicy.FIRST;
    case 'solaris':
      return DefragPolicy.SOLARIS;
    case 'windows':
    case 'vista':
    case 'windows2k3':
      return DefragPolicy.WINDOWS;
    case 'last':
      return DefragPolicy.LAST;
    default:
      return DEFAULT_DEFRAG_POLICY;
  }
}

/** One fragment as the policies see it: its place in the datagram and its trims. */
export interface PlacedFragment {
  /** Offset in the datagram's fragmentable part, in bytes, after the trim at insertion. */
  offset: number;
  /** Bytes of data after the trim at insertion. */
  dataLength: number;
  /** Leading bytes that a later fragment claimed; reassembly skips them. */
  ltrim: number;
}

/** Outcome of `placeFragment`, reused from call to call. */
export class Placement {
  /** Leading bytes of the new fragment to drop, or -1 when the whole fragment is discarded. */
  ltrim: number;
  /** True when the new fragment overlaps a fragment already held (decoder event frag_overlap). */
  hasOverlap: boolean;
  /** Index in the list of an old fragment that the new one made useless, or -1. */
  removeIndex: number;

  constructor() {
    this.ltrim = 0;
    this.hasOverlap = false;
    this.removeIndex = -1;
  }
}

/** Decision of one policy step against one old fragment. */
const Step = {
  /** No decision: look at the next old fragment. */
  NEXT: 0,
  /** Insert the new fragment with the trims set so far. */
  INSERT: 1,
  /** Discard the new fragment. */
  DISCARD: 2,
} as const;

/**
 * Applies `policy` to a new fragment covering [offset, end) against the
 * sorted list `held`, and records the result in `out`. May raise the
 * `ltrim` of old fragments. The scan starts at the old fragment just before
 * the first one at or past `offset`, or at the start of the list. It stops
 * at the first old fragment that decides, and `hasOverlap` covers the old
 * fragments seen up to there, as Suricata reports it.
 */
export function placeFragment(held: readonly PlacedFragment[], policy: number, offset: number, end: number, out: Placement): void {
  out.ltrim = 0;
  out.hasOverlap = false;
  out.removeIndex = -1;

  let i = 0;
  while (i < held.length && held[i]!.offset < offset) i++;
  i = i === held.length || i === 0 ? 0 : i - 1;

  for (; i < held.length; i++) {
    const old = held[i]!;
    if (offset < old.offset + old.dataLength && old.offset < end) out.hasOverlap = true;
    const next = i + 1 < held.length ? held[i + 1]! : null;
    const step = applyPolicy(policy, old, next, offset, end, out);
    if (step === Step.NEXT) continue;
    if (step === Step.DISCARD) {
      out.ltrim = -1;
      return;
    }
    // An old fragment trimmed to nothing is dropped now instead of held.
    if (old.ltrim >= old.dataLength) out.removeIndex = i;
    return;
  }
}

/**
 * Applies one policy step of the new fragment [offset, end) against `old`. Sets
 * `out.ltrim` and the `ltrim` of `old` and `next`; an old fragment that
 * the new one covers gets an `ltrim` of its whole length.
 */
function applyPolicy(policy: number, old: PlacedFragment, next: PlacedFragment | null, offset: number, end: number, out: Placement): number {
  const oldEnd = old.offset + old.dataLength;
  switch (policy) {
    case DefragPolicy.BSD:
      return stepBsd(old, next, offset, end, out);
    case DefragPolicy.LINUX:
      return stepLinux(old, offset, end, out);
    case DefragPolicy.WINDOWS:
      return stepWindows(old, offset, end, out);
    case DefragPolicy.SOLARIS:
      if (offset >= oldEnd) return Step.NEXT;
      if (offset >= old.offset) out.ltrim = oldEnd - offset;
      if (offset < old.offset && end >= oldEnd) markCovered(old);
      return Step.INSERT;
    case DefragPolicy.FIRST:
      if (offset >= old.offset && end <= oldEnd) return Step.DISCARD;
      if (offset < old.offset) return Step.INSERT;
      if (offset < oldEnd) {
        out.ltrim = oldEnd - offset;
        return Step.INSERT;
      }
      return Step.NEXT;
    case DefragPolicy.LAST:
      if (offset > old.offset) return Step.NEXT;
      if (end > old.offset) old.ltrim = end - old.offset;
      return Step.INSERT;
    default:
      // BSD_RIGHT trims nothing: offset order alone decides.
      return Step.NEXT;
  }
}

/** Marks `old` as wholly covered by the new fragment, so it is removed. */
function markCovered(old: PlacedFragment): void {
  old.ltrim = old.dataLength;
}

function stepBsd(old: PlacedFragment, next: PlacedFragment | null, offset: number, end: number, out: Placement): number {
  const oldEnd = old.offset + old.dataLength;
  if (offset >= oldEnd) return Step.NEXT;

  if (old.offset <= offset) {
    // The old fragment starts first: its bytes win.
    if (oldEnd > end) return Step.DISCARD;
    out.ltrim = oldEnd - offset;
    if (next !== null && end > next.offset) next.ltrim = end - next.offset;
    return Step.INSERT;
  }

  // The new fragment starts first: it wins over the start of the old one.
  if (end > old.offset + old.ltrim) {
    const covered = end - old.offset;
    if (covered > old.ltrim) old.ltrim = covered;
  }
  if (next !== null && end > next.offset) next.ltrim = end - next.offset;
  return Step.INSERT;
}

function stepLinux(old: PlacedFragment, offset: number, end: number, out: Placement): number {
  const oldStart = old.offset + old.ltrim;
  const oldEnd = old.offset + old.dataLength;
  // The new fragment starts inside the old one: the old bytes win up to its end.
  if (oldStart < offset + out.ltrim && oldEnd > offset + out.ltrim) {
    out.ltrim += oldEnd - offset;
  }
  // The new fragment starts before the old one and reaches into it: the new bytes win.
  if (offset + out.ltrim < oldStart && end > oldStart) {
    old.ltrim += end - oldStart;
    return Step.INSERT;
  }
  // The new fragment covers the old one from its (trimmed) start to its end.
  if (offset + out.ltrim <= oldStart && end >= oldEnd) {
    markCovered(old);
    return Step.INSERT;
  }
  return Step.NEXT;
}

function stepWindows(old: PlacedFragment, offset: number, end: number, out: Placement): number {
  const oldEnd = old.offset + old.dataLength;
  const start = offset + out.ltrim;
  // Inside an old fragment: the old bytes win.
  if (start >= old.offset + out.ltrim && end <= oldEnd) return Step.DISCARD;
  // Around an old fragment: the new one replaces it.
  if (start < old.offset + out.ltrim && end > oldEnd) {
    markCovered(old);
    return Step.INSERT;
  }
  // Starting inside an old fragment and ending past it: the old bytes win up to its end.
  if (start > old.offset + old.ltrim && start < oldEnd) {
    out.ltrim += oldEnd - offset;
    return Step.INSERT;
  }
  // Starting with an old fragment and ending past it: the same.
  if (start === old.offset + out.ltrim && end > oldEnd) {
    out.ltrim += oldEnd - offset;
    return Step.INSERT;
  }
  return Step.NEXT;
}
