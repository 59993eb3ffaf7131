/**
 * Resolving one suricata-verify test folder into what a capture run needs:
 * the pcap, the rules, the config, the options from `args:` and `env:`, and
 * the parsed checks. The resolution follows the suite's own runner, as the
 * test.yaml format expects.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDocument, visit } from 'yaml';

import type { RunOptions } from './run-options.js';
import { parseChecks, type Check } from './verify-checks.js';
import { parseVersion } from './verify-requires.js';

/** The test descriptor file that marks a folder as a case. */
export const TEST_YAML = 'test.yaml';

/** A rules file that loads only on Suricata N or newer: `min7.rules`. */
const MIN_VERSION_RULES = /^min(\d+)\.rules$/;

/** Top-level test.yaml keys that kapu verify cannot honour. A case with one fails and names the key. */
const UNSUPPORTED_KEYS = ['command', 'pre-check'] as const;

/** A case folder to run, as found on disk or listed in MANIFEST.json. */
export interface CaseEntry {
  /** Name shown in the output: the folder relative to the folder given. */
  name: string;
  /** Absolute path of the folder that contains test.yaml. */
  dir: string;
  /** Capture path from MANIFEST.json (absolute), used when `pcap:` does not resolve. */
  manifestPcapPath: string | null;
  /** Folder with classification.config and reference.config passed to every run, or null. */
  etcDir: string | null;
}

/** A case folder resolved into run inputs and checks. */
export interface VerifyCase {
  name: string;
  dir: string;
  /** Test-level `requires:` mapping, or null. */
  requires: unknown;
  /** Test-level `skip:` list, or null. */
  skip: unknown;
  /** Capture to read, or null when the folder has none. */
  pcapPath: string | null;
  /** Rules files to load with `-S`. An empty list loads no rules. */
  ruleFiles: string[];
  /** The folder's suricata.yaml, or null for kapu's built-in defaults. */
  configPath: string | null;
  /** `args:` as separate words. */
  args: string[];
  env: Record<string, string>;
  /** True when the folder name contains `ips`, which runs the case in IPS mode. */
  isIpsByName: boolean;
  checks: Check[];
  /** test.yaml keys that kapu verify cannot honour (`command`, `pre-check`). */
  unsupportedKeys: string[];
  /** Number of runs the suite makes (`count:`). kapu runs once, because its output does not vary between runs. */
  runCount: number;
}

/** Options of a run that come from a case's `args:`. */
export interface MappedArgs {
  checksumMode: RunOptions['checksumMode'];
  mode: RunOptions['mode'];
  sets: string[];
  /** Words that kapu ignores on purpose (`--runmode`). */
  ignored: string[];
  /** Words that kapu verify does not know. They are reported and left out. */
  unsupported: string[];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Splits `args:` (a list of strings, or one string) into words, as the suite does. */
export function splitArgs(args: unknown): string[] {
  if (args === undefined || args === null) return [];
  const items = Array.isArray(args) ? args : [args];
  const words: string[] = [];
  for (const item of items) {
    for (const word of String(item).split(/\s+/)) {
      if (word.length > 0) words.push(word);
    }
  }
  return words;
}

/**
 * Maps Suricata command-line words to run options: `-k none|all`,
 * `--simulate-ips`, `--set key=value` (with `${TEST_DIR}` replaced by the
 * test folder) and `--runmode` (ignored: kapu's results do not depend on
 * the run mode). Every other word is returned as unsupported.
 */
export function mapArgs(words: string[], testDir: string): MappedArgs {
  const mapped: MappedArgs = { checksumMode: null, mode: null, sets: [], ignored: [], unsupported: [] };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const next = words[i + 1];
    if (word === '-k' && (next === 'none' || next === 'all')) {
      mapped.checksumMode = next;
      i++;
    } else if (word === '--simulate-ips') {
      mapped.mode = 'ips';
    } else if (word === '--set' && next !== undefined && next.includes('=')) {
      mapped.sets.push(next.replaceAll('${TEST_DIR}', testDir));
      i++;
    } else if (word.startsWith('--set=') && word.slice(6).includes('=')) {
      mapped.sets.push(word.slice(6).replaceAll('${TEST_DIR}', testDir));
    } else if (word.startsWith('--runmode=')) {
      mapped.ignored.push(word);
    } else if (word === '--runmode' && next !== undefined) {
      mapped.ignored.push(`${word} ${next}`);
      i++;
    } else {
      mapped.unsupported.push(word);
    }
  }
  return mapped;
}

function listFiles(dir: string, isWanted: (name: string) => boolean): string[] {
  return readdirSync(dir)
    .filter(isWanted)
    .sort();
}

/**
 * Finds the capture of a case: `pcap:` relative to the folder, else the one
 * *.pcap or *.pcapng in it. A `pcap:` path that does not exist falls back
 * to the path from MANIFEST.json, then to the same path one level lower
 * (the corpus keeps the suite's top-level pcaps/ folder inside itself).
 */
export function resolvePcap(dir: string, pcap: unknown, manifestPcapPath: string | null): string | null {
  if (pcap === false) return null;
  if (typeof pcap === 'string') {
    const direct = resolve(dir, pcap);
    if (existsSync(direct)) return direct;
    if (manifestPcapPath !== null && existsSync(manifestPcapPath)) return manifestPcapPath;
    if (pcap.startsWith('../')) {
      const lower = resolve(dir, pcap.slice(3));
      if (existsSync(lower)) return lower;
    }
    throw new Error(`pcap: ${pcap} not found`);
  }
  if (pcap !== undefined && pcap !== null) throw new Error('pcap: expected a path');

  const found = listFiles(dir, (name) => name.endsWith('.pcap') || name.endsWith('.pcapng'));
  if (found.length > 1) throw new Error(`several captures in the folder (${found.join(', ')}); name one with pcap:`);
  if (found.length === 1) return join(dir, found[0]);
  if (manifestPcapPath !== null && existsSync(manifestPcapPath)) return manifestPcapPath;
  return null;
}

/**
 * Finds the rules of a case: `rules:` relative to the folder, else the one
 * *.rules file in it. `minN.rules` counts only when the followed version is
 * N or newer. When several rules files remain, the `minN.rules` with the
 * highest N wins.
 */
export function resolveRules(dir: string, rules: unknown, version: string): string[] {
  if (typeof rules === 'string') return [resolve(dir, rules)];
  if (Array.isArray(rules)) return rules.map((r) => resolve(dir, String(r)));
  if (rules !== undefined && rules !== null) throw new Error('rules: expected a path');

  const major = parseVersion(version)?.[0] ?? 0;
  let bestMin = -1;
  let bestMinFile: string | null = null;
  const plain: string[] = [];
  for (const name of listFiles(dir, (n) => n.endsWith('.rules'))) {
    const m = MIN_VERSION_RULES.exec(name);
    if (m === null) {
      plain.push(name);
    } else if (Number(m[1]) <= major && Number(m[1]) > bestMin) {
      bestMin = Number(m[1]);
      bestMinFile = name;
    }
  }
  if (bestMinFile !== null) return [join(dir, bestMinFile)];
  if (plain.length > 1) throw new Error(`several rules files in the folder (${plain.join(', ')}); name one with rules:`);
  return plain.map((name) => join(dir, name));
}

function readEnv(env: unknown): Record<string, string> {
  if (env === undefined || env === null) return {};
  if (!isMapping(env)) throw new Error('env: expected a mapping');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) out[key] = String(value);
  return out;
}

/** Plain scalars that YAML 1.1 reads as not-a-number. */
const YAML_NAN = /^[-+]?\.(?:nan|NaN|NAN)$/;

/**
 * Parses test.yaml text as the suite's runner reads it: YAML 1.1 (so `yes`
 * is true and `010` is 8), and a repeated key keeps its last value.
 */
export function parseTestYaml(text: string): Record<string, unknown> {
  const document = parseDocument(text, { version: '1.1', uniqueKeys: false });
  if (document.errors.length > 0) throw new Error(`test.yaml: ${document.errors[0].message}`);

  // The yaml package reads a lone '.' as a float (NaN), but PyYAML, which
  // the suite's runner uses, reads it as the string '.'.
  visit(document, {
    Scalar(_key, node) {
      if (Number.isNaN(node.value) && typeof node.source === 'string' && !YAML_NAN.test(node.source)) {
        node.value = node.source;
      }
    },
  });
  const doc: unknown = document.toJS();
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc)) throw new Error('test.yaml: expected a mapping at the top level');
  return doc;
}

/**
 * Loads and resolves a case folder. Throws with the problem when test.yaml
 * is malformed or names a file that does not exist.
 */
export function loadCase(entry: CaseEntry, version: string): VerifyCase {
  const yamlPath = join(entry.dir, TEST_YAML);
  const doc = parseTestYaml(readFileSync(yamlPath, 'utf8'));
  const configPath = join(entry.dir, 'suricata.yaml');

  return {
    name: entry.name,
    dir: entry.dir,
    requires: doc.requires ?? null,
    skip: doc.skip ?? null,
    pcapPath: resolvePcap(entry.dir, doc.pcap, entry.manifestPcapPath),
    ruleFiles: resolveRules(entry.dir, doc.rules, version),
    configPath: existsSync(configPath) ? configPath : null,
    args: splitArgs(doc.args),
    env: readEnv(doc.env),
    isIpsByName: basename(entry.dir).includes('ips'),
    checks: parseChecks(doc.checks),
    unsupportedKeys: UNSUPPORTED_KEYS.filter((key) => Object.hasOwn(doc, key)),
    runCount: typeof doc.count === 'number' ? doc.count : 1,
  };
}

/** Builds the capture-run options of a resolved case. `etcDir` adds the suite's classification and reference files. */
export function buildRunOptions(testCase: VerifyCase, logDir: string, etcDir: string | null): RunOptions {
  if (testCase.pcapPath === null) throw new Error('no capture to read');
  const mapped = mapArgs(testCase.args, testCase.dir);
  const sets: string[] = [];
  if (etcDir !== null) {
    sets.push(`classification-file=${join(etcDir, 'classification.config')}`);
    sets.push(`reference-config-file=${join(etcDir, 'reference.config')}`);
  }
  sets.push(...mapped.sets);

  return {
    pcapPath: testCase.pcapPath,
    configPath: testCase.configPath,
    ruleFiles: testCase.ruleFiles,
    extraRuleFiles: [],
    logDir,
    checksumMode: mapped.checksumMode,
    sets,
    mode: testCase.isIpsByName ? 'ips' : mapped.mode,
    env: testCase.env,
    quiet: true,
  };
}

/** Folder levels searched above a case for the suite's `etc/` folder. */
const MAX_ETC_SEARCH_LEVELS = 8;

/**
 * Finds the suite's `etc/` folder (with classification.config) in the case
 * folder or up to MAX_ETC_SEARCH_LEVELS above it, never at the file-system
 * root, whose /etc belongs to the system.
 */
export function findEtcDir(caseDir: string): string | null {
  let dir = resolve(caseDir);
  for (let level = 0; level <= MAX_ETC_SEARCH_LEVELS; level++) {
    const parent = dirname(dir);
    if (parent === dir) return null;
    if (existsSync(join(dir, 'etc', 'classification.config'))) return join(dir, 'etc');
    dir = parent;
  }
  return null;
}
