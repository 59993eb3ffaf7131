/**
 * Builds the parts of the packet path from a loaded configuration: the
 * decoder context, the flow table, the rules and detection engine, and the
 * output writers.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KapuConfig, ExceptionPolicy, FlowTimeouts as ConfigFlowTimeouts } from '../config/types.js';
import { DecodeContext, type ChecksumMode } from '../decode/context.js';
import { defaultFlowConfig, type ExceptionPolicyName, type FlowConfig, type FlowTimeouts } from '../flow/flow-config.js';
import { loadClassificationConfig, loadReferenceConfig } from '../detect/classification.js';
import { DetectEngine, type ThresholdHook } from '../detect/detect-engine.js';
import { AppInspector, partitionTxSignatures } from '../detect/app-inspect.js';
import { AppLayer, AppProto } from '../app/app-layer.js';
import { defaultHttpConfig, type HttpConfig } from '../app/http/state.js';
import { parseByteSize } from '../config/values.js';
import { resolveDnsEveVersion } from '../app/dns/eve.js';
import { TxLogger } from '../output/eve-app.js';
import { DEFAULT_HTTP_EVE_OPTIONS, type HttpEveOptions } from '../app/http/eve.js';
import type { EveWriter } from '../output/eve-writer.js';
import { loadRuleFiles, type LoadedRules } from '../detect/rule-files.js';
import { ThresholdEngine } from '../detect/threshold.js';
import { loadThresholdConfig } from '../detect/threshold-config.js';
import { Action, type ActionId } from '../detect/signature.js';
import { RuleVariables } from '../detect/variables.js';
import { HostOsPolicyTable } from '../stream/overlap-policy.js';
import { StreamReassembler, resolveStreamExceptionPolicy } from '../stream/reassembly.js';

/** Folder of the installed package, for the bundled rules and samples. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** Rule files used when neither a config nor `-S`/`-s` names any. */
export const BUNDLED_RULE_FILES: readonly string[] = [
  join(PACKAGE_ROOT, 'samples', 'et-demo.rules'),
  join(PACKAGE_ROOT, 'samples', 'demo.rules'),
];

/** Which rule files a run loads: `-S` replaces the configured ones, `-s` adds to them. */
export function resolveRuleFiles(config: KapuConfig, hasConfigFile: boolean, replace: string[] | null, extra: string[]): string[] {
  let files: string[];
  if (replace !== null) files = [...replace];
  else if (hasConfigFile) files = config.ruleFiles.map((file) => (isAbsolute(file) ? file : join(config.defaultRulePath, file)));
  else files = extra.length > 0 ? [] : [...BUNDLED_RULE_FILES];
  return files.concat(extra);
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

/** Builds the flow table's settings from the `flow`, `flow-timeouts` and `stream` sections. */
export function flowConfigOf(config: KapuConfig, isIps: boolean): FlowConfig {
  const base = defaultFlowConfig();
  return {
    ...base,
    memcapBytes: config.flow.memcap,
    hashSize: config.flow.hashSize,
    prealloc: config.flow.prealloc,
    emergencyRecoveryPercent: config.flow.emergencyRecovery,
    memcapPolicy: flowPolicy(config.flow.memcapPolicy),
    isIps,
    timeoutsDefault: flowTimeouts(config.flowTimeouts.default),
    timeoutsTcp: flowTimeouts(config.flowTimeouts.tcp),
    timeoutsUdp: flowTimeouts(config.flowTimeouts.udp),
    timeoutsIcmp: flowTimeouts(config.flowTimeouts.icmp),
    stream: { ...base.stream, midstream: config.stream.midstream },
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

/** Loads the rules a run needs, with the config's variables and classification. */
export function loadRules(config: KapuConfig, files: string[], warnings: string[]): LoadedRules {
  const classificationPath = existingOrBuiltin(config.classificationFile, 'classification-file', warnings);
  const referencePath = existingOrBuiltin(config.referenceConfigFile, 'reference-config-file', warnings);
  return loadRuleFiles(files, {
    vars: new RuleVariables({ 'address-groups': config.vars.addressGroups, 'port-groups': config.vars.portGroups }),
    classification: loadClassificationConfig(classificationPath),
    references: loadReferenceConfig(referencePath),
  });
}

/**
 * Builds the threshold engine: rule thresholds and detection filters plus
 * the entries of `threshold-file`. Lines of that file that cannot be read
 * go to `warnings` and the rest apply.
 */
export function buildThresholdEngine(config: KapuConfig, rules: LoadedRules, warnings: string[]): ThresholdEngine {
  let entries: ConstructorParameters<typeof ThresholdEngine>[0] = [];
  if (config.thresholdFile !== null && config.thresholdFile !== '') {
    const loaded = loadThresholdConfig(config.thresholdFile, config.vars.addressGroups);
    warnings.push(...loaded.errors);
    entries = loaded.entries;
  }
  const engine = new ThresholdEngine(entries, { memcapBytes: config.detect.thresholds.memcap });
  engine.prepare(rules.signatures);
  return engine;
}

/**
 * Builds the detection engine for loaded rules. `thresholds` decides which
 * matches alert: the ThresholdEngine itself, or a ThresholdActionRecorder
 * around it when the pipeline applies the actions of thresholded matches.
 */
export function buildDetectEngine(config: KapuConfig, rules: LoadedRules, thresholds: ThresholdHook): DetectEngine {
  // Signatures that inspect app-layer transactions run in the AppInspector.
  return new DetectEngine(partitionTxSignatures(rules.signatures).packet, {
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

/** The app-layer parts of a pipeline: protocol detection and parsers, transaction detection, protocol events. */
export interface AppLayerParts {
  app: AppLayer;
  appInspect: AppInspector;
  txLog: TxLogger;
}

/**
 * Builds the application layer for loaded rules: the signatures with
 * app-layer buffers or transaction keywords go to an AppInspector, and
 * the protocol events go to the `eve` writers. `alertCapacity` is the
 * packet alert queue's capacity.
 */
export function buildAppLayer(config: KapuConfig, isIps: boolean, rules: LoadedRules, thresholds: ThresholdHook, eve: readonly EveWriter[], alertCapacity: number): AppLayerParts {
  const appInspect = new AppInspector(partitionTxSignatures(rules.signatures).tx, alertCapacity, {
    actionOrder: actionOrderOf(config),
    inspectionRecursionLimit: config.detect.inspectionRecursionLimit,
    thresholdHook: thresholds,
  });
  // NOTE: the eve-log `dns: version` option is not read from the config yet; the environment sets version 2.
  const txLog = new TxLogger(eve, {
    dnsVersion: resolveDnsEveVersion(undefined),
    tls: {
      isExtended: true,
      hasJa3: isFingerprintEnabled(config, 'tls', 'ja3-fingerprints', rules, /\bja3s?[._]/),
      hasJa4: isFingerprintEnabled(config, 'tls', 'ja4-fingerprints', rules, /\bja4[._]/),
    },
    sshHassh: isFingerprintEnabled(config, 'ssh', 'hassh', rules, /\bssh\.hassh/),
    http: httpEveOptionsOf(config),
  });
  const isInline = config.stream.inline === 'auto' ? isIps : config.stream.inline === 'yes';
  return { app: new AppLayer(isInline, appInspect.usesPacketData, httpConfigOf(config), disabledProtocols(config)), appInspect, txLog };
}
