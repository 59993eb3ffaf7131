/**
 * Choice of a signature's fast pattern: the one content the prefilter looks
 * for. As Suricata chooses it (rules/fast-pattern-explained.html):
 *
 * 1. a content with `fast_pattern` wins;
 * 2. otherwise non-negated contents are considered (negated ones only when
 *    the rule has no other), in the buffer of highest priority;
 * 3. then the longest pattern;
 * 4. then the highest pattern strength (byte diversity);
 * 5. then the first in rule order.
 *
 * A negated fast pattern cannot select candidates (the rule matches when
 * the pattern is absent), so such a rule is evaluated on every packet.
 */
import { ContentMatch } from './keywords/content.js';
import type { Signature } from './signature.js';

/** The pattern a rule contributes to the prefilter of one buffer. */
export interface FastPattern {
  buffer: string;
  content: ContentMatch;
  /** The bytes given to the matcher: the content, or its fast_pattern chop. */
  bytes: Uint8Array;
  isNocase: boolean;
}

/**
 * Buffer priority for the fast-pattern choice: higher wins. Application
 * buffers come before the packet payload, as in Suricata; `http.method`
 * ranks below the payload.
 */
export function bufferPriority(buffer: string): number {
  if (buffer === 'http.method' || buffer === 'http_method') return 0;
  if (buffer === 'pkt_data') return 1;
  return 2;
}

/**
 * Scores how varied a pattern is: a new letter adds 3, a new printable
 * byte (or 0x00, 0x01, 0xff) adds 4, any other new byte adds 6, and a
 * repeated byte adds 1.
 * NOTE: these weights are meant to equal Suricata's pattern strength but
 * were not checked against its source. A different tie-break only changes
 * which content the prefilter uses, never whether a rule matches.
 */
export function patternStrength(bytes: Uint8Array): number {
  const seen = new Uint8Array(256);
  let score = 0;
  for (const b of bytes) {
    if (seen[b] !== 0) {
      score += 1;
      continue;
    }
    seen[b] = 1;
    const isAlpha = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    const isPrint = b >= 0x20 && b <= 0x7e;
    if (isAlpha) score += 3;
    else if (isPrint || b === 0x00 || b === 0x01 || b === 0xff) score += 4;
    else score += 6;
  }
  return score;
}

/**
 * Selects the fast pattern of the signature among the contents of the
 * buffers that `canPrefilter` accepts. Returns null when the rule has no
 * content there or its choice is negated: it is then evaluated always.
 */
export function selectFastPattern(sig: Signature, canPrefilter: (buffer: string) => boolean): FastPattern | null {
  const contents: { buffer: string; content: ContentMatch }[] = [];
  for (const inspection of sig.buffers) {
    if (!canPrefilter(inspection.buffer)) continue;
    // A buffer under `absent` can match without any of its contents.
    if (inspection.absentMode !== undefined) continue;
    for (const m of inspection.matches) {
      if (m instanceof ContentMatch) contents.push({ buffer: inspection.buffer, content: m });
    }
  }
  if (contents.length === 0) return null;

  const explicit = contents.find((c) => c.content.isFastPattern);
  if (explicit !== undefined) return toFastPattern(explicit.buffer, explicit.content);

  const positive = contents.filter((c) => !c.content.isNegated);
  const pool = positive.length > 0 ? positive : contents;
  let best = pool[0];
  for (let i = 1; i < pool.length; i++) {
    if (isBetter(pool[i], best)) best = pool[i];
  }
  return toFastPattern(best.buffer, best.content);
}

function isBetter(a: { buffer: string; content: ContentMatch }, b: { buffer: string; content: ContentMatch }): boolean {
  const pa = bufferPriority(a.buffer);
  const pb = bufferPriority(b.buffer);
  if (pa !== pb) return pa > pb;
  const la = a.content.original.length;
  const lb = b.content.original.length;
  if (la !== lb) return la > lb;
  return patternStrength(a.content.original) > patternStrength(b.content.original);
}

function toFastPattern(buffer: string, content: ContentMatch): FastPattern | null {
  if (content.isNegated) return null;
  let bytes = content.original;
  if (content.fastPatternChopOffset >= 0) {
    bytes = bytes.subarray(content.fastPatternChopOffset, content.fastPatternChopOffset + content.fastPatternChopLength);
  }
  return { buffer, content, bytes, isNocase: content.isNocase };
}
