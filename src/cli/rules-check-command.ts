/**
 * `kapu rules check FILE...`: loads rule files with the built-in variables
 * and classification, prints every diagnostic and a summary. Exit status 0
 * when every rule loaded, 1 when any rule failed, 2 without files.
 */
import { resourceUsage } from 'node:process';
import { loadRuleFiles } from '../detect/rule-files.js';
import { renderRulesCheckReport } from '../detect/rules-check.js';

/** Destination of the report: stdout, or a collector in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** Runs the check and writes the report to `out`; returns the exit status. */
export function runRulesCheck(files: string[], out: TextSink): number {
  if (files.length === 0) {
    out.write('kapu rules check: no rule file given (usage: kapu rules check FILE...)\n');
    return 2;
  }
  const result = loadRuleFiles(files);
  // maxRSS is in kilobytes.
  const peakRssBytes = resourceUsage().maxRSS * 1024;
  out.write(renderRulesCheckReport(result, peakRssBytes));
  const hasErrors = result.diagnostics.some((d) => d.severity === 'error');
  return hasErrors ? 1 : 0;
}
