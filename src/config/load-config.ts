/**
 * Loads kapu.yaml (or a suricata.yaml) into a typed KapuConfig. Every
 * problem in the file is collected; if any is an error, loadConfig throws
 * one ConfigError that lists them all, so kapu never starts half-configured.
 */
import { basename } from 'node:path';
import { ConfigError, ErrorCode, KapuError } from '../core/errors.js';
import { ConfReader, makeNode } from './conf-tree.js';
import type { ConfNode } from './conf-tree.js';
import { DEFAULT_OUTPUTS_YAML, readOutputs } from './outputs-config.js';
import { checkPolicyConfig } from './policy-config.js';
import { notifyConfigProblems } from '../output/notifier.js';
import { SchemaReader } from './read-config.js';
import { CONFIG_SCHEMA, HOST_OS_POLICIES, SURICATA_ONLY_KEYS } from './schema.js';
import { propertyName } from './schema-desc.js';
import { applySet } from './set-override.js';
import type { KapuConfig } from './types.js';

/** Rule actions that action-order may name. */
const ORDERABLE_ACTIONS = ['pass', 'drop', 'reject', 'alert'];

export interface LoadedConfig {
  config: KapuConfig;
  /** Unknown and unsupported keys, one message each, with file and line. */
  warnings: string[];
}

/**
 * Loads the config file at `path` (null: built-in defaults only) and applies
 * the `--set key=value` overrides in `sets`, in order.
 * Throws ConfigError listing every invalid value; a missing file is
 * KAPU_ERR_CONFIG_NOT_FOUND.
 */
export function loadConfig(path: string | null, sets: string[]): LoadedConfig {
  const confReader = new ConfReader();
  let root: ConfNode | null = makeNode('map', 'defaults', 0, null);
  if (path !== null) {
    root = confReader.readFile(path, basename(path));
    if (confReader.isTopLevelMissing) {
      throw new KapuError(ErrorCode.CONFIG_NOT_FOUND, `${path}: config file not found`);
    }
  }
  const errors = [...confReader.errors];
  if (root === null) throw new ConfigError(errors);
  if (!root.entries.has('outputs')) {
    const defaults = new ConfReader().readText(DEFAULT_OUTPUTS_YAML, 'default-outputs.yaml', 'default-outputs.yaml');
    const outputs = defaults?.entries.get('outputs');
    if (outputs !== undefined) root.entries.set('outputs', outputs);
  }

  for (const assignment of sets) {
    const problem = applySet(root, assignment);
    if (problem !== null) errors.push(problem);
  }

  const reader = new SchemaReader();
  const config = readRoot(reader, root);
  errors.push(...reader.errors);
  if (errors.length > 0) throw new ConfigError(errors);
  return { config, warnings: reader.warnings };
}

function readRoot(reader: SchemaReader, root: ConfNode): KapuConfig {
  const known = new Map(root.entries);
  const outputsNode = known.get('outputs');
  known.delete('outputs');
  for (const [key, node] of known) {
    if (CONFIG_SCHEMA.fields[key] !== undefined) continue;
    known.delete(key);
    if (SURICATA_ONLY_KEYS.has(key)) {
      reader.warning(node, key, 'not supported by kapu, ignored');
    } else {
      const withOutputs = { ...CONFIG_SCHEMA, fields: { ...CONFIG_SCHEMA.fields, outputs: CONFIG_SCHEMA } };
      reader.unknownKey(withOutputs, node, key, key, '');
    }
  }
  const filtered = makeNode('map', root.file, root.line, null);
  for (const [key, node] of known) filtered.entries.set(key, node);

  const config = reader.readMap(CONFIG_SCHEMA, filtered, '') as unknown as KapuConfig;
  config.outputs = readOutputs(reader, outputsNode ?? makeNode('seq', root.file, 0, null));
  config.appLayer.protocols ??= {};
  config.hostOsPolicy = policyNamesAsWritten(config.hostOsPolicy);
  checkActionOrder(reader, root.entries.get('action-order'), config.actionOrder);
  checkPolicyConfig(reader, root.entries.get('policy'), config.policy, config.vars.addressGroups);
  for (const problem of notifyConfigProblems(config.notify)) {
    const colon = problem.indexOf(': ');
    reader.error(root.entries.get('notify') ?? root, problem.slice(0, colon), problem.slice(colon + 2));
  }
  return config;
}

/** Keys host-os-policy by the policy names as kapu.yaml writes them (`old-linux`, not `oldLinux`). */
function policyNamesAsWritten(read: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of HOST_OS_POLICIES) out[name] = read[propertyName(name)] ?? [];
  return out;
}

/** action-order must name each of pass, drop, reject and alert exactly once. */
function checkActionOrder(reader: SchemaReader, node: ConfNode | undefined, order: string[]): void {
  if (node === undefined) return;
  const seen = new Set<string>();
  order.forEach((action, i) => {
    const item = node.items[i] ?? node;
    if (!ORDERABLE_ACTIONS.includes(action)) {
      reader.error(item, 'action-order', `'${action}' is not an action (expected pass, drop, reject and alert)`);
    } else if (seen.has(action)) {
      reader.error(item, 'action-order', `'${action}' is listed twice (expected each of pass, drop, reject and alert once)`);
    }
    seen.add(action);
  });
  const missing = ORDERABLE_ACTIONS.filter((a) => !seen.has(a));
  if (missing.length > 0) {
    reader.error(node, 'action-order', `missing ${missing.join(', ')} (expected each of pass, drop, reject and alert once)`);
  }
}
