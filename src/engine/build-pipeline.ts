/**
 * Builds the parts of the packet path from a loaded configuration: the
 * decoder context, the flow table, the rules and detection engine, and the
 * output writers.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DnsTypeConfig, KapuConfig, ExceptionPolicy, FlowTimeouts as ConfigFlowTimeouts } from '../config/types.js';
import { DecodeContext, type ChecksumMode } from '../decode/context.js';
import { defaultFlowConfig, midstreamPolicyProblem, type ExceptionPolicyName, type FlowConfig, type FlowTimeouts } from '../flow/flow-config.js';
import { ConfigError } from '../core/errors.js';
import { loadClassificationConfig, loadReferenceConfig } from '../detect/classification.js';
import { DetectEngine, type ThresholdHook } from '../detect/detect-engine.js';
import { AppInspector, partitionTxSignatures } from '../detect/app-inspect.js';
import { FrameInspector, partitionFrameSignatures } from '../detect/frame-inspect.js';
import { FrameConfig } from '../app/frames.js';
import { FrameLogger } from '../output/eve-frame.js';
import { AppLayer, AppProto, DEFAULT_DNS_PORTS, type DnsPorts } from '../app/app-layer.js';
import { defaultHttpConfig, FileHash, type HttpConfig } from '../app/http/state.js';
import { fileHashesOf } from '../detect/keywords/file-keywords.js';
import { parseByteSize } from '../config/values.js';
import { resolveDnsEveOptions } from '../app/dns/eve.js';
import { TxLogger } from '../output/eve-app.js';
import { DEFAULT_HTTP_EVE_OPTIONS, type HttpEveOptions } from '../app/http/eve.js';
import type { EveWriter } from '../output/eve-writer.js';
import { loadRuleFiles, type LoadedRules } from '../detect/rule-files.js';
import { catalogDirOf, enabledPatchFiles } from '../policy/virtual-patches.js';
import { compilePolicyExceptions } from '../policy/policy-exceptions.js';
import { compileRuleFilters, filterRuleFileText, scanRuleFile } from '../detect/rule-filters.js';
import { matchesRule, type RuleMatcher } from '../detect/rule-matchers.js';
import { applyRulePolicy } from '../policy/rule-policy.js';
import type { VariableIds } from '../detect/rule-parser.js';
import { ThresholdEngine } from '../detect/threshold.js';
import { loadThresholdConfig } from '../detect/threshold-config.js';
import { Action, type ActionId, type Signature } from '../detect/signature.js';
import { RuleVariables } from '../detect/variables.js';
import { HostOsPolicyTable } from '../stream/overlap-policy.js';
import { StreamReassembler, resolveStreamExceptionPolicy } from '../stream/reassembly.js';
import { urgentPolicyOf } from '../stream/urgent.js';

/** Folder of the installed package, for the bundled rules and samples. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** Rule files used when neither a config nor `-S`/`-s` names any. */
export const BUNDLED_RULE_FILES: readonly string[] = [
  join(PACKAGE_ROOT, 'samples', 'et-demo.rules'),
  join(PACKAGE_ROOT, 'samples', 'demo.rules'),
];

/**
 * Which rule files a run loads: `-S` replaces the configured ones, `-s`
 * adds to them. The enabled virtual patches count as configured rules:
 * with `virtual-patches.enabled` they follow the configured files, and
 * `-S` leaves them out.
 */
export function resolveRuleFiles(config: KapuConfig, hasConfigFile: boolean, replace: string[] | null, extra: string[]): string[] {
  let files: string[];
  if (replace !== null) files = [...replace];
  else if (hasConfigFile) files = config.ruleFiles.flatMap((file) => expandRuleFilePattern(isAbsolute(file) ? file : join(config.defaultRulePath, file)));
  else files = extra.length > 0 ? [] : [...BUNDLED_RULE_FILES];
  if (replace === null) files.push(...enabledPatchFiles(config));
  return files.concat(extra);
}

/**
 * Expands a wildcard (`*`, `?`) in the file name of a rule-files entry, as
 * Suricata does with glob: `et-open/*.rules` becomes every matching file,
 * in name order. A path without a wildcard, or one that matches nothing,
 * is returned as it is, so that loading it reports the missing file.
 */
export function expandRuleFilePattern(path: string): string[] {
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  const dir = dirname(path);
  const pattern = new RegExp('^' + name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [path];
  }
  const matches = names.filter((entry) => pattern.test(entry)).sort();
  return matches.length > 0 ? matches.map((entry) => join(dir, entry)) : [path];
}

/** Maps pcap-file.checksum-checks and `-k` to the decoder's checksum mode. */
export function checksumModeOf(config: KapuConfig, override: 'all' | 'none' | null): ChecksumMode {
  if (override !== null) return override;
  switch (config.pcapFile.checksumChecks) {
    case 'yes': return 'all';
    case 'no': return 'none';
    default: return 'auto';
  }
}

function flowTimeouts(t: ConfigFlowTimeouts): FlowTimeouts {
  return {
    newS: t.new,
    establishedS: t.established,
    closedS: t.closed ?? 0,
    emergencyNewS: t.emergencyNew,
    emergencyEstablishedS: t.emergencyEstablished,
    emergencyClosedS: t.emergencyClosed ?? 0,
  };
}

function flowPolicy(policy: ExceptionPolicy): ExceptionPolicyName {
  return policy === 'reject-both' ? 'reject' : policy;
}

/**
 * Builds the flow table's settings from the `flow`, `flow-timeouts` and
 * `stream` sections. Throws ConfigError when `stream.midstream-policy` is
 * not valid with `stream.midstream` in this mode.
 */
export function flowConfigOf(config: KapuConfig, isIps: boolean): FlowConfig {
  const base = defaultFlowConfig();
  const midstreamPolicy = flowPolicy(config.stream.midstreamPolicy);
  const problem = midstreamPolicyProblem(midstreamPolicy, isIps, config.stream.midstream);
  if (problem !== null) throw new ConfigError([problem]);
  return {
    ...base,
    memcapBytes: config.flow.memcap,
    hashSize: config.flow.hashSize,
    prealloc: config.flow.prealloc,
    emergencyRecoveryPercent: config.flow.emergencyRecovery,
    memcapPolicy: flowPolicy(config.flow.memcapPolicy),
    midstreamPolicy,
    isIps,
    timeoutsDefault: flowTimeouts(config.flowTimeouts.default),
    timeoutsTcp: flowTimeouts(config.flowTimeouts.tcp),
    timeoutsUdp: flowTimeouts(config.flowTimeouts.udp),
    timeoutsIcmp: flowTimeouts(config.flowTimeouts.icmp),
    stream: { ...base.stream, midstream: config.stream.midstream, asyncOneside: config.stream.asyncOneside },
  };
}

const ACTION_ORDER_NAMES: Record<string, readonly ActionId[]> = {
  pass: [Action.PASS],
  drop: [Action.DROP],
  reject: [Action.REJECT, Action.REJECTSRC, Action.REJECTDST, Action.REJECTBOTH],
  alert: [Action.ALERT],
};

/** Maps the config's action-order to the engine's evaluation order. */
export function actionOrderOf(config: KapuConfig): ActionId[] {
  const order: ActionId[] = [];
  for (const name of config.actionOrder) order.push(...(ACTION_ORDER_NAMES[name] ?? []));
  return order;
}

/**
 * Returns the classification.config path to use: the configured one when
 * it exists, else null for the built-in copy. `warnings` gets a line when a
 * configured file is missing.
 */
function existingOrBuiltin(path: string, key: string, warnings: string[]): string | null {
  if (existsSync(path)) return path;
  if (!path.startsWith('/etc/suricata/')) warnings.push(`${key}: '${path}' not found; using the built-in copy`);
  return null;
}

/**
 * Loads the rules a run needs, with the config's variables and
 * classification. `requiresVersion` overrides the Suricata version that
 * rules' `requires: version` is judged against. `variableIds` (a reload)
 * keeps the flowbit and other variable ids of the rules loaded before.
 * The policy's rule filters (disable, enable, drop, modify) apply to
 * every file; problems of a modification go to `warnings`.
 */
export function loadRules(config: KapuConfig, files: string[], warnings: string[], requiresVersion?: readonly number[], variableIds?: VariableIds): LoadedRules {
  const classificationPath = existingOrBuiltin(config.classificationFile, 'classification-file', warnings);
  const referencePath = existingOrBuiltin(config.referenceConfigFile, 'reference-config-file', warnings);
  // The config loader has checked the entries, so compiling them finds no problem.
  const { filters } = compileRuleFilters(config.policy);
  const filterKeys = new Map<string, string>();
  const rewriteRules = (content: string, file: string): string => {
    if (filters.drop.length > 0) recordDropFilterKeys(content, file, filters.drop, filterKeys);
    return filterRuleFileText(content, file, filters, warnings);
  };
  const rules = loadRuleFiles(files, {
    ...(filters.isEmpty ? {} : { rewriteRules }),
    vars: new RuleVariables({ 'address-groups': config.vars.addressGroups, 'port-groups': config.vars.portGroups }),
    classification: loadClassificationConfig(classificationPath),
    references: loadReferenceConfig(referencePath),
    requiresVersion,
    ...(variableIds === undefined ? {} : { variableIds }),
  });
  applyRulePolicy(rules.signatures, { shadow: config.policy.shadow, patchCatalogDir: catalogDirOf(config), filterKeys });
  return rules;
}

/**
 * Records, for each rule of `content` whose action a policy.drop entry
 * changes, the key path of the first such entry (`policy.drop[0]`).
 * NOTE: a merged ruleset that `kapu rules update` already filtered says
 * `drop` itself, so its rules are not attributed to the entry, and a
 * policy.modify entry that rewrites an action is not recorded either.
 */
function recordDropFilterKeys(content: string, file: string, drop: readonly RuleMatcher[], out: Map<string, string>): void {
  for (const { rule } of scanRuleFile(content, basename(file)).entries) {
    if (rule.isNoalert || /^drop\b/.test(rule.text)) continue;
    const index = drop.findIndex((matcher) => matchesRule(matcher, rule));
    if (index >= 0) out.set(`${rule.gid}:${rule.sid}`, `policy.drop[${index}]`);
  }
}

/**
 * Builds the threshold engine: rule thresholds and detection filters, the
 * entries of policy.suppress and policy.rate-filter, and those of
 * `threshold-file`. The policy entries come first, so for a rule with a
 * rate filter in both, the policy's applies (ThresholdEngine takes a
 * rule's first rate filter); suppressions of both apply. Lines of the file
 * that cannot be read go to `warnings` and the rest apply.
 */
export function buildThresholdEngine(config: KapuConfig, rules: LoadedRules, warnings: string[], sharedBuffer?: SharedArrayBuffer): ThresholdEngine {
  // The config loader has checked the policy entries, so this finds no problem.
  const policy = compilePolicyExceptions(config.policy.suppress, config.policy.rateFilter, config.vars.addressGroups);
  for (const problem of policy.problems) warnings.push(`${problem.path}: ${problem.message} (entry skipped)`);
  const entries: ConstructorParameters<typeof ThresholdEngine>[0] = policy.entries;
  if (config.thresholdFile !== null && config.thresholdFile !== '') {
    const loaded = loadThresholdConfig(config.thresholdFile, config.vars.addressGroups);
    warnings.push(...loaded.errors);
    entries.push(...loaded.entries);
  }
  const memcapBytes = config.detect.thresholds.memcap;
  const engine = new ThresholdEngine(entries, sharedBuffer === undefined ? { memcapBytes } : { memcapBytes, sharedBuffer });
  engine.prepare(rules.signatures);
  return engine;
}

/**
 * Builds the detection engine for loaded rules. `thresholds` decides which
 * matches alert: the ThresholdEngine itself, or a ThresholdActionRecorder
 * around it when the pipeline applies the actions of thresholded matches.
 */
export function buildDetectEngine(config: KapuConfig, rules: LoadedRules, thresholds: ThresholdHook): DetectEngine {
  // Signatures that inspect app-layer transactions run in the AppInspector,
  // and those that inspect frames in the FrameInspector.
  return new DetectEngine(partitionTxSignatures(partitionFrameSignatures(rules.signatures).other).packet, {
    actionOrder: actionOrderOf(config),
    inspectionRecursionLimit: config.detect.inspectionRecursionLimit,
    thresholdHook: thresholds,
  });
}

/** Creates the decoder context for a run. */
export function buildDecodeContext(config: KapuConfig, checksumOverride: 'all' | 'none' | null): DecodeContext {
  return new DecodeContext(checksumModeOf(config, checksumOverride));
}

/**
 * Builds the stream reassembler from the `stream` and `host-os-policy`
 * sections. In-line reassembly follows the run mode unless `stream.inline`
 * is yes or no. Networks of host-os-policy that cannot be read go to
 * `warnings`.
 */
export function buildStreamReassembler(config: KapuConfig, isIps: boolean, rules: LoadedRules, warnings: string[]): StreamReassembler {
  const stream = config.stream;
  const isInline = stream.inline === 'auto' ? isIps : stream.inline === 'yes';
  // NOTE: stream.reassembly.randomize-chunk-size is not applied; the chunk sizes are used as configured.
  const { table, errors } = HostOsPolicyTable.fromConfig(config.hostOsPolicy);
  warnings.push(...errors);
  // Suricata checks overlapping data in-line, and otherwise only when a rule matches the event.
  const isOverlapEventUsed = rules.signatures.some((sig) => sig.text.includes('reassembly_overlap_different_data'));
  return new StreamReassembler({
    depth: stream.reassembly.depth,
    toServerChunkSize: stream.reassembly.toserverChunkSize,
    toClientChunkSize: stream.reassembly.toclientChunkSize,
    streamMemcap: stream.memcap,
    reassemblyMemcap: stream.reassembly.memcap,
    streamMemcapAction: resolveStreamExceptionPolicy(stream.memcapPolicy, isIps),
    reassemblyMemcapAction: resolveStreamExceptionPolicy(stream.reassembly.memcapPolicy, isIps),
    isInline,
    checkOverlapDifferentData: isInline || isOverlapEventUsed,
    hostOsPolicy: table,
    urgentPolicy: urgentPolicyOf(stream.reassembly.urgent.policy),
    urgentOobLimitPolicy: urgentPolicyOf(stream.reassembly.urgent.oobLimitPolicy),
  });
}

/**
 * Tells whether a fingerprint (JA3, JA4, HASSH) is computed and logged:
 * `app-layer.protocols.<proto>.<key>` yes or no, or, when it is unset or
 * `auto`, whether a loaded rule uses it (Suricata's default).
 */
function isFingerprintEnabled(config: KapuConfig, proto: string, key: string, rules: LoadedRules, keyword: RegExp): boolean {
  const section = config.appLayer.protocols[proto] as Record<string, unknown> | undefined;
  const value = section?.[key];
  if (value === true || value === 'yes') return true;
  if (value === false || value === 'no') return false;
  return rules.signatures.some((sig) => keyword.test(sig.text));
}

/**
 * Returns the tls event fields of the first eve-log that writes tls
 * events: `extended` and the `custom` list.
 * NOTE: one tls object is built per transaction for every eve-log, so a
 * second eve-log with other tls options gets the first one's fields.
 */
function tlsEveFields(config: KapuConfig): { isExtended: boolean; customFields: ReadonlySet<string> | null } {
  const eve = config.outputs.eveLogs.find((log) => log.enabled && log.types.protocols.includes('tls'));
  if (eve === undefined) return { isExtended: true, customFields: null };
  const custom = eve.types.tls.custom;
  return { isExtended: eve.types.tls.extended, customFields: custom === null ? null : new Set(custom) };
}

/** Returns the value at `path` under app-layer.protocols, or undefined. */
function appLayerSetting(config: KapuConfig, path: readonly string[]): unknown {
  let node: unknown = config.appLayer.protocols;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

/**
 * Builds the HTTP limits from app-layer.protocols.http: `max-tx` and
 * libhtp's default-config (request-body-limit, response-body-limit,
 * response-body-decompress-layer-limit). Values that do not parse keep
 * the default.
 */
export function httpConfigOf(config: KapuConfig): HttpConfig {
  const http = defaultHttpConfig();
  const bytesAt = (key: string, fallback: number): number => {
    const value = appLayerSetting(config, ['http', 'libhtp', 'default-config', key]);
    const parsed = typeof value === 'number' ? value : typeof value === 'string' ? parseByteSize(value) : null;
    return parsed !== null && parsed >= 0 ? parsed : fallback;
  };
  http.requestBodyLimit = bytesAt('request-body-limit', http.requestBodyLimit);
  http.responseBodyLimit = bytesAt('response-body-limit', http.responseBodyLimit);
  http.decompressLayerLimit = bytesAt('response-body-decompress-layer-limit', http.decompressLayerLimit);
  http.requestMinInspect = bytesAt('request-body-minimal-inspect-size', http.requestMinInspect);
  http.responseMinInspect = bytesAt('response-body-minimal-inspect-size', http.responseMinInspect);
  const maxTx = Number(appLayerSetting(config, ['http', 'max-tx']));
  if (Number.isInteger(maxTx) && maxTx > 0) http.maxTransactions = maxTx;
  return http;
}

const FORCE_HASH_BITS: Record<string, number> = { md5: FileHash.MD5, sha1: FileHash.SHA1, sha256: FileHash.SHA256 };

/**
 * Returns the digests (FileHash bits) computed for each file: those that
 * an eve-log's `files: force-hash` lists, and those that loaded filemd5,
 * filesha1 or filesha256 rules need, as Suricata computes them.
 */
export function fileHashesToCompute(config: KapuConfig, rules: LoadedRules): number {
  // NOTE: Suricata turns a rule's digest on only for the flows of that rule's
  // group (its ports and addresses), while here one filemd5 rule computes md5
  // for every file, so fileinfo can carry a digest that Suricata leaves out.
  // The `file-store` output's force-hash is not read, because kapu stores no files.
  let bits = fileHashesOf(rules.signatures);
  for (const eve of config.outputs.eveLogs) {
    if (!eve.enabled) continue;
    for (const name of eve.types.filesForceHash) bits |= FORCE_HASH_BITS[name] ?? 0;
  }
  return bits;
}

/**
 * Reads a `detection-ports.dp` value: a port, or a list such as
 * `[53, 5353]` or `53,1024-1030`. Returns null when it does not parse.
 */
export function parseDetectionPorts(value: unknown): Set<number> | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 65535 ? new Set([value]) : null;
  if (typeof value !== 'string') return null;
  const out = new Set<number>();
  for (const part of value.replace(/^\s*\[|\]\s*$/g, '').split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (m === null) return null;
    const low = Number(m[1]);
    const high = m[2] === undefined ? low : Number(m[2]);
    if (high > 65535 || low > high) return null;
    for (let port = low; port <= high; port++) out.add(port);
  }
  return out;
}

/**
 * Returns the DNS ports of app-layer.protocols.dns.udp and dns.tcp
 * (`detection-ports.dp`). A value that does not parse keeps port 53.
 */
export function dnsPortsOf(config: KapuConfig): DnsPorts {
  const udp = parseDetectionPorts(appLayerSetting(config, ['dns', 'udp', 'detection-ports', 'dp']));
  const tcp = parseDetectionPorts(appLayerSetting(config, ['dns', 'tcp', 'detection-ports', 'dp']));
  return { udp: udp ?? DEFAULT_DNS_PORTS.udp, tcp: tcp ?? DEFAULT_DNS_PORTS.tcp };
}

/** Returns the protocols that app-layer.protocols.<proto>.enabled switches off (`no` or false). */
function disabledProtocols(config: KapuConfig): Set<string> {
  const out = new Set<string>();
  const names: [string, string][] = [['http', AppProto.HTTP], ['dns', AppProto.DNS], ['tls', AppProto.TLS], ['ssh', AppProto.SSH]];
  for (const [key, proto] of names) {
    const enabled = appLayerSetting(config, [key, 'enabled']);
    if (enabled === false || enabled === 'no') out.add(proto);
  }
  return out;
}

/**
 * Returns the http event options of the first eve-log that lists http.
 * NOTE: every eve-log gets these options, also one that sets others.
 */
function httpEveOptionsOf(config: KapuConfig): HttpEveOptions {
  for (const log of config.outputs.eveLogs) {
    const http = log.types.http;
    if (log.enabled && http !== undefined) return { isExtended: http.extended, dumpAllHeaders: http.dumpAllHeaders };
  }
  return DEFAULT_HTTP_EVE_OPTIONS;
}

/**
 * Returns the `dns` type options of the first enabled eve-log that lists
 * them. NOTE: every eve-log writes the same dns format, so a second
 * eve-log with other dns options follows the first.
 */
function dnsTypeConfigOf(config: KapuConfig): DnsTypeConfig | undefined {
  for (const log of config.outputs.eveLogs) {
    if (log.enabled && log.types.dns !== undefined) return log.types.dns;
  }
  return undefined;
}

/** The app-layer parts of a pipeline: protocol detection and parsers, transaction detection, protocol events. */
export interface AppLayerParts {
  app: AppLayer;
  appInspect: AppInspector;
  txLog: TxLogger;
  /** Frame detection and frame events; null when no rule inspects a frame and no eve-log writes frames. */
  frameInspect: FrameInspector | null;
  frameLog: FrameLogger | null;
}

/**
 * Builds the application layer for loaded rules: the signatures with
 * app-layer buffers or transaction keywords go to an AppInspector, and
 * the protocol events go to the `eve` writers. `alertCapacity` is the
 * packet alert queue's capacity. `env` supplies SURICATA_EVE_DNS_VERSION.
 */
export function buildAppLayer(
  config: KapuConfig,
  isIps: boolean,
  rules: LoadedRules,
  thresholds: ThresholdHook,
  eve: readonly EveWriter[],
  alertCapacity: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): AppLayerParts {
  const { frame: frameSignatures, other } = partitionFrameSignatures(rules.signatures);
  const appInspect = new AppInspector(partitionTxSignatures(other).tx, alertCapacity, {
    actionOrder: actionOrderOf(config),
    inspectionRecursionLimit: config.detect.inspectionRecursionLimit,
    thresholdHook: thresholds,
  });
  const txLog = new TxLogger(eve, {
    dns: resolveDnsEveOptions(dnsTypeConfigOf(config), env),
    tls: {
      ...tlsEveFields(config),
      hasJa3: isFingerprintEnabled(config, 'tls', 'ja3-fingerprints', rules, /\bja3s?[._]/),
      hasJa4: isFingerprintEnabled(config, 'tls', 'ja4-fingerprints', rules, /\bja4[._]/),
    },
    sshHassh: isFingerprintEnabled(config, 'ssh', 'hassh', rules, /\bssh\.hassh/),
    http: httpEveOptionsOf(config),
    guessAlertTx: config.detect.guessApplayerTx,
  });
  const isInline = config.stream.inline === 'auto' ? isIps : config.stream.inline === 'yes';
  const http = httpConfigOf(config);
  http.fileHashes = fileHashesToCompute(config, rules);
  const errorPolicyAction = resolveStreamExceptionPolicy(config.appLayer.errorPolicy, isIps);
  const app = new AppLayer(isInline, appInspect.usesPacketData, http, disabledProtocols(config), dnsPortsOf(config), errorPolicyAction);
  const { frameInspect, frameLog } = buildFrames(config, frameSignatures, thresholds, eve, alertCapacity);
  if (frameInspect !== null) app.frameConfig = frameConfigOf(frameInspect, frameLog);
  return { app, appInspect, txLog, frameInspect, frameLog };
}

/**
 * Builds frame detection for the frame signatures and the frame event
 * writer; both null when neither is needed, so the parsers record no frame.
 */
function buildFrames(config: KapuConfig, signatures: Signature[], thresholds: ThresholdHook, eve: readonly EveWriter[], alertCapacity: number): { frameInspect: FrameInspector | null; frameLog: FrameLogger | null } {
  const logger = new FrameLogger(eve);
  if (signatures.length === 0 && !logger.isEnabled) return { frameInspect: null, frameLog: null };
  const frameInspect = new FrameInspector(signatures, alertCapacity, {
    actionOrder: actionOrderOf(config),
    inspectionRecursionLimit: config.detect.inspectionRecursionLimit,
    thresholdHook: thresholds,
  });
  return { frameInspect, frameLog: logger.isEnabled ? logger : null };
}

/** Returns the frame types to record: every type when frames are logged, else those the signatures inspect. */
function frameConfigOf(inspector: FrameInspector, logger: FrameLogger | null): FrameConfig {
  const frameConfig = new FrameConfig(logger !== null);
  for (const used of inspector.usedTypes) frameConfig.enable(used.appProto, used.type);
  return frameConfig;
}
