/**
 * The report of `kapu rules check`: every diagnostic, then a summary with
 * the counts of loaded, failed and commented rules, the failures grouped by
 * reason, and the load time.
 */
import { renderDiagnostic } from './diagnostics.js';
import type { LoadedRules, LoadSummary } from './rule-files.js';

/** Renders the summary block. */
export function renderLoadSummary(summary: LoadSummary, peakRssBytes: number): string {
  const lines: string[] = [];
  // Skipped rules (unmet `requires`) are named only when there are some.
  const skipped = summary.skipped > 0 ? `${summary.skipped} skipped, ` : '';
  lines.push(`rules: ${summary.loaded} loaded, ${summary.failed} failed, ${skipped}${summary.commented} commented out, ${summary.warnings} warnings, from ${summary.files} file${summary.files === 1 ? '' : 's'}`);
  if (summary.failuresByReason.length > 0) {
    lines.push('failures by reason:');
    const width = String(summary.failuresByReason[0].count).length;
    for (const r of summary.failuresByReason) {
      lines.push(`  ${String(r.count).padStart(width)}  ${r.reason} [${r.code}]`);
    }
  }
  lines.push(`load time: ${summary.elapsedMs.toFixed(0)} ms, peak memory (RSS): ${(peakRssBytes / 1048576).toFixed(0)} MiB`);
  return lines.join('\n');
}

/** Renders the whole report: diagnostics first, then the summary. */
export function renderRulesCheckReport(result: LoadedRules, peakRssBytes: number): string {
  const parts: string[] = [];
  for (const d of result.diagnostics) parts.push(renderDiagnostic(d));
  parts.push(renderLoadSummary(result.summary, peakRssBytes));
  return parts.join('\n') + '\n';
}
