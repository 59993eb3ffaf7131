/**
 * `kapu rules check FILE...`: loads rule files with the variables and
 * classification of a config (or the built-in defaults), builds the
 * detection engine, prints every diagnostic and a summary with the
 * prefilter's memory. Exit status 0 when every rule loaded, 1 when any rule
 * failed, 2 without files.
 */
import { resourceUsage } from 'node:process';
import { loadConfig } from '../config/load-config.js';
import { buildDetectEngine, buildThresholdEngine, loadRules } from '../engine/build-pipeline.js';
import { renderRulesCheckReport } from '../detect/rules-check.js';

/** Destination of the report: stdout, or a collector in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** Options of `kapu rules check`. */
export interface RulesCheckOptions {
  /** Config whose vars and classification-file apply, or null for the defaults. */
  configPath?: string | null;
  /** `--set key=value` overrides of the config. */
  sets?: string[];
}

/** Runs the check and writes the report to `out`; returns the exit status. */
export function runRulesCheck(files: string[], out: TextSink, options: RulesCheckOptions = {}): number {
  if (files.length === 0) {
    out.write('kapu rules check: no rule file given (usage: kapu rules check FILE...)\n');
    return 2;
  }
  const { config, warnings } = loadConfig(options.configPath ?? null, options.sets ?? []);
  const result = loadRules(config, files, warnings);

  const engineStarted = performance.now();
  const engine = buildDetectEngine(config, result, buildThresholdEngine(config, result, warnings));
  const engineMs = performance.now() - engineStarted;

  // maxRSS is in kilobytes.
  const peakRssBytes = resourceUsage().maxRSS * 1024;
  for (const warning of warnings) out.write(`warning: ${warning}\n`);
  out.write(renderRulesCheckReport(result, peakRssBytes));
  const matcherMiB = engine.memoryBytes() / 1048576;
  out.write(`detection engine: built in ${engineMs.toFixed(0)} ms, prefilter matchers ${matcherMiB.toFixed(1)} MiB\n`);
  const hasErrors = result.diagnostics.some((d) => d.severity === 'error');
  return hasErrors ? 1 : 0;
}
