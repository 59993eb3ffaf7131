/**
 * The `checks:` of a suricata-verify test.yaml: parsing them and judging
 * them over the output folder of a run. Kinds: filter (count EVE events
 * that match), stats (values of the last stats event), file-compare (byte
 * comparison with an expected file) and shell (only the line-counting
 * commands that verify-shell.ts evaluates without a shell).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { isEventMatch, findValue, parseMatchTerms, pythonEquals, isTermMet, type MatchTerm } from './verify-match.js';
import { isContainedPath, runSimpleShell } from './verify-shell.js';

/** Default EVE file of a filter or stats check. */
export const EVE_FILENAME = 'eve.json';

/** Maximum failing match terms shown for the closest event of a failed filter. */
const MAX_TERMS_SHOWN = 3;
/** Maximum `match:` entries repeated in the reason of a failed filter. */
const MAX_MATCH_ENTRIES_SHOWN = 6;
/** Maximum line numbers of matching events listed for a failed filter. */
const MAX_MATCH_LINES_SHOWN = 5;
/** Maximum characters of a value shown in a failure reason. */
const MAX_VALUE_CHARS = 80;

interface CheckBase {
  /** 1-based position in `checks:`. */
  index: number;
  /** The check's own `requires:` mapping, or null. */
  requires: unknown;
}

export interface FilterCheck extends CheckBase {
  type: 'filter';
  count: number;
  /** File in the output folder: `filename:`, else eve.json. */
  filename: string;
  match: Record<string, unknown>;
  terms: MatchTerm[];
}

export interface StatsCheck extends CheckBase {
  type: 'stats';
  /** Dotted stats paths and their expected values. */
  values: Record<string, unknown>;
}

export interface FileCompareCheck extends CheckBase {
  type: 'file-compare';
  /** Output file, relative to the output folder. */
  filename: string;
  /** Expected file, relative to the test folder. */
  expected: string;
}

export interface ShellCheck extends CheckBase {
  type: 'shell';
  command: string;
  /** Expected output after trimming, or undefined to judge the exit status only. */
  expect: unknown;
}

export type Check = FilterCheck | StatsCheck | FileCompareCheck | ShellCheck;

/** Outcome of one check. */
export type CheckOutcome = { ok: true } | { ok: false; reason: string };

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseOneCheck(item: unknown, index: number): Check {
  if (!isMapping(item)) throw new Error(`checks[${index}]: expected a mapping with one check kind`);
  const kinds = Object.keys(item);
  if (kinds.length !== 1) throw new Error(`checks[${index}]: expected one check kind, found ${kinds.join(', ')}`);

  const kind = kinds[0];
  const body = item[kind];
  if (!isMapping(body)) throw new Error(`checks[${index}]: ${kind}: expected a mapping`);
  const requires = body.requires ?? null;

  switch (kind) {
    case 'filter': {
      if (typeof body.count !== 'number') throw new Error(`checks[${index}]: filter: count is missing or not a number`);
      const match = body.match ?? {};
      if (!isMapping(match)) throw new Error(`checks[${index}]: filter: match: expected a mapping`);
      const filename = typeof body.filename === 'string' ? body.filename : EVE_FILENAME;
      return { type: 'filter', index, requires, count: body.count, filename, match, terms: parseMatchTerms(match) };
    }
    case 'stats': {
      const values: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(body)) {
        if (key !== 'requires') values[key] = value;
      }
      return { type: 'stats', index, requires, values };
    }
    case 'file-compare':
      if (typeof body.filename !== 'string' || typeof body.expected !== 'string') {
        throw new Error(`checks[${index}]: file-compare: filename and expected must be strings`);
      }
      return { type: 'file-compare', index, requires, filename: body.filename, expected: body.expected };
    case 'shell':
      if (typeof body.args !== 'string') throw new Error(`checks[${index}]: shell: args must be a string`);
      return { type: 'shell', index, requires, command: body.args, expect: body.expect };
    default:
      throw new Error(`checks[${index}]: unknown check kind '${kind}'`);
  }
}

/** Parses the `checks:` list of a test.yaml. Throws on a malformed entry. */
export function parseChecks(list: unknown): Check[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error('checks: expected a list');
  return list.map((item, i) => parseOneCheck(item, i + 1));
}

/** Decoded lines of one output file. `lines[i]` is the 1-based line number of `events[i]`. */
export interface EventFile {
  events: unknown[];
  lines: number[];
}

/**
 * Output files of one run, each read and decoded at most once. The cache
 * belongs to one case. A file that is missing or not JSON fails the checks
 * that read it.
 */
export class OutputFolder {
  readonly outDir: string;
  readonly testDir: string;
  private readonly files = new Map<string, EventFile | Error>();

  constructor(outDir: string, testDir: string) {
    this.outDir = outDir;
    this.testDir = testDir;
  }

  /** Reads and decodes an output file of JSON lines, or returns the error. */
  readEvents(filename: string): EventFile | Error {
    const cached = this.files.get(filename);
    if (cached !== undefined) return cached;

    let result: EventFile | Error;
    try {
      result = decodeJsonLines(readFileSync(join(this.outDir, filename), 'utf8'), filename);
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') result = new Error(`${filename} was not written`);
    }
    this.files.set(filename, result);
    return result;
  }
}

/** Decodes JSON lines. Blank lines are skipped, and a line that is not JSON throws with its number. */
export function decodeJsonLines(text: string, filename: string): EventFile {
  const events: unknown[] = [];
  const lines: number[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].trim() === '') continue;
    try {
      events.push(JSON.parse(rows[i]));
    } catch {
      throw new Error(`${filename}:${i + 1} is not valid JSON`);
    }
    lines.push(i + 1);
  }
  return { events, lines };
}

/** Formats a value for a failure reason, cut at MAX_VALUE_CHARS. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 3)}...` : text;
}

function formatMatch(match: Record<string, unknown>): string {
  const entries = Object.entries(match);
  const shown = entries.slice(0, MAX_MATCH_ENTRIES_SHOWN).map(([key, value]) => `${key}: ${formatValue(value)}`);
  if (entries.length > MAX_MATCH_ENTRIES_SHOWN) shown.push(`${entries.length - MAX_MATCH_ENTRIES_SHOWN} more`);
  return shown.join(', ');
}

function describeTermMiss(term: MatchTerm, event: unknown): string {
  if (term.kind === 'has-key') return `${term.key} ${term.paths.join(', ')} missing`;
  if (term.kind === 'not-has-key') return `${term.key} ${term.paths.join(', ')} present`;
  return `${term.key} is ${formatValue(findValue(term.paths[0], event))}`;
}

/**
 * Finds the event that satisfies the most terms without matching them all,
 * and describes what it has in place of the failing terms.
 */
function describeClosestEvent(terms: MatchTerm[], file: EventFile, filename: string): string | null {
  let best = -1;
  let bestHeld = 0;
  for (let i = 0; i < file.events.length; i++) {
    let held = 0;
    for (const term of terms) {
      if (isTermMet(term, file.events[i])) held++;
    }
    if (held > bestHeld && held < terms.length) {
      best = i;
      bestHeld = held;
    }
  }
  if (best < 0) return null;

  const event = file.events[best];
  const misses = terms.filter((term) => !isTermMet(term, event));
  const shown = misses.slice(0, MAX_TERMS_SHOWN).map((term) => describeTermMiss(term, event));
  if (misses.length > MAX_TERMS_SHOWN) shown.push(`${misses.length - MAX_TERMS_SHOWN} more`);
  return `closest ${filename}:${file.lines[best]}: ${shown.join(', ')}`;
}

function judgeFilter(check: FilterCheck, output: OutputFolder): CheckOutcome {
  const file = output.readEvents(check.filename);
  if (file instanceof Error) return { ok: false, reason: `filter ${check.index}: ${file.message}` };

  const matchLines: number[] = [];
  for (let i = 0; i < file.events.length; i++) {
    if (isEventMatch(check.terms, file.events[i])) matchLines.push(file.lines[i]);
  }
  const found = matchLines.length;
  if (found === check.count) return { ok: true };

  let reason = `filter ${check.index}: expected ${check.count}, found ${found} {${formatMatch(check.match)}}`;
  if (found > 0) {
    const shown = matchLines.slice(0, MAX_MATCH_LINES_SHOWN).join(', ');
    const more = found > MAX_MATCH_LINES_SHOWN ? ', ...' : '';
    reason += `; matches at ${check.filename}:${shown}${more}`;
  }
  if (found < check.count) {
    const closest = describeClosestEvent(check.terms, file, check.filename);
    if (closest !== null) reason += `; ${closest}`;
  }
  return { ok: false, reason };
}

function judgeStats(check: StatsCheck, output: OutputFolder): CheckOutcome {
  const file = output.readEvents(EVE_FILENAME);
  if (file instanceof Error) return { ok: false, reason: `stats ${check.index}: ${file.message}` };

  let stats: unknown = undefined;
  for (const event of file.events) {
    if (isMapping(event) && event.event_type === 'stats') stats = event.stats;
  }
  if (stats === undefined) return { ok: false, reason: `stats ${check.index}: no stats event in ${EVE_FILENAME}` };

  for (const [key, expected] of Object.entries(check.values)) {
    const found = findValue(key, stats);
    if (!pythonEquals(found, expected)) {
      return {
        ok: false,
        reason: `stats ${check.index}: ${key} expected ${formatValue(expected)}, found ${formatValue(found)}`,
      };
    }
  }
  return { ok: true };
}

function judgeFileCompare(check: FileCompareCheck, output: OutputFolder): CheckOutcome {
  const label = `file-compare ${check.index}`;
  if (!isContainedPath(check.filename)) return { ok: false, reason: `${label}: filename '${check.filename}' leaves the output folder` };

  let written: Buffer;
  let expected: Buffer;
  try {
    expected = readFileSync(join(output.testDir, check.expected));
  } catch {
    return { ok: false, reason: `${label}: expected file ${check.expected} not found` };
  }
  try {
    written = readFileSync(join(output.outDir, check.filename));
  } catch {
    return { ok: false, reason: `${label}: ${check.filename} was not written` };
  }
  if (written.equals(expected)) return { ok: true };

  const writtenLines = written.toString('utf8').split('\n');
  const expectedLines = expected.toString('utf8').split('\n');
  let line = 0;
  while (line < writtenLines.length && writtenLines[line] === expectedLines[line]) line++;
  return {
    ok: false,
    reason: `${label}: ${check.filename} differs from ${check.expected} at line ${line + 1}: expected ${formatValue(
      expectedLines[line],
    )}, found ${formatValue(writtenLines[line])}`,
  };
}

/** Renders an `expect:` value as Python's str() does, as the suite compares text. */
function formatExpectText(expect: unknown): string {
  if (expect === true) return 'True';
  if (expect === false) return 'False';
  if (expect === null) return 'None';
  return String(expect);
}

function judgeShell(check: ShellCheck, output: OutputFolder): CheckOutcome {
  const result = runSimpleShell(check.command, output.outDir);
  if (result.kind === 'unsupported') return { ok: false, reason: 'check not supported: shell' };
  const label = `shell ${check.index}`;
  if (result.kind === 'error') return { ok: false, reason: `${label}: ${result.message}` };
  // As with a shell, a pipeline whose last command fails fails the check, with or without `expect:`.
  if (result.status !== 0) return { ok: false, reason: `${label}: '${check.command}' exited with ${result.status}` };
  if (check.expect === undefined) return { ok: true };

  const found = result.stdout.trim();
  const expected = formatExpectText(check.expect);
  if (found === expected) return { ok: true };
  return { ok: false, reason: `${label}: '${check.command}' expected ${formatValue(expected)}, found ${formatValue(found)}` };
}

/** Judges one check over the output folder of a run. */
export function judgeCheck(check: Check, output: OutputFolder): CheckOutcome {
  switch (check.type) {
    case 'filter':
      return judgeFilter(check, output);
    case 'stats':
      return judgeStats(check, output);
    case 'file-compare':
      return judgeFileCompare(check, output);
    case 'shell':
      return judgeShell(check, output);
  }
}
