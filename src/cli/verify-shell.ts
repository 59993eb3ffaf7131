/**
 * Evaluates the few `shell:` check commands that count or look for lines of
 * an output file, without starting a shell: `cat FILE | wc -l | xargs`,
 * `wc -l < FILE`, `grep [-c] [-v] [-i] [-F] TEXT FILE` and pipelines of
 * these. Anything else (other programs, redirections, variables, globs,
 * regular expressions) is reported as unsupported, and the check fails with
 * "check not supported: shell".
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** Result of evaluating a command. */
export type ShellResult =
  | { kind: 'ok'; stdout: string; status: number }
  | { kind: 'unsupported' }
  | { kind: 'error'; message: string };

/** Characters that need a real shell when they appear outside quotes. */
const SHELL_SYNTAX = new Set([';', '&', '$', '`', '>', '(', ')', '*', '?', '[', ']', '{', '}', '~', '\\', '\n']);
/** Characters that make a grep pattern a regular expression rather than text. */
const REGEX_SYNTAX = /[.[\]*^$\\+?(){}|]/;

/** Splits a command into pipeline stages of words, or null when it needs a shell. */
export function splitPipeline(command: string): string[][] | null {
  const stages: string[][] = [[]];
  let word: string | null = null;
  let quote: string | null = null;

  for (const ch of command) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word = (word ?? '') + ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      word = word ?? '';
    } else if (ch === ' ' || ch === '\t' || ch === '|') {
      if (word !== null) stages[stages.length - 1].push(word);
      word = null;
      if (ch === '|') stages.push([]);
    } else if (SHELL_SYNTAX.has(ch)) {
      return null;
    } else {
      word = (word ?? '') + ch;
    }
  }
  // A double-quoted `$` was taken above as text, but a shell would expand it.
  if (quote !== null || command.includes('$')) return null;
  if (word !== null) stages[stages.length - 1].push(word);
  if (stages.some((stage) => stage.length === 0)) return null;
  return stages;
}

/** Tells whether a relative path stays inside its folder. */
export function isContainedPath(path: string): boolean {
  return path.length > 0 && !isAbsolute(path) && !path.split(/[\\/]/).includes('..');
}

interface StageOutput {
  stdout: string;
  status: number;
}

function countLines(text: string): number {
  let lines = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) lines++;
  }
  return lines;
}

/** Reads a file of the output folder as the shell would: missing gives no input and status 1. */
function readOutputFile(outDir: string, name: string): StageOutput | Error {
  if (!isContainedPath(name)) return new Error(`path '${name}' leaves the output folder`);
  try {
    return { stdout: readFileSync(join(outDir, name), 'latin1'), status: 0 };
  } catch {
    return { stdout: '', status: 1 };
  }
}

function runWc(args: string[], input: string, outDir: string): StageOutput | Error | null {
  if (args[0] !== '-l') return null;
  if (args.length === 1) return { stdout: `${countLines(input)}\n`, status: 0 };
  if (args.length === 3 && args[1] === '<') {
    const file = readOutputFile(outDir, args[2]);
    if (file instanceof Error || file.status !== 0) return file;
    return { stdout: `${countLines(file.stdout)}\n`, status: 0 };
  }
  if (args.length === 2) {
    const file = readOutputFile(outDir, args[1]);
    if (file instanceof Error || file.status !== 0) return file;
    return { stdout: `${countLines(file.stdout)} ${args[1]}\n`, status: 0 };
  }
  return null;
}

function runGrep(args: string[], input: string, outDir: string): StageOutput | Error | null {
  let isCount = false;
  let isInverted = false;
  let isFixed = false;
  let isCaseless = false;
  let i = 0;
  for (; i < args.length && args[i].startsWith('-') && args[i].length > 1; i++) {
    for (const flag of args[i].slice(1)) {
      if (flag === 'c') isCount = true;
      else if (flag === 'v') isInverted = true;
      else if (flag === 'F') isFixed = true;
      else if (flag === 'i') isCaseless = true;
      else return null;
    }
  }
  const rest = args.slice(i);
  if (rest.length < 1 || rest.length > 2) return null;
  const pattern = rest[0];
  if (!isFixed && REGEX_SYNTAX.test(pattern)) return null;

  let text = input;
  if (rest.length === 2) {
    const file = readOutputFile(outDir, rest[1]);
    if (file instanceof Error) return file;
    if (file.status !== 0) return { stdout: '', status: 2 };
    text = file.stdout;
  }

  const needle = isCaseless ? pattern.toLowerCase() : pattern;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const selected = lines.filter((line) => (isCaseless ? line.toLowerCase() : line).includes(needle) !== isInverted);
  const status = selected.length > 0 ? 0 : 1;
  if (isCount) return { stdout: `${selected.length}\n`, status };
  return { stdout: selected.map((line) => `${line}\n`).join(''), status };
}

function runStage(words: string[], input: string, isFirst: boolean, outDir: string): StageOutput | Error | null {
  const [program, ...args] = words;
  switch (program) {
    case 'cat': {
      if (!isFirst || args.length === 0 || args.includes('<')) return null;
      let stdout = '';
      let status = 0;
      for (const name of args) {
        const file = readOutputFile(outDir, name);
        if (file instanceof Error) return file;
        stdout += file.stdout;
        status = Math.max(status, file.status);
      }
      return { stdout, status };
    }
    case 'wc':
      return runWc(args, input, outDir);
    case 'grep':
      return runGrep(args, input, outDir);
    case 'xargs': {
      if (args.length > 0) return null;
      const words = input.split(/\s+/).filter((w) => w.length > 0);
      return { stdout: `${words.join(' ')}\n`, status: 0 };
    }
    default:
      return null;
  }
}

/**
 * Evaluates a shell check command in the output folder. File names must
 * stay inside that folder. The status is that of the last stage, as in a
 * shell pipeline.
 */
export function runSimpleShell(command: string, outDir: string): ShellResult {
  const stages = splitPipeline(command);
  if (stages === null) return { kind: 'unsupported' };

  let output: StageOutput = { stdout: '', status: 0 };
  for (let i = 0; i < stages.length; i++) {
    const next = runStage(stages[i], output.stdout, i === 0, outDir);
    if (next === null) return { kind: 'unsupported' };
    if (next instanceof Error) return { kind: 'error', message: next.message };
    output = next;
  }
  return { kind: 'ok', stdout: output.stdout, status: output.status };
}
