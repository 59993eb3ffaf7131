/**
 * Evaluates the list syntax shared by rule-header addresses and ports:
 * `any`, single values, variables (`$HOME_NET`), lists `[a,b]` that may
 * nest, and negation of a value or a list (`!a`, `![a,b]`).
 *
 * A list is the union of its plain members minus the union of its negated
 * members; a list of negated members only starts from everything
 * (`[!80,!443]` is every port but 80 and 443). The result is one range set
 * per family (IPv4 and IPv6 for addresses, one for ports).
 */
import { complementRanges, normalizeRanges, subtractRanges, type Range } from './range-set.js';

/** Range sets, one per family, each normalized. */
export type FamilySets = Range[][];

/** A problem in an expression, with its place in the expression text. */
export interface ExpressionError {
  message: string;
  offset: number;
  length: number;
}

/** The parts of an address or port parser that the evaluator uses. */
export interface ExpressionDialect {
  /** Largest value of each family. */
  maxes: readonly bigint[];
  /** Noun for messages: 'address' or 'port'. */
  noun: string;
  /** Parses one atom (`10.0.0.0/8`, `1024:`); returns the sets or a message. */
  parseAtom(text: string): FamilySets | string;
  /** Looks a variable up; null when it is not defined. */
  lookupVariable(name: string): string | null;
}

/** Most nested variable references followed while evaluating one expression. */
export const MAX_VARIABLE_DEPTH = 32;

class ExpressionParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly dialect: ExpressionDialect,
    private readonly stack: string[],
  ) {}

  parseWhole(): FamilySets | ExpressionError {
    this.skipBlanks();
    const result = this.parseElement();
    if (isError(result)) return result;
    this.skipBlanks();
    if (this.pos < this.text.length) {
      return this.fail(`unexpected '${this.text.slice(this.pos)}' after the ${this.dialect.noun}`, this.pos, this.text.length - this.pos);
    }
    return result;
  }

  private parseElement(): FamilySets | ExpressionError {
    this.skipBlanks();
    if (this.text[this.pos] === '!') {
      this.pos++;
      const inner = this.parseElement();
      if (isError(inner)) return inner;
      return this.complement(inner);
    }
    if (this.text[this.pos] === '[') return this.parseList();
    if (this.text[this.pos] === '$') return this.parseVariable();
    return this.parseAtomToken();
  }

  private parseList(): FamilySets | ExpressionError {
    const open = this.pos;
    this.pos++;
    const positive: Range[][] = this.dialect.maxes.map(() => []);
    const negative: Range[][] = this.dialect.maxes.map(() => []);
    let hasPositive = false;
    let count = 0;
    for (;;) {
      this.skipBlanks();
      if (this.pos >= this.text.length) return this.fail(`missing ']' to close the list`, open, this.text.length - open);
      if (this.text[this.pos] === ']' && count === 0) return this.fail('empty list', open, this.pos - open + 1);

      let isNegated = false;
      if (this.text[this.pos] === '!') {
        isNegated = true;
        this.pos++;
      }
      const item = this.parseElement();
      if (isError(item)) return item;
      count++;
      const target = isNegated ? negative : positive;
      if (!isNegated) hasPositive = true;
      for (let f = 0; f < item.length; f++) for (const r of item[f]) target[f].push(r);

      this.skipBlanks();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        break;
      }
      if (this.pos >= this.text.length) return this.fail(`missing ']' to close the list`, open, this.text.length - open);
      return this.fail(`expected ',' or ']' in the list, found '${c}'`, this.pos, 1);
    }

    const out: FamilySets = [];
    for (let f = 0; f < this.dialect.maxes.length; f++) {
      const max = this.dialect.maxes[f];
      const base = hasPositive ? normalizeRanges(positive[f]) : [{ start: 0n, end: max }];
      out.push(subtractRanges(base, normalizeRanges(negative[f]), max));
    }
    return out;
  }

  private parseVariable(): FamilySets | ExpressionError {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length && /[A-Za-z0-9_-]/.test(this.text[this.pos])) this.pos++;
    const name = this.text.slice(start + 1, this.pos);
    const length = this.pos - start;
    if (name.length === 0) return this.fail(`missing variable name after '$'`, start, 1);

    const value = this.dialect.lookupVariable(name);
    if (value === null) return this.fail(`unknown ${this.dialect.noun} variable '$${name}'`, start, length);
    if (this.stack.includes(name)) {
      return this.fail(`variable '$${name}' refers to itself (${[...this.stack, name].map((n) => '$' + n).join(' -> ')})`, start, length);
    }
    if (this.stack.length >= MAX_VARIABLE_DEPTH) {
      return this.fail(`variables nest deeper than ${MAX_VARIABLE_DEPTH} levels at '$${name}'`, start, length);
    }

    const nested = new ExpressionParser(value, this.dialect, [...this.stack, name]).parseWhole();
    if (isError(nested)) return this.fail(`in variable '$${name}' ("${value}"): ${nested.message}`, start, length);
    return nested;
  }

  private parseAtomToken(): FamilySets | ExpressionError {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === ',' || c === ']' || c === '[' || c === ' ' || c === '\t') break;
      this.pos++;
    }
    const token = this.text.slice(start, this.pos);
    if (token.length === 0) {
      const found = this.pos < this.text.length ? `'${this.text[this.pos]}'` : 'the end';
      return this.fail(`expected a ${this.dialect.noun}, found ${found}`, start, 1);
    }
    if (token === 'any') return this.dialect.maxes.map((max) => [{ start: 0n, end: max }]);
    const parsed = this.dialect.parseAtom(token);
    if (typeof parsed === 'string') return this.fail(parsed, start, token.length);
    return parsed.map((ranges) => normalizeRanges(ranges));
  }

  private complement(sets: FamilySets): FamilySets {
    return sets.map((ranges, f) => complementRanges(ranges, this.dialect.maxes[f]));
  }

  private skipBlanks(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
  }

  private fail(message: string, offset: number, length: number): ExpressionError {
    return { message, offset, length: Math.max(1, length) };
  }
}

function isError(value: FamilySets | ExpressionError): value is ExpressionError {
  return !Array.isArray(value);
}

/** Evaluates an address or port expression into one range set per family. */
export function evaluateExpression(text: string, dialect: ExpressionDialect): FamilySets | ExpressionError {
  return new ExpressionParser(text, dialect, []).parseWhole();
}

/** Tells an evaluation result from an error. */
export function isExpressionError(value: FamilySets | ExpressionError): value is ExpressionError {
  return isError(value);
}
