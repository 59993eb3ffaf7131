/**
 * Checks of the `policy` section that the schema cannot express: every
 * address list contains valid addresses or prefixes, the quarantine hooks
 * and table name are ones nftables takes, and no rule has two responses.
 */
import { parsePrefix } from '../policy/quarantine-address.js';
import { compilePolicyExceptions } from '../policy/policy-exceptions.js';
import type { ConfNode } from './conf-tree.js';
import type { SchemaReader } from './read-config.js';
import type { PolicyConfig } from './types.js';

const HOOKS = ['forward', 'input', 'output'];
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * Adds an error to `reader` for each invalid value of `policy`; `node` is
 * the section as read, when the file has one. `addressGroups` resolves
 * `$VAR` in the ip of policy.suppress.
 */
export function checkPolicyConfig(reader: SchemaReader, node: ConfNode | undefined, policy: PolicyConfig, addressGroups: Record<string, string> = {}): void {
  if (node === undefined || node.kind !== 'map') return;
  checkPolicyExceptions(reader, node, policy, addressGroups);
  for (const key of ['management', 'gateways', 'dns-servers', 'never-block']) {
    const list = node.entries.get(key);
    if (list === undefined) continue;
    const items = list.kind === 'seq' ? list.items : [list];
    items.forEach((item, i) => {
      if (item.value === null) return;
      const parsed = parsePrefix(item.value);
      if (!parsed.ok) reader.error(item, `policy.${key}${list.kind === 'seq' ? `.${i}` : ''}`, parsed.message);
    });
  }

  const quarantine = node.entries.get('quarantine');
  const hooksNode = quarantine?.entries.get('hooks');
  if (hooksNode !== undefined) {
    const seen = new Set<string>();
    policy.quarantine.hooks.forEach((hook, i) => {
      const item = hooksNode.items[i] ?? hooksNode;
      if (!HOOKS.includes(hook)) reader.error(item, 'policy.quarantine.hooks', `'${hook}' is not a hook (expected forward, input or output)`);
      else if (seen.has(hook)) reader.error(item, 'policy.quarantine.hooks', `'${hook}' is listed twice (expected each hook once)`);
      seen.add(hook);
    });
  }
  const tableNode = quarantine?.entries.get('table');
  if (tableNode !== undefined && !TABLE_NAME.test(policy.quarantine.table)) {
    reader.error(tableNode, 'policy.quarantine.table', `'${policy.quarantine.table}' is not an nftables table name (expected a letter, then up to 31 letters, digits or _)`);
  }

  const responsesNode = node.entries.get('responses');
  const seenRules = new Map<string, number>();
  policy.responses.forEach((response, i) => {
    const key = `${response.gid}:${response.sid}`;
    const first = seenRules.get(key);
    if (first !== undefined && responsesNode !== undefined) {
      reader.error(responsesNode.items[i] ?? responsesNode, `policy.responses.${i}`, `rule ${key} already has a response (policy.responses.${first}); give each rule one response`);
    }
    if (first === undefined) seenRules.set(key, i);
  });
}

/** Reports each bad key of policy.suppress and policy.rate-filter at its own line and path (`policy.suppress[1].ip`). */
function checkPolicyExceptions(reader: SchemaReader, node: ConfNode, policy: PolicyConfig, addressGroups: Record<string, string>): void {
  const { problems } = compilePolicyExceptions(policy.suppress, policy.rateFilter, addressGroups);
  for (const problem of problems) {
    const listNode = node.entries.get(problem.list) ?? node;
    const itemNode = listNode.kind === 'seq' ? (listNode.items[problem.index] ?? listNode) : listNode;
    const keyNode = problem.key !== null && itemNode.kind === 'map' ? (itemNode.entries.get(problem.key) ?? itemNode) : itemNode;
    reader.error(keyNode, problem.path, problem.message);
  }
}
