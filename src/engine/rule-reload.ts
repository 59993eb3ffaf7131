/**
 * Rule reload of a running `kapu run -q` or `-i` on SIGUSR2. The rule
 * files, the rule variables, the classification, reference and threshold
 * files are read again, and a new detection engine is built beside the
 * running one. The pipeline swaps it in between two packets, so flows,
 * streams and app-layer state stay as they are.
 */
import { loadConfig } from '../config/load-config.js';
import type { KapuConfig } from '../config/types.js';
import { ErrorCode } from '../core/errors.js';
import { buildAppLayer, buildDetectEngine, buildThresholdEngine, loadRules, resolveRuleFiles } from './build-pipeline.js';
import type { RunPipeline, RunPipelineOptions } from './run-pipeline.js';
import { ThresholdActionRecorder } from './threshold-actions.js';

/** Config keys whose change a reload applies; a change to any other key needs a restart. */
// kapu's `policy` section is left out too: the run mode is fixed when the run starts,
// and its rule filters apply at each load. `rules-update` is read by kapu rules update only.
const RELOADED_KEYS: ReadonlySet<string> = new Set(['vars', 'defaultRulePath', 'ruleFiles', 'classificationFile', 'referenceConfigFile', 'thresholdFile', 'virtualPatches', 'policy', 'rulesUpdate']);

/** The result of one reload. */
export interface ReloadOutcome {
  /** True when the new rules run now; false when the old ones stay. */
  isApplied: boolean;
  /** One line for the log: the figures of the new rules, or why the old ones stay. */
  message: string;
  /** Changed config keys (dotted, as KapuConfig names them) that need a restart, each reported once. */
  restartKeys: string[];
  /** Warnings of the new load (threshold file lines, config), for the log. */
  warnings: string[];
}

/**
 * Reloads the rules of `run`, a run built with `opts`. `reported` contains the
 * config keys already reported as needing a restart and gets the new ones.
 * Never throws: a failure leaves the old rules in place and says why.
 */
export function reloadRules(run: RunPipeline, opts: RunPipelineOptions, reported: Set<string>): ReloadOutcome {
  const engine = run.engine;
  const warnings: string[] = [];
  let config: KapuConfig;
  try {
    const loaded = loadConfig(opts.configPath, opts.sets);
    warnings.push(...loaded.warnings);
    config = loaded.config;
  } catch (err) {
    return failed(`config cannot be read (${reasonOf(err)})`, warnings);
  }
  const restartKeys: string[] = [];
  for (const key of changedKeys(engine.config, config, '')) {
    if (reported.has(key)) continue;
    reported.add(key);
    restartKeys.push(key);
  }

  try {
    const requiresVersion = opts.requiresVersion === undefined ? undefined : opts.requiresVersion.split('.').map(Number);
    const files = resolveRuleFiles(config, opts.configPath !== null, opts.ruleFiles, opts.extraRuleFiles);
    const rules = loadRules(config, files, warnings, requiresVersion, engine.rules.variables);
    const unreadable = rules.diagnostics.find((d) => d.code === ErrorCode.RULE_FILE_NOT_READABLE);
    if (unreadable !== undefined) return { ...failed(`${unreadable.file}: ${unreadable.message}`, warnings), restartKeys };

    // Only the reloaded keys of the new config apply; the rest stays as the run started.
    const merged: KapuConfig = {
      ...engine.config,
      vars: config.vars,
      defaultRulePath: config.defaultRulePath,
      ruleFiles: config.ruleFiles,
      classificationFile: config.classificationFile,
      referenceConfigFile: config.referenceConfigFile,
      thresholdFile: config.thresholdFile,
      virtualPatches: config.virtualPatches,
    };
    const thresholds = buildThresholdEngine(merged, rules, warnings);
    const thresholdActions = new ThresholdActionRecorder(thresholds);
    const detect = buildDetectEngine(merged, rules, thresholdActions);
    const app = buildAppLayer(merged, engine.isIps, rules, thresholdActions, run.eve, merged.packetAlertMax, { ...process.env, ...opts.env });

    // The parsers' settings that depend on the rules stay as the run started.
    const running = run.pipeline.parts.app ?? null;
    if (running !== null && app.appInspect.usesPacketData && !running.keepsFedData) {
      warnings.push('app-layer rules that also inspect packet data (pkt_data) take effect after a restart');
    }
    if (running !== null && (app.app.httpConfig.fileHashes & ~running.httpConfig.fileHashes) !== 0) {
      warnings.push('rules with filemd5, filesha1 or filesha256 need file hashes that are computed after a restart');
    }
    run.pipeline.swapDetection({ detect, thresholdActions, appInspect: app.appInspect, frameInspect: app.frameInspect, frameConfig: app.app.frameConfig });
    for (const writer of run.eve) writer.setVariableNames(rules.variables);
    engine.config = merged;
    engine.rules = rules;
    engine.rulesLoadedUs = Date.now() * 1000;
    engine.thresholds = thresholds;
    engine.thresholdActions = thresholdActions;
    engine.detect = detect;
    const { loaded, failed: failedCount, skipped } = rules.summary;
    return { isApplied: true, message: `rules reloaded: ${loaded} loaded, ${failedCount} failed, ${skipped} skipped`, restartKeys, warnings };
  } catch (err) {
    return { ...failed(reasonOf(err), warnings), restartKeys };
  }
}

function failed(reason: string, warnings: string[]): ReloadOutcome {
  return { isApplied: false, message: `rule reload failed, the old rules stay: ${reason}`, restartKeys: [], warnings };
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Returns the dotted paths under `prefix` where `before` and `after`
 * differ, leaving out the reloaded top-level keys. Objects are compared
 * member by member, arrays and scalars as a whole.
 */
export function changedKeys(before: unknown, after: unknown, prefix: string): string[] {
  if (isRecord(before) && isRecord(after)) {
    const out: string[] = [];
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) {
      if (prefix === '' && RELOADED_KEYS.has(key)) continue;
      out.push(...changedKeys(before[key], after[key], prefix === '' ? key : `${prefix}.${key}`));
    }
    return out;
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes the outcome of a reload to stderr: one line with the result, one
 * per config key that needs a restart, and the load's warnings unless
 * `quiet`. `trigger` names what requested the reload.
 */
export function logReload(outcome: ReloadOutcome, quiet: boolean, trigger = 'SIGUSR2 received'): void {
  if (!quiet) for (const warning of outcome.warnings) process.stderr.write(`kapu: warning: ${warning}\n`);
  for (const key of outcome.restartKeys) process.stderr.write(`kapu: warning: config key '${key}' changed and needs a restart; the reload did not apply it\n`);
  process.stderr.write(`kapu: ${trigger}, ${outcome.message}\n`);
}
