/**
 * The report of `kapu rules update`: what each source gave, the
 * duplicates replaced, the filters' effect, the rules added, removed and
 * changed since the last update, and the rules that fail to load.
 */
import { renderDiagnosticHeadline } from '../detect/diagnostics.js';
import type { RulesUpdateResult } from './rules-update.js';

/** Number of sids listed after each count; the rest are counted only. */
export const LISTED_SIDS = 10;

/** Number of load failures listed one by one. */
export const LISTED_FAILURES = 20;

const STATUS_WORDS = { downloaded: 'downloaded', 'not-modified': 'not modified (304), cached copy used', read: 'read' } as const;

/** Renders the report as lines, each ending in a newline. */
export function renderUpdateReport(result: RulesUpdateResult): string {
  const lines: string[] = [];
  result.sources.forEach((source, i) => {
    lines.push(`source ${i + 1}: ${source.location}: ${STATUS_WORDS[source.status]}, ${plural(source.files, 'file')}, ${plural(source.rules, 'rule')} kept`);
  });
  for (const d of result.duplicates) lines.push(`duplicate ${d.key}: ${d.by} replaces ${d.replaced}`);
  lines.push(`rules: ${result.total} (${result.enabled} enabled, ${result.total - result.enabled} disabled)`);
  const f = result.filters;
  lines.push(`filters: ${f.disabled.length} disabled, ${f.enabled.length} enabled, ${f.dropped.length} set to drop, ${f.modified.length} modified`);
  if (f.disabled.length > 0) lines.push(`  disabled: ${listSids(f.disabled)}`);
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);

  if (result.isUnchanged) {
    lines.push(`unchanged: ${result.outputPath} already holds this ruleset and is not rewritten`);
    return `${lines.join('\n')}\n`;
  }
  const c = result.changes;
  lines.push(`added: ${c.added.length}${c.added.length > 0 ? ` (${listSids(c.added)})` : ''}`);
  lines.push(`removed: ${c.removed.length}${c.removed.length > 0 ? ` (${listSids(c.removed)})` : ''}`);
  lines.push(`changed: ${c.changed.length}${c.changed.length > 0 ? ` (${listSids(c.changed)})` : ''}`);
  lines.push(`written: ${result.outputPath}`);

  const load = result.load;
  if (load !== null) {
    const errors = load.diagnostics.filter((d) => d.severity === 'error');
    lines.push(`load check: ${load.summary.loaded} loaded, ${load.summary.failed} failed, ${load.summary.commented} commented out`);
    for (const d of errors.slice(0, LISTED_FAILURES)) lines.push(`  ${renderDiagnosticHeadline(d)}`);
    if (errors.length > LISTED_FAILURES) lines.push(`  ... and ${errors.length - LISTED_FAILURES} more (kapu rules check ${result.outputPath} lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}

function listSids(keys: readonly string[]): string {
  const shown = keys.slice(0, LISTED_SIDS).join(', ');
  return keys.length > LISTED_SIDS ? `${shown}, ... ${keys.length - LISTED_SIDS} more` : shown;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
