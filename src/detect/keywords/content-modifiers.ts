/**
 * Modifiers of the previous `content`: nocase, offset, depth, distance,
 * within, startswith, endswith, fast_pattern and rawbytes. Each changes the
 * most recent content of the rule. Like Suricata, they reject an absolute
 * modifier (offset, depth) with a relative one (distance, within) on one
 * content, a repeated modifier, and a depth or within shorter than the
 * pattern. Suricata: rules/payload-keywords.html.
 */
import { ErrorCode } from '../../core/errors.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import { ContentMatch, MAX_CONTENT_MODIFIER_VALUE } from './content.js';
import { parseValueOrVariable, parseInteger } from './byte-common.js';

/** Returns the content the modifier applies to, or reports that there is none. */
function previousContent(b: SignatureBuilder, keyword: string): ContentMatch | null {
  const m = b.lastMatch(['content']);
  if (m === null || !(m instanceof ContentMatch)) {
    b.error(ErrorCode.RULE_NO_PREVIOUS_CONTENT, `${keyword}: no content before it to modify`);
    return null;
  }
  return m;
}

function conflict(b: SignatureBuilder, keyword: string, reason: string): void {
  b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `${keyword}: ${reason}`);
}

/** Rejects the modifiers that fast_pattern:only forbids on its content. */
function checkFastPatternOnly(b: SignatureBuilder, c: ContentMatch, keyword: string): boolean {
  if (c.isFastPatternOnly) {
    conflict(b, keyword, 'cannot modify a content that has fast_pattern:only');
    return false;
  }
  return true;
}

function setupNocase(b: SignatureBuilder): void {
  const c = previousContent(b, 'nocase');
  if (c === null) return;
  if (c.isNocase) return conflict(b, 'nocase', 'the content already has nocase');
  c.setNocase();
}

function setupDepth(b: SignatureBuilder, value: string): void {
  const c = previousContent(b, 'depth');
  if (c === null || !checkFastPatternOnly(b, c, 'depth')) return;
  if (c.hasDepth) return conflict(b, 'depth', 'the content already has a depth');
  if (c.isStartsWith) return conflict(b, 'depth', 'cannot be combined with startswith on one content');
  if (c.isRelative) return conflict(b, 'depth', 'cannot be combined with distance or within on one content (absolute and relative position)');
  const v = parseValueOrVariable(b, 'depth', 'value', value, 0, MAX_CONTENT_MODIFIER_VALUE);
  if (v === null) return;
  if (v.variable < 0 && v.value < c.pattern.length) {
    b.error(ErrorCode.RULE_BAD_VALUE, `depth: '${value.trim()}' is smaller than the content length ${c.pattern.length}`);
    return;
  }
  c.hasDepth = true;
  c.depth = v.value;
  c.depthVar = v.variable;
}

function setupOffset(b: SignatureBuilder, value: string): void {
  const c = previousContent(b, 'offset');
  if (c === null || !checkFastPatternOnly(b, c, 'offset')) return;
  if (c.hasOffset) return conflict(b, 'offset', 'the content already has an offset');
  if (c.isStartsWith) return conflict(b, 'offset', 'cannot be combined with startswith on one content');
  if (c.isRelative) return conflict(b, 'offset', 'cannot be combined with distance or within on one content (absolute and relative position)');
  const v = parseValueOrVariable(b, 'offset', 'value', value, 0, MAX_CONTENT_MODIFIER_VALUE);
  if (v === null) return;
  c.hasOffset = true;
  c.offset = v.value;
  c.offsetVar = v.variable;
}

function setupDistance(b: SignatureBuilder, value: string): void {
  const c = previousContent(b, 'distance');
  if (c === null || !checkFastPatternOnly(b, c, 'distance')) return;
  if (c.hasDistance) return conflict(b, 'distance', 'the content already has a distance');
  if (c.isStartsWith) return conflict(b, 'distance', 'cannot be combined with startswith on one content');
  if (c.hasOffset || c.hasDepth) return conflict(b, 'distance', 'cannot be combined with offset or depth on one content (absolute and relative position)');
  const v = parseValueOrVariable(b, 'distance', 'value', value, -MAX_CONTENT_MODIFIER_VALUE, MAX_CONTENT_MODIFIER_VALUE);
  if (v === null) return;
  c.hasDistance = true;
  c.distance = v.value;
  c.distanceVar = v.variable;
}

function setupWithin(b: SignatureBuilder, value: string): void {
  const c = previousContent(b, 'within');
  if (c === null || !checkFastPatternOnly(b, c, 'within')) return;
  if (c.hasWithin) return conflict(b, 'within', 'the content already has a within');
  if (c.isStartsWith) return conflict(b, 'within', 'cannot be combined with startswith on one content');
  if (c.hasOffset || c.hasDepth) return conflict(b, 'within', 'cannot be combined with offset or depth on one content (absolute and relative position)');
  const v = parseValueOrVariable(b, 'within', 'value', value, -MAX_CONTENT_MODIFIER_VALUE, MAX_CONTENT_MODIFIER_VALUE);
  if (v === null) return;
  if (v.variable < 0 && v.value < c.pattern.length) {
    b.error(ErrorCode.RULE_BAD_VALUE, `within: '${value.trim()}' is smaller than the content length ${c.pattern.length}`);
    return;
  }
  c.hasWithin = true;
  c.within = v.value;
  c.withinVar = v.variable;
}

function setupStartsWith(b: SignatureBuilder): void {
  const c = previousContent(b, 'startswith');
  if (c === null) return;
  if (c.isStartsWith) return conflict(b, 'startswith', 'the content already has startswith');
  if (c.hasOffset || c.hasDepth || c.isRelative) {
    return conflict(b, 'startswith', 'cannot be combined with offset, depth, distance or within on one content');
  }
  c.isStartsWith = true;
  c.hasOffset = true;
  c.offset = 0;
  c.hasDepth = true;
  c.depth = c.pattern.length;
}

function setupEndsWith(b: SignatureBuilder): void {
  const c = previousContent(b, 'endswith');
  if (c === null) return;
  if (c.isEndsWith) return conflict(b, 'endswith', 'the content already has endswith');
  // NOTE: Suricata's documentation says endswith cannot be mixed with
  // offset, distance or within. kapu accepts the mix, with the plain
  // meaning (the match must end at the buffer end), so that no rule that
  // Suricata loads is rejected here.
  c.isEndsWith = true;
}

function setupFastPattern(b: SignatureBuilder, value: string): void {
  const c = previousContent(b, 'fast_pattern');
  if (c === null) return;
  for (const buffer of b.sig.buffers) {
    for (const m of buffer.matches) {
      if (m instanceof ContentMatch && m.isFastPattern) {
        return conflict(b, 'fast_pattern', 'only one content of a rule can be the fast pattern');
      }
    }
  }

  const text = (value ?? '').trim();
  if (text === '') {
    c.isFastPattern = true;
    return;
  }
  if (text === 'only') {
    if (c.isNegated) return conflict(b, 'fast_pattern', "'only' cannot be used on a negated content");
    if (c.hasOffset || c.hasDepth || c.isRelative) {
      return conflict(b, 'fast_pattern', "'only' cannot be used on a content with offset, depth, distance or within");
    }
    c.isFastPattern = true;
    c.isFastPatternOnly = true;
    return;
  }

  const parts = text.split(',');
  const chopOffset = parts.length === 2 ? parseInteger(parts[0]) : null;
  const chopLength = parts.length === 2 ? parseInteger(parts[1]) : null;
  if (chopOffset === null || chopLength === null || chopOffset < 0 || chopLength < 1) {
    b.error(ErrorCode.RULE_BAD_VALUE, `fast_pattern: '${text}' is invalid (expected nothing, 'only', or '<offset>,<length>')`);
    return;
  }
  if (chopOffset + chopLength > c.pattern.length) {
    b.error(ErrorCode.RULE_BAD_VALUE, `fast_pattern: '${text}' reaches past the content length ${c.pattern.length}`);
    return;
  }
  c.isFastPattern = true;
  c.fastPatternChopOffset = chopOffset;
  c.fastPatternChopLength = chopLength;
}

function setupRawbytes(b: SignatureBuilder): void {
  // Accepted as Suricata accepts it: the packet payload is already raw.
  previousContent(b, 'rawbytes');
}

function modifier(
  name: string,
  description: string,
  value: 'none' | 'required' | 'optional',
  setup: (b: SignatureBuilder, value: string) => void,
): KeywordDef {
  return { name, description, docsAnchor: `payload-keywords.html#${name.replace('_', '-')}`, value, setup };
}

export const nocaseKeyword = modifier('nocase', 'make the previous content case-insensitive', 'none', setupNocase);
export const depthKeyword = modifier('depth', 'search the previous content only in the first N bytes (counted from offset)', 'required', setupDepth);
export const offsetKeyword = modifier('offset', 'start the search for the previous content at byte N', 'required', setupOffset);
export const distanceKeyword = modifier('distance', 'start the previous content N bytes after the end of the match before it', 'required', setupDistance);
export const withinKeyword = modifier('within', 'end the previous content at most N bytes after the match before it (plus distance)', 'required', setupWithin);
export const startsWithKeyword = modifier('startswith', 'anchor the previous content at the start of the buffer', 'none', setupStartsWith);
export const endsWithKeyword = modifier('endswith', 'anchor the previous content at the end of the buffer', 'none', setupEndsWith);
export const fastPatternKeyword: KeywordDef = {
  name: 'fast_pattern',
  description: 'use the previous content (or part of it) as the prefilter pattern',
  docsAnchor: 'prefilter-keywords.html#fast-pattern',
  value: 'optional',
  setup: setupFastPattern,
};
export const rawbytesKeyword = modifier('rawbytes', 'inspect the raw packet bytes (no effect: packet payload is raw)', 'none', setupRawbytes);
