/**
 * `kapu rules update`: updates the merged ruleset from the configured
 * sources (or `--source`), prints the report and, when the ruleset
 * changed, requests a reload from a running kapu through its control socket.
 * Exit status: 0 done (also when unchanged or when kapu is not running),
 * 1 a source failed, the ruleset cannot be written or the reload failed,
 * 2 no source.
 */
import { isAbsolute, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { ErrorCode } from '../core/errors.js';
import { resolveRuleFiles } from '../engine/build-pipeline.js';
import { ControlConnectError, sendControlRequest, socketPathFromConfig, type TextSink } from './control-socket.js';
import { SourceError } from '../update/read-sources.js';
import { rulePathOf, updateRules } from '../update/rules-update.js';
import { sourceSpecOf, type RuleSourceSpec } from '../update/source-spec.js';
import { renderUpdateReport } from '../update/update-report.js';

/** Options of `kapu rules update`. */
export interface RulesUpdateCommandOptions {
  configPath: string | null;
  sets: string[];
  /** `--source` values; when any is given they replace rules-update.sources. */
  sources: string[];
  /** `--checksum`: check each `--source` URL against `<url>.md5`. */
  isChecksumChecked: boolean;
  output: string | null;
  cacheDir: string | null;
  /** Seconds; rules-update.timeout when null. */
  timeoutS: number | null;
  isReloadWanted: boolean;
  /** Control socket of the running kapu; found from the config when null. */
  socket: string | null;
  logDir: string | null;
  /** Body size limit of a download in bytes; rules-update.max-download-size when absent. */
  maxDownloadBytes?: number;
}

/** Exit statuses of `kapu rules update`. */
export const UpdateExitStatus = {
  OK: 0,
  FAILED: 1,
  BAD_USAGE: 2,
} as const;

/** Runs the update and writes the report to `out` and problems to `err`; returns the exit status. */
export async function runRulesUpdate(options: RulesUpdateCommandOptions, out: TextSink, err: TextSink): Promise<number> {
  const { config, warnings } = loadConfig(options.configPath, options.sets);
  for (const warning of warnings) err.write(`kapu: warning: ${warning}\n`);

  let sources: readonly RuleSourceSpec[] = config.rulesUpdate.sources;
  if (options.sources.length > 0) {
    const given: RuleSourceSpec[] = [];
    for (const location of options.sources) {
      const spec = sourceSpecOf(location, options.isChecksumChecked && /^https?:/i.test(location) ? 'yes' : null);
      if (typeof spec === 'string') {
        err.write(`kapu rules update: --source ${spec}\n`);
        return UpdateExitStatus.BAD_USAGE;
      }
      given.push(spec);
    }
    sources = given;
  }
  if (sources.length === 0) {
    err.write('kapu rules update: no source: list them in rules-update.sources of the config, or give --source URL or --source PATH\n');
    return UpdateExitStatus.BAD_USAGE;
  }

  const outputPath = resolve(options.output ?? rulePathOf(config, config.rulesUpdate.output));
  let result;
  try {
    result = await updateRules({
      config,
      sources,
      outputPath,
      cacheDir: options.cacheDir ?? rulePathOf(config, config.rulesUpdate.cacheDir),
      timeoutMs: (options.timeoutS ?? config.rulesUpdate.timeout) * 1000,
      ignore: config.rulesUpdate.ignore,
      maxDownloadBytes: options.maxDownloadBytes ?? config.rulesUpdate.maxDownloadSize,
    });
  } catch (failure) {
    const isSource = failure instanceof SourceError;
    const code = isSource ? ErrorCode.UPDATE_SOURCE_FAILED : ErrorCode.UPDATE_WRITE_FAILED;
    const message = failure instanceof Error ? failure.message : String(failure);
    const kept = isSource ? '; the current ruleset is left as it is' : '';
    err.write(`kapu rules update: ${message}${kept} [${code}]\n`);
    return UpdateExitStatus.FAILED;
  }
  out.write(renderUpdateReport(result));

  if (options.configPath !== null && !resolveRuleFiles(config, true, null, []).map((file) => resolve(file)).includes(outputPath)) {
    err.write(`kapu: warning: rule-files of the config do not list ${outputPath}, so kapu does not load it; add it to rule-files\n`);
  }
  if (result.isUnchanged) return UpdateExitStatus.OK;
  if (!options.isReloadWanted) {
    out.write('reload: skipped (--no-reload)\n');
    return UpdateExitStatus.OK;
  }
  const socket = options.socket ?? socketPathFromConfig(options.configPath, options.sets, options.logDir);
  return requestReload(isAbsolute(socket) ? socket : resolve(socket), out, err);
}

/** Asks the kapu listening on `socket` to reload; a kapu that is not running is no failure. */
async function requestReload(socket: string, out: TextSink, err: TextSink): Promise<number> {
  try {
    const answer = await sendControlRequest(socket, { command: 'reload-rules' });
    if (answer.return === 'OK') {
      out.write(`reload: kapu reloaded its rules ${JSON.stringify(answer.message)}\n`);
      return UpdateExitStatus.OK;
    }
    err.write(`kapu rules update: the running kapu did not reload: ${String(answer.message)}\n`);
    return UpdateExitStatus.FAILED;
  } catch (failure) {
    if (failure instanceof ControlConnectError) {
      out.write(`reload: no kapu listens on ${socket} (${failure.message}); the new rules load when kapu starts or reloads\n`);
      return UpdateExitStatus.OK;
    }
    err.write(`kapu rules update: reload through ${socket} failed: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    return UpdateExitStatus.FAILED;
  }
}
