/**
 * Loads rule files into signatures. Every rule that cannot run is reported
 * as a diagnostic (file, line, column, code, sid, message) and the rest
 * still load. Duplicate gid:sid pairs are resolved as Suricata does: the
 * signature with the higher rev stays, and on equal revs the first one.
 */
import { markDetectionOnlyRules } from '../app/app-keywords.js';
import { readFileSync } from 'node:fs';
import { ErrorCode } from '../core/errors.js';
import { AddressCompiler } from './address.js';
import { loadClassificationConfig, loadReferenceConfig, type ClassificationTable, type ReferenceTable } from './classification.js';
import { FlowbitCheck, FlowbitUpdate } from './keywords/flowbits.js';
import { PortCompiler } from './port.js';
import { splitRuleLines } from './rule-lexer.js';
import { DEFAULT_KEYWORDS, parseRule, VariableIds, type ParseContext } from './rule-parser.js';
import type { KeywordDef, RuleDiagnostic, Signature } from './signature.js';
import { RuleVariables, type RuleVariablesConfig } from './variables.js';

/** Options of loadRuleFiles; every field has a default. */
export interface LoadRulesOptions {
  /** Rule variables, or the config's `vars` section; Suricata's defaults when absent. */
  vars?: RuleVariables | RuleVariablesConfig;
  /** Parsed classification.config; read from `classificationFile` or the built-in one when absent. */
  classification?: ClassificationTable;
  /** Path of a classification.config (config key classification-file). */
  classificationFile?: string;
  /** Parsed reference.config; read from `referenceFile` or the built-in one when absent. */
  references?: ReferenceTable;
  /** Path of a reference.config (config key reference-config-file). */
  referenceFile?: string;
  /** Keyword table; the registry's when absent. */
  keywords?: ReadonlyMap<string, KeywordDef>;
  /** Version that `requires: version` is judged against (major, minor, patch); the followed version when absent. */
  requiresVersion?: readonly number[] | undefined;
  /**
   * Flowbit, flowint, xbit and hostbit ids of an earlier load, which this
   * load extends, so that names keep their ids when rules are reloaded
   * and the flows' variables keep their meaning; fresh ids when absent.
   */
  variableIds?: VariableIds;
  /** Rewrites each file's text before it is parsed (the policy's rule filters); the text as read when absent. */
  rewriteRules?: (content: string, file: string) => string;
}

/** Counts of one load. */
export interface LoadSummary {
  files: number;
  loaded: number;
  failed: number;
  /** Rules skipped without an error, such as rules whose `requires` is not met. */
  skipped: number;
  /** Rules disabled with a leading `#`. */
  commented: number;
  /** Failed rules by reason (the first error of each rule), most frequent first. */
  failuresByReason: Array<{ reason: string; code: string; count: number }>;
  warnings: number;
  elapsedMs: number;
}

/** The result of loadRuleFiles. */
export interface LoadedRules {
  signatures: Signature[];
  diagnostics: RuleDiagnostic[];
  summary: LoadSummary;
  /** Flowbit, flowint, xbit and hostbit ids by name. */
  variables: VariableIds;
  classification: ClassificationTable;
  references: ReferenceTable;
}

/** Short reason of a failure, for grouping: the keyword or protocol and the code. */
export function failureReason(d: RuleDiagnostic): string {
  if (d.code === ErrorCode.RULE_UNSUPPORTED || d.code === ErrorCode.RULE_UNKNOWN_KEYWORD) {
    // Header problems have no keyword; their message quotes the protocol.
    const quoted = /'([^']+)'/.exec(d.message);
    let subject = d.message;
    if (d.keyword !== null) subject = `keyword '${d.keyword}'`;
    else if (quoted !== null) subject = `protocol '${quoted[1]}'`;
    return d.code === ErrorCode.RULE_UNSUPPORTED ? `${subject} not supported yet` : `unknown ${subject}`;
  }
  if (d.code === ErrorCode.RULE_DUPLICATE_SID) return 'duplicate sid';
  // Other codes read as words: KAPU_ERR_RULE_BAD_VALUE becomes "bad value".
  const problem = d.code.replace(/^KAPU_ERR_RULE_/, '').toLowerCase().replace(/_/g, ' ');
  return d.keyword !== null ? `'${d.keyword}': ${problem}` : d.message.replace(/'[^']*'/g, "'...'");
}

/** Loads `files` in order and returns the signatures, the diagnostics and a summary. */
export function loadRuleFiles(files: string[], options: LoadRulesOptions = {}): LoadedRules {
  return loadRuleSources(files.map((file) => ({ file, content: null })), options);
}

/** Loads rules given as text; `file` names them in diagnostics. */
export function loadRulesFromText(content: string, file: string, options: LoadRulesOptions = {}): LoadedRules {
  return loadRuleSources([{ file, content }], options);
}

/** One source of rules: a file to read (`content` null) or text already in memory. */
interface RuleSource {
  file: string;
  content: string | null;
}

function loadRuleSources(sources: RuleSource[], options: LoadRulesOptions): LoadedRules {
  const started = process.hrtime.bigint();
  const vars = options.vars instanceof RuleVariables ? options.vars : new RuleVariables(options.vars ?? {});
  const classification = options.classification ?? loadClassificationConfig(options.classificationFile ?? null);
  const references = options.references ?? loadReferenceConfig(options.referenceFile ?? null);
  const ctx: ParseContext = {
    addresses: new AddressCompiler(vars),
    ports: new PortCompiler(vars),
    classifications: classification,
    variables: options.variableIds ?? new VariableIds(),
    keywords: options.keywords ?? DEFAULT_KEYWORDS,
    requiresVersion: options.requiresVersion,
  };

  const diagnostics: RuleDiagnostic[] = [];
  const reasons = new Map<string, { code: string; count: number }>();
  const countFailure = (d: RuleDiagnostic): void => {
    const reason = failureReason(d);
    const entry = reasons.get(reason);
    if (entry === undefined) reasons.set(reason, { code: d.code, count: 1 });
    else entry.count++;
  };

  let slots: Array<Signature | null> = [];
  const bySid = new Map<string, number>();
  let commented = 0;
  let failed = 0;
  let skipped = 0;

  for (const { file, content: given } of sources) {
    let content: string;
    try {
      content = given ?? readFileSync(file, 'utf8');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const d: RuleDiagnostic = { severity: 'error', code: ErrorCode.RULE_FILE_NOT_READABLE, file, line: 0, column: 0, length: 0, sid: null, keyword: null, text: '', message: `rule file cannot be read: ${reason}` };
      diagnostics.push(d);
      continue;
    }

    if (options.rewriteRules !== undefined) content = options.rewriteRules(content, file);
    const split = splitRuleLines(content);
    commented += split.commented;
    for (const rule of split.rules) {
      const parsed = parseRule(rule, file, ctx);
      for (const d of parsed.diagnostics) diagnostics.push(d);
      const sig = parsed.signature;
      if (sig === null) {
        const first = parsed.diagnostics.find((d) => d.severity === 'error');
        // A rule without a signature and without an error was skipped on purpose.
        if (first === undefined) {
          skipped++;
          continue;
        }
        failed++;
        countFailure(first);
        continue;
      }

      const key = `${sig.gid}:${sig.sid}`;
      const earlier = bySid.get(key);
      if (earlier === undefined) {
        bySid.set(key, slots.length);
        slots.push(sig);
        continue;
      }
      const previous = slots[earlier] as Signature;
      const dropped = sig.rev > previous.rev ? previous : sig;
      const stays = dropped === previous ? sig : previous;
      if (dropped === previous) {
        slots[earlier] = null;
        bySid.set(key, slots.length);
        slots.push(sig);
      }
      const d = duplicateDiagnostic(dropped, stays);
      diagnostics.push(d);
      failed++;
      countFailure(d);
    }
  }

  const signatures: Signature[] = [];
  for (const sig of slots) {
    if (sig === null) continue;
    sig.id = signatures.length;
    signatures.push(sig);
  }
  slots = [];

  const warnings = checkFlowbitUse(signatures, ctx.variables);
  markDetectionOnlyRules(signatures);
  for (const w of warnings) diagnostics.push(w);

  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const failuresByReason = [...reasons.entries()]
    .map(([reason, v]) => ({ reason, code: v.code, count: v.count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return {
    signatures,
    diagnostics,
    summary: {
      files: sources.length,
      loaded: signatures.length,
      failed,
      skipped,
      commented,
      failuresByReason,
      warnings: diagnostics.filter((d) => d.severity === 'warning').length,
      elapsedMs,
    },
    variables: ctx.variables,
    classification,
    references,
  };
}

function duplicateDiagnostic(dropped: Signature, stays: Signature): RuleDiagnostic {
  const line = dropped.text.split('\n')[0];
  return {
    severity: 'error',
    code: ErrorCode.RULE_DUPLICATE_SID,
    file: dropped.file,
    line: dropped.line,
    column: 1,
    length: line.length,
    sid: dropped.sid,
    keyword: null,
    text: line,
    message: `duplicate signature gid:${dropped.gid} sid:${dropped.sid} rev:${dropped.rev}; the one at ${stays.file}:${stays.line} (rev:${stays.rev}) is kept and this one skipped`,
  };
}

/**
 * Warns about flowbits that loaded rules test but no loaded rule sets, as
 * such a test can never be true (isset) or is always true (isnotset).
 */
function checkFlowbitUse(signatures: Signature[], variables: VariableIds): RuleDiagnostic[] {
  const setIds = new Set<number>();
  for (const sig of signatures) {
    for (const m of sig.postMatches) if (m instanceof FlowbitUpdate) setIds.add(m.id);
  }
  const out: RuleDiagnostic[] = [];
  for (const sig of signatures) {
    for (const m of sig.packetMatches) {
      if (!(m instanceof FlowbitCheck)) continue;
      for (const id of m.ids) {
        if (setIds.has(id)) continue;
        const name = variables.nameOf('flowbit', id) ?? String(id);
        const at = sig.text.indexOf(name, Math.max(0, sig.text.indexOf('flowbits')));
        const line = sig.text.split('\n')[0];
        out.push({
          severity: 'warning',
          code: ErrorCode.RULE_FLOWBIT_NEVER_SET,
          file: sig.file,
          line: sig.line,
          column: at >= 0 && at < line.length ? at + 1 : 1,
          length: at >= 0 && at < line.length ? name.length : 1,
          sid: sig.sid,
          keyword: 'flowbits',
          text: line,
          message: `flowbits: '${name}' is checked but no loaded rule sets it`,
        });
      }
    }
  }
  return out;
}
