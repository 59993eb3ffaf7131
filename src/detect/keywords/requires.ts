/**
 * `requires`: the rule runs only where the engine meets its requirements.
 * Suricata: rules/meta.html#requires.
 *
 *   requires: feature geoip, version >= 7.0.3 < 8 | >= 8.0.3, keyword foo
 *
 * Requirements are separated by commas, each `<kind> <expression>`:
 *
 *   version   comparisons joined by blanks must all hold; `|` separates
 *             alternatives. A missing minor or patch number is 0. Judged
 *             against the Suricata version kapu follows (REQUIRES_VERSION).
 *   feature   a feature name from REQUIRES_FEATURES.
 *   keyword   a rule keyword that kapu runs.
 *   any other kind is allowed but never met, for rules written for later
 *   versions.
 *
 * A rule whose requirements are not met is skipped with a warning, not an
 * error. The parser runs this option before the header and the other
 * options, so such a rule is skipped even when the rest of it does not
 * parse here. A malformed expression, or `version` given twice, is an error.
 */
import { ErrorCode } from '../../core/errors.js';
import type { SignatureBuilder } from '../signature.js';
import { KEYWORDS, registerKeyword } from './keyword-table.js';

/** The Suricata version whose rule language kapu follows: major, minor, patch. */
export const REQUIRES_VERSION: readonly [number, number, number] = [8, 0, 0];

/**
 * Features that `requires: feature X` accepts. Suricata names optional
 * build parts here, such as geoip, lua and hyperscan. kapu has none of
 * those, so every feature requirement is unmet and its rule is skipped.
 */
export const REQUIRES_FEATURES: ReadonlySet<string> = new Set<string>();

/** One comparison of a version expression. */
interface VersionComparison {
  op: '>=' | '>' | '<=' | '<' | '=';
  version: [number, number, number];
}

/** The outcome of checking a `requires` value. */
export type RequiresResult =
  | { kind: 'met' }
  | { kind: 'unmet'; reason: string }
  | { kind: 'invalid'; message: string };

const COMPARISON = /^\s*(>=|<=|>|<|=)\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/;

/** Parses one alternative of a version expression, or returns null when it is malformed. */
function parseAlternative(text: string): VersionComparison[] | null {
  const comparisons: VersionComparison[] = [];
  let rest = text;
  while (rest.trim().length > 0) {
    const m = COMPARISON.exec(rest);
    if (m === null) return null;
    comparisons.push({
      op: m[1] as VersionComparison['op'],
      version: [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)],
    });
    rest = rest.slice(m[0].length);
    // Comparisons must be separated by blanks: `>= 7<8` is malformed.
    if (rest.length > 0 && !/^\s/.test(rest)) return null;
  }
  return comparisons.length === 0 ? null : comparisons;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function holds(c: VersionComparison, version: readonly number[]): boolean {
  const order = compareVersions(version, c.version);
  switch (c.op) {
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '<=':
      return order <= 0;
    case '<':
      return order < 0;
    default:
      return order === 0;
  }
}

/** Tells whether `version` satisfies the expression; null when the expression is malformed. */
export function matchesVersionExpression(expression: string, version: readonly number[]): boolean | null {
  let isMet = false;
  for (const alternative of expression.split('|')) {
    const comparisons = parseAlternative(alternative);
    if (comparisons === null) return null;
    if (comparisons.every((c) => holds(c, version))) isMet = true;
  }
  return isMet;
}

/**
 * Checks a `requires` value against `version`, the features and the
 * registered keywords. Every requirement is checked for syntax, so a
 * malformed one is reported even after an unmet one.
 */
export function checkRequires(value: string, version: readonly number[] = REQUIRES_VERSION): RequiresResult {
  let unmet: string | null = null;
  let hasVersion = false;
  const versionText = version.join('.');
  for (const part of value.split(',')) {
    const requirement = part.trim();
    const m = /^(\S+)\s+(.+)$/.exec(requirement);
    if (m === null) {
      return { kind: 'invalid', message: `requirement '${requirement}' is not valid (expected '<kind> <expression>', such as 'version >= 8.0.0')` };
    }
    const kind = m[1];
    const expression = m[2].trim();
    let reason: string | null = null;
    switch (kind) {
      case 'version': {
        if (hasVersion) return { kind: 'invalid', message: "'version' is given more than once (a rule takes one version requirement)" };
        hasVersion = true;
        const isMet = matchesVersionExpression(expression, version);
        if (isMet === null) {
          return { kind: 'invalid', message: `version expression '${expression}' is not valid (expected comparisons such as '>= 7.0.3 < 8', alternatives separated by '|')` };
        }
        if (!isMet) reason = `version ${expression} is not met by Suricata ${versionText}, which kapu follows`;
        break;
      }
      case 'feature':
        if (!REQUIRES_FEATURES.has(expression)) reason = `feature '${expression}' is not available`;
        break;
      case 'keyword':
        if (!KEYWORDS.has(expression)) reason = `keyword '${expression}' is not supported`;
        break;
      default:
        reason = `requirement kind '${kind}' is unknown`;
    }
    if (reason !== null && unmet === null) unmet = reason;
  }
  return unmet === null ? { kind: 'met' } : { kind: 'unmet', reason: unmet };
}

registerKeyword({
  name: 'requires',
  description: 'skip the rule unless the engine has the required version, features and keywords',
  docsAnchor: 'meta.html#requires',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const result = checkRequires(value, b.requiresVersion ?? REQUIRES_VERSION);
    if (result.kind === 'invalid') {
      b.error(ErrorCode.RULE_BAD_VALUE, result.message);
      return;
    }
    if (result.kind === 'unmet') b.skip(ErrorCode.RULE_REQUIREMENT_NOT_MET, `${result.reason}; rule skipped`);
  },
});
