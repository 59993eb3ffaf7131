/**
 * Merges the rule files of several sources into one ruleset, writes it as
 * text and compares it with the ruleset written before.
 */
import { basename } from 'node:path';
import { FINGERPRINT_PREFIX, GROUP_PREFIX, renderRule, scanRuleFile } from '../detect/rule-filters.js';
import { ruleKey, type FilterableRule } from '../detect/rule-matchers.js';
import type { SourceRules } from './read-sources.js';

/** A rule of the merged ruleset and where it came from. */
export interface MergedRule {
  rule: FilterableRule;
  /** `source N, PATH:LINE`. */
  origin: string;
}

/** A rule that a later source (or file) replaced. */
export interface Duplicate {
  key: string;
  replaced: string;
  by: string;
}

/** The merged rules in source order, and the duplicates that were replaced. */
export interface MergeResult {
  rules: MergedRule[];
  duplicates: Duplicate[];
}

/**
 * Merges `sources` in order. A rule whose gid:sid was seen before replaces
 * the earlier one and takes its place at the end, so the rules of each
 * file stay together. Rules without a sid are kept as they are.
 */
export function mergeSources(sources: readonly SourceRules[]): MergeResult {
  const byKey = new Map<string, MergedRule>();
  const duplicates: Duplicate[] = [];
  sources.forEach((source, index) => {
    for (const file of source.files) {
      const scan = scanRuleFile(file.content, basename(file.path));
      for (const entry of scan.entries) {
        const merged: MergedRule = { rule: entry.rule, origin: `source ${index + 1}, ${file.path}:${entry.firstLine + 1}` };
        const key = mergeKey(entry.rule);
        const earlier = byKey.get(key);
        if (earlier !== undefined) {
          duplicates.push({ key, replaced: earlier.origin, by: merged.origin });
          byKey.delete(key);
        }
        byKey.set(key, merged);
      }
    }
  });
  return { rules: [...byKey.values()], duplicates };
}

/** gid:sid of a rule, or its text when it has no sid. */
function mergeKey(rule: FilterableRule): string {
  return rule.sid >= 0 ? ruleKey(rule) : `text:${rule.text}`;
}

/**
 * Writes the merged ruleset: a header that records the filter
 * `fingerprint`, then each rule on one line, disabled rules commented out,
 * with a `# kapu-group:` line wherever the rule file changes.
 */
export function renderRuleset(rules: readonly FilterableRule[], fingerprint: string): string {
  const lines = [
    '# Written by kapu rules update, which replaces this file on every update.',
    '# Change rules with the policy filters (disable, enable, drop, modify) of the config.',
    `${FINGERPRINT_PREFIX}${fingerprint}`,
  ];
  let group: string | null = null;
  for (const rule of rules) {
    if (rule.group !== group) {
      group = rule.group;
      lines.push(`${GROUP_PREFIX}${group}`);
    }
    lines.push(renderRule(rule));
  }
  return `${lines.join('\n')}\n`;
}

/** Rules added, removed and changed between two rulesets, by gid:sid. */
export interface RulesetChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/**
 * Compares `next` with the ruleset text `previous` (null when there was
 * none). A rule changed when its line differs, which includes being
 * enabled or disabled.
 */
export function compareRulesets(previous: string | null, next: readonly FilterableRule[]): RulesetChanges {
  const before = new Map<string, string>();
  if (previous !== null) {
    for (const entry of scanRuleFile(previous, '').entries) before.set(mergeKey(entry.rule), renderRule(entry.rule));
  }
  const changes: RulesetChanges = { added: [], removed: [], changed: [] };
  const seen = new Set<string>();
  for (const rule of next) {
    const key = mergeKey(rule);
    seen.add(key);
    const line = before.get(key);
    if (line === undefined) changes.added.push(key);
    else if (line !== renderRule(rule)) changes.changed.push(key);
  }
  for (const key of before.keys()) if (!seen.has(key)) changes.removed.push(key);
  return changes;
}
