/**
 * Event matching for `kapu verify`: how a `filter` check of a suricata-verify
 * test.yaml selects EVE events. Values come from JSON.parse on one side and
 * from YAML 1.1 on the other, and are compared as the suite's Python runner
 * compares decoded JSON, with one deliberate difference: a boolean never
 * equals a number (Python treats `True == 1` as true).
 */

/** Suffixes that turn a match key into a comparison other than equality. */
export const MATCH_OPERATORS = [
  'find',
  'contains',
  'startswith',
  'endswith',
  'gte',
  'gt',
  'lte',
  'lt',
] as const;
export type MatchOperator = (typeof MATCH_OPERATORS)[number];

/** A path step: an object key followed by zero or more list indexes. */
interface PathStep {
  key: string;
  indexes: number[];
}

const STEP_PATTERN = /^(.*?)((?:\[\d+\])*)$/;
const LENGTH_STEP = '__len';

function parsePath(path: string): PathStep[] {
  const steps: PathStep[] = [];
  for (const part of path.split('.')) {
    const m = STEP_PATTERN.exec(part);
    const key = m === null ? part : m[1];
    const indexText = m === null ? '' : m[2];
    const indexes: number[] = [];
    if (indexText.length > 0) {
      for (const digits of indexText.slice(1, -1).split('][')) indexes.push(Number(digits));
    }
    steps.push({ key, indexes });
  }
  return steps;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Length as Python's len() gives it, or undefined where len() has no meaning. */
function lengthOf(value: unknown): number | undefined {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (isPlainObject(value)) return Object.keys(value).length;
  return undefined;
}

/**
 * Looks up a dotted path (`dns.queries[0].rrname`, `dns.answers.__len`) in
 * a decoded event. Returns undefined when a key or index is missing, and
 * null for a JSON null, which the checks treat like a missing key.
 */
export function findValue(path: string, root: unknown): unknown {
  let node: unknown = root;
  for (const step of parsePath(path)) {
    if (step.key === LENGTH_STEP && step.indexes.length === 0) return lengthOf(node);
    if (!isPlainObject(node) || !Object.hasOwn(node, step.key)) return undefined;
    node = node[step.key];
    for (const index of step.indexes) {
      if (!Array.isArray(node) || index >= node.length) return undefined;
      node = node[index];
    }
  }
  return node;
}

/**
 * Compares two decoded values as Python's `==` does for JSON and YAML data
 * (1 == 1.0, 1 != "1", lists and dicts compared deeply), except that a
 * boolean equals only a boolean.
 */
export function pythonEquals(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object') return a === b;

  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!pythonEquals(a[i], b[i])) return false;
    }
    return true;
  }

  if (!isPlainObject(a) || !isPlainObject(b)) {
    // Dates from YAML timestamps never equal decoded JSON, which has none.
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key) || !pythonEquals(a[key], b[key])) return false;
  }
  return true;
}

function isOrderable(a: unknown, b: unknown): a is number | string {
  return (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
}

function compareWithOperator(operator: MatchOperator, found: unknown, expected: unknown): boolean {
  if (found === undefined || found === null) return false;
  switch (operator) {
    case 'find':
      return typeof found === 'string' && typeof expected === 'string' && found.includes(expected);
    case 'contains':
      if (Array.isArray(found)) return found.some((item) => pythonEquals(item, expected));
      if (typeof found === 'string') return typeof expected === 'string' && found.includes(expected);
      if (isPlainObject(found)) return typeof expected === 'string' && Object.hasOwn(found, expected);
      return false;
    case 'startswith':
      return typeof found === 'string' && typeof expected === 'string' && found.startsWith(expected);
    case 'endswith':
      return typeof found === 'string' && typeof expected === 'string' && found.endsWith(expected);
    case 'gt':
      return isOrderable(found, expected) && found > (expected as typeof found);
    case 'gte':
      return isOrderable(found, expected) && found >= (expected as typeof found);
    case 'lt':
      return isOrderable(found, expected) && found < (expected as typeof found);
    case 'lte':
      return isOrderable(found, expected) && found <= (expected as typeof found);
  }
}

/** One `match:` entry of a filter, split into its path and operator. */
export interface MatchTerm {
  /** The key as written in test.yaml. */
  key: string;
  /** `has-key`, `not-has-key`, an operator suffix, or 'equals'. */
  kind: 'has-key' | 'not-has-key' | 'equals' | MatchOperator;
  /** Paths to look up: one, or several for has-key and not-has-key lists. */
  paths: string[];
  expected: unknown;
}

/** Splits a `match:` mapping into terms, in the order written. */
export function parseMatchTerms(match: Record<string, unknown>): MatchTerm[] {
  const terms: MatchTerm[] = [];
  for (const [key, expected] of Object.entries(match)) {
    if (key === 'has-key' || key === 'not-has-key') {
      const paths = Array.isArray(expected) ? expected.map(String) : [String(expected)];
      terms.push({ key, kind: key, paths, expected });
      continue;
    }
    const operator = MATCH_OPERATORS.find((op) => key.endsWith(`__${op}`));
    if (operator === undefined) {
      terms.push({ key, kind: 'equals', paths: [key], expected });
    } else {
      // The suite writes operators both as `key__op` and as `key.__op`.
      let path = key.slice(0, key.length - operator.length - 2);
      if (path.endsWith('.')) path = path.slice(0, -1);
      terms.push({ key, kind: operator, paths: [path], expected });
    }
  }
  return terms;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Tells whether an event meets one term. */
export function isTermMet(term: MatchTerm, event: unknown): boolean {
  switch (term.kind) {
    case 'has-key':
      return term.paths.every((path) => isPresent(findValue(path, event)));
    case 'not-has-key':
      return term.paths.every((path) => !isPresent(findValue(path, event)));
    case 'equals':
      return pythonEquals(findValue(term.paths[0], event), term.expected);
    default:
      return compareWithOperator(term.kind, findValue(term.paths[0], event), term.expected);
  }
}

/** Tells whether an event meets every term. */
export function isEventMatch(terms: MatchTerm[], event: unknown): boolean {
  for (const term of terms) {
    if (!isTermMet(term, event)) return false;
  }
  return true;
}
