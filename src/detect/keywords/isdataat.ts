/**
 * `isdataat:[!]<n>[,relative][,rawbytes]`: checks that the buffer has data
 * at position n, or n bytes past the previous match with `relative`.
 * Suricata: rules/payload-keywords.html#isdataat.
 */
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, type PayloadMatch } from '../inspect-context.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import { chainForKeyword, parseValueOrVariable, splitOptions } from './byte-common.js';
import { MAX_CONTENT_MODIFIER_VALUE } from './content.js';

export class IsDataAtMatch implements PayloadMatch {
  readonly keyword = 'isdataat';
  readonly kind = MatchKind.ISDATAAT;
  readonly isRelative: boolean;
  readonly isNegated: boolean;
  readonly position: number;
  /** byteVars index of the position, or -1 for a constant. */
  readonly positionVar: number;

  constructor(position: number, positionVar: number, isRelative: boolean, isNegated: boolean) {
    this.position = position;
    this.positionVar = positionVar;
    this.isRelative = isRelative;
    this.isNegated = isNegated;
  }
}

function setupIsDataAt(b: SignatureBuilder, value: string): void {
  let text = value.trim();
  let isNegated = false;
  if (text.startsWith('!')) {
    isNegated = true;
    text = text.slice(1);
  }
  const parts = splitOptions(text);
  let isRelative = false;
  for (let i = 1; i < parts.length; i++) {
    if (parts[i] === 'relative') isRelative = true;
    else if (parts[i] !== 'rawbytes') {
      b.error(ErrorCode.RULE_BAD_VALUE, `isdataat: unknown option '${parts[i]}' (allowed: relative, rawbytes)`);
      return;
    }
  }
  const v = parseValueOrVariable(b, 'isdataat', 'position', parts[0], 0, MAX_CONTENT_MODIFIER_VALUE);
  if (v === null) return;
  chainForKeyword(b, isRelative).push(new IsDataAtMatch(v.value, v.variable, isRelative, isNegated));
}

export const isDataAtKeyword: KeywordDef = {
  name: 'isdataat',
  description: 'check that the buffer has data at a position',
  docsAnchor: 'payload-keywords.html#isdataat',
  value: 'required',
  setup: setupIsDataAt,
};
