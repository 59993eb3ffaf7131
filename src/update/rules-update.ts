/**
 * `kapu rules update`: reads every source, merges their rules, applies the
 * policy's rule filters and writes the merged ruleset in one file, through
 * a temporary file and a rename. A source that fails stops the update
 * before anything is written, so the current ruleset stays as it is.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { KapuConfig } from '../config/types.js';
import { applyRuleFilters, compileRuleFilters, type FilterOutcome } from '../detect/rule-filters.js';
import type { LoadedRules } from '../detect/rule-files.js';
import { loadRules } from '../engine/build-pipeline.js';
import { writeAtomically } from './download.js';
import { compareRulesets, mergeSources, renderRuleset, type Duplicate, type RulesetChanges } from './merge-rules.js';
import { readSource, type SourceRules, type SourceStatus } from './read-sources.js';
import type { RuleSourceSpec } from './source-spec.js';

/** Options of one update. */
export interface RulesUpdateOptions {
  config: KapuConfig;
  sources: readonly RuleSourceSpec[];
  /** Path of the merged ruleset. */
  outputPath: string;
  cacheDir: string;
  timeoutMs: number;
  ignore: readonly string[];
  maxDownloadBytes?: number;
}

/** The counts of one source. */
export interface SourceSummary {
  location: string;
  status: SourceStatus;
  files: number;
  rules: number;
}

/** The outcome of an update that read every source. */
export interface RulesUpdateResult {
  outputPath: string;
  /** True when the merged ruleset equals the file already there, which is then left as it is. */
  isUnchanged: boolean;
  sources: SourceSummary[];
  total: number;
  enabled: number;
  duplicates: Duplicate[];
  filters: FilterOutcome;
  changes: RulesetChanges;
  /** The load of the written ruleset, for its failures; null when it was not rewritten. */
  load: LoadedRules | null;
  warnings: string[];
}

/** Resolves a path of the rules-update section against default-rule-path. */
export function rulePathOf(config: KapuConfig, path: string): string {
  return isAbsolute(path) ? path : join(config.defaultRulePath, path);
}

/** Runs an update. Throws SourceError when a source fails, and Error when the ruleset cannot be written. */
export async function updateRules(options: RulesUpdateOptions): Promise<RulesUpdateResult> {
  const read: SourceRules[] = [];
  for (const spec of options.sources) {
    read.push(await readSource(spec, {
      cacheDir: options.cacheDir,
      timeoutMs: options.timeoutMs,
      ignore: options.ignore,
      ...(options.maxDownloadBytes === undefined ? {} : { maxDownloadBytes: options.maxDownloadBytes }),
    }));
  }

  const merged = mergeSources(read);
  const { filters } = compileRuleFilters(options.config.policy);
  const rules = merged.rules.map((m) => m.rule);
  const outcome = applyRuleFilters(rules, filters);
  const warnings = [...outcome.problems];
  const text = renderRuleset(rules, filters.fingerprint);

  const previous = readIfPresent(options.outputPath);
  const sources = read.map((source) => ({
    location: source.spec.location,
    status: source.status,
    files: source.files.length,
    rules: merged.rules.filter((m) => m.origin.startsWith(`source ${read.indexOf(source) + 1},`)).length,
  }));
  const result: RulesUpdateResult = {
    outputPath: options.outputPath,
    isUnchanged: previous === text,
    sources,
    total: rules.length,
    enabled: rules.filter((rule) => rule.isEnabled).length,
    duplicates: merged.duplicates,
    filters: outcome,
    changes: compareRulesets(previous, rules),
    load: null,
    warnings,
  };
  if (result.isUnchanged) return result;

  try {
    mkdirSync(dirname(options.outputPath), { recursive: true });
    writeAtomically(options.outputPath, text);
  } catch (err) {
    throw new Error(`${options.outputPath} cannot be written (${err instanceof Error ? err.message : String(err)}); the current ruleset is left as it is`);
  }
  result.load = loadRules(options.config, [options.outputPath], warnings);
  return result;
}

function readIfPresent(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
