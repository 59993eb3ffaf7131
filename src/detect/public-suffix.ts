/**
 * The Public Suffix List (publicsuffix.org): the suffixes under which
 * anyone can register names (`com`, `co.uk`, `*.ck` but not `www.ck`).
 * The `domain` and `tld` transforms use it, as Suricata 8 does, to find a
 * name's registrable domain and its public suffix.
 *
 * Matching follows the list's published algorithm. The rule that matches
 * the most labels from the right prevails, and a wildcard (`*`) matches
 * any one label. An exception rule (`!`) beats every other and gives up
 * its leftmost label. An unlisted name falls back to the rule `*`, its
 * last label. Both the ICANN and the private sections of the list count.
 */
import { readFileSync } from 'node:fs';

/**
 * Default path of the list, where Debian's `publicsuffix` package installs
 * it. The environment variable KAPU_PUBLIC_SUFFIX_LIST names another file.
 */
export const DEFAULT_PUBLIC_SUFFIX_LIST_PATH = '/usr/share/publicsuffix/public_suffix_list.dat';

/** One node of the label tree, keyed by label from the right. */
class SuffixNode {
  readonly children: Map<string, SuffixNode>;
  /** A rule ends at this node. */
  isRule: boolean;
  /** An exception rule (`!`) ends at this node. */
  isException: boolean;

  constructor() {
    this.children = new Map();
    this.isRule = false;
    this.isException = false;
  }
}

/** The parsed list: a tree of labels, rightmost first, compared in ASCII lower case. */
export class PublicSuffixList {
  private readonly root: SuffixNode;
  readonly ruleCount: number;

  /**
   * Parses the list's text format: one rule a line, `//` comments and
   * blank lines skipped, text after white space ignored. Labels with
   * UTF-8 are kept as their bytes in Latin-1, one character per byte, so
   * they match the bytes of a buffer.
   */
  constructor(text: string) {
    this.root = new SuffixNode();
    let count = 0;
    for (const rawLine of text.split('\n')) {
      const line = rawLine.trim().split(/\s/)[0] as string;
      if (line === '' || line.startsWith('//')) continue;
      const isException = line.startsWith('!');
      const rule = Buffer.from(isException ? line.slice(1) : line, 'utf8').toString('latin1').toLowerCase();
      let node = this.root;
      const labels = rule.split('.');
      for (let i = labels.length - 1; i >= 0; i--) {
        const label = labels[i] as string;
        let child = node.children.get(label);
        if (child === undefined) {
          child = new SuffixNode();
          node.children.set(label, child);
        }
        node = child;
      }
      if (isException) node.isException = true;
      else node.isRule = true;
      count++;
    }
    this.ruleCount = count;
  }

  /**
   * Returns the number of labels, from the right, of the public suffix of
   * the dot-separated `labels` (lower case), at least 1 for a name with labels.
   */
  suffixLabelCount(labels: readonly string[]): number {
    let best = 1;
    // Each frontier entry is a node reached by matching `depth` labels.
    let frontier: SuffixNode[] = [this.root];
    for (let depth = 1; depth <= labels.length && frontier.length > 0; depth++) {
      const label = labels[labels.length - depth] as string;
      const next: SuffixNode[] = [];
      for (const node of frontier) {
        const exact = node.children.get(label);
        const wildcard = node.children.get('*');
        if (exact !== undefined) {
          if (exact.isException) return depth - 1;
          if (exact.isRule) best = Math.max(best, depth);
          next.push(exact);
        }
        if (wildcard !== undefined) {
          if (wildcard.isRule) best = Math.max(best, depth);
          next.push(wildcard);
        }
      }
      frontier = next;
    }
    return best;
  }
}

/** Byte range of a name part inside a buffer: `start` relative to the buffer, -1 when absent. */
export interface NameRange {
  start: number;
  length: number;
}

/**
 * Finds the public suffix (`isDomain` false) or the registrable domain,
 * the public suffix with one more label (`isDomain` true), of the name in
 * input[start, start + length) and stores its range in `out`. A trailing
 * dot is ignored. The range is absent for an empty name, an empty label,
 * or, for the domain, a name that is a public suffix itself.
 */
export function findNamePart(list: PublicSuffixList, input: Uint8Array, start: number, length: number, isDomain: boolean, out: NameRange): void {
  out.start = -1;
  out.length = 0;
  let end = length;
  if (end > 0 && input[start + end - 1] === 0x2e) end--;
  if (end === 0) return;

  // NOTE: the labels are built as strings per call, an allocation per name.
  const name = Buffer.from(input.buffer, input.byteOffset + start, end).toString('latin1').toLowerCase();
  const labels = name.split('.');
  for (const label of labels) if (label === '') return;

  const partLabels = list.suffixLabelCount(labels) + (isDomain ? 1 : 0);
  if (partLabels > labels.length) return;
  let offset = end;
  for (let i = 0; i < partLabels; i++) offset -= (labels[labels.length - 1 - i] as string).length + 1;
  out.start = offset + 1;
  out.length = end - out.start;
}

let shared: PublicSuffixList | null = null;
let sharedError: string | null = null;

/**
 * Returns the list read from KAPU_PUBLIC_SUFFIX_LIST or the default
 * path, read once per process, or the reason it cannot be read.
 */
export function loadPublicSuffixList(): PublicSuffixList | string {
  if (shared !== null) return shared;
  if (sharedError !== null) return sharedError;
  const path = process.env['KAPU_PUBLIC_SUFFIX_LIST'] ?? DEFAULT_PUBLIC_SUFFIX_LIST_PATH;
  try {
    shared = new PublicSuffixList(readFileSync(path, 'utf8'));
    if (shared.ruleCount === 0) {
      shared = null;
      sharedError = `the Public Suffix List at ${path} has no rules`;
      return sharedError;
    }
    return shared;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    sharedError = `the Public Suffix List could not be read from ${path} (${reason}). Install Debian's publicsuffix package or set KAPU_PUBLIC_SUFFIX_LIST`;
    return sharedError;
  }
}
