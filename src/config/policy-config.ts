/**
 * Checks of the `policy` section that the schema cannot express: every
 * address list contains valid addresses or prefixes, and the quarantine
 * hooks and table name are ones nftables takes. No rule has two
 * responses, a rate limit has its rate, and the gid 8100 sids differ.
 */
import { parsePrefix } from '../policy/quarantine-address.js';
import { compilePolicyExceptions } from '../policy/policy-exceptions.js';
import type { ConfNode } from './conf-tree.js';
import type { SchemaReader } from './read-config.js';
import type { PolicyConfig, ResponseConfig } from './types.js';

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
    checkResponseRate(reader, responsesNode?.items[i] ?? responsesNode ?? node, `policy.responses.${i}`, response);
  });
  const rateLimitNode = node.entries.get('rate-limit');
  if (policy.rateLimit.sid === policy.quarantine.sid && (rateLimitNode !== undefined || quarantine !== undefined)) {
    const at = rateLimitNode?.entries.get('sid') ?? rateLimitNode ?? quarantine ?? node;
    reader.error(at, 'policy.rate-limit.sid', `sid ${policy.rateLimit.sid} is also policy.quarantine.sid (expected another sid, since both are gid 8100 alerts)`);
  }

  checkBlocklists(reader, node.entries.get('blocklists'), policy);
}

/**
 * Checks each policy.blocklists entry: one source (path or url), an http
 * or https URL, DNS answers only for domain lists, valid sinkhole
 * addresses with at most one per family, and ids used once and not by
 * the quarantine alert.
 */
function checkBlocklists(reader: SchemaReader, listsNode: ConfNode | undefined, policy: PolicyConfig): void {
  if (listsNode === undefined) return;
  const seenIds = new Map<number, number>();
  policy.blocklists.forEach((list, i) => {
    const itemNode = listsNode.items[i] ?? listsNode;
    const at = (key: string): ConfNode => itemNode.entries?.get(key) ?? itemNode;
    const path = `policy.blocklists.${i}`;
    if ((list.path === null) === (list.url === null)) {
      reader.error(itemNode, path, list.path === null ? 'no list source (expected path or url)' : 'both path and url are set (expected one of them)');
    }
    if (list.url !== null && !/^https?:\/\/[^/]/i.test(list.url)) {
      reader.error(at('url'), `${path}.url`, `'${list.url}' is not an http or https URL`);
    }
    if (list.action !== 'drop' && list.kind !== 'domain') {
      reader.error(at('action'), `${path}.action`, `'${list.action}' needs kind domain (kind ${list.kind} can only drop)`);
    }
    if (list.action === 'sinkhole' && list.sinkhole.length === 0) {
      reader.error(at('sinkhole'), `${path}.sinkhole`, 'action sinkhole needs at least one sinkhole address');
    }
    const families = new Set<number>();
    list.sinkhole.forEach((address, k) => {
      const parsed = parsePrefix(address);
      const isHost = parsed.ok && parsed.prefix.prefixLength === (parsed.prefix.family === 4 ? 32 : 128);
      if (!parsed.ok || !isHost) {
        reader.error(at('sinkhole'), `${path}.sinkhole.${k}`, `'${address}' is not an IPv4 or IPv6 address`);
        return;
      }
      if (families.has(parsed.prefix.family)) reader.error(at('sinkhole'), `${path}.sinkhole.${k}`, `a second IPv${parsed.prefix.family} address (expected at most one per family)`);
      families.add(parsed.prefix.family);
    });
    if (list.id === policy.quarantine.sid) {
      reader.error(at('id'), `${path}.id`, `id ${list.id} is the sid of policy.quarantine.sid (expected another sid, since both are gid 8100 alerts)`);
    }
    if (list.id === policy.rateLimit.sid) {
      reader.error(at('id'), `${path}.id`, `id ${list.id} is the sid of policy.rate-limit.sid (expected another sid, since both are gid 8100 alerts)`);
    }
    const first = seenIds.get(list.id);
    if (first !== undefined) reader.error(at('id'), `${path}.id`, `id ${list.id} is already used by policy.blocklists.${first} (expected one id per list)`);
    else seenIds.set(list.id, i);
  });
}

/**
 * Checks the rate keys of one response: action rate-limit needs `rate`,
 * with `rate-bytes` of at least 1 byte when set, and a quarantine takes
 * neither, since it drops all traffic.
 */
function checkResponseRate(reader: SchemaReader, itemNode: ConfNode, path: string, response: ResponseConfig): void {
  const at = (key: string): ConfNode => itemNode.entries.get(key) ?? itemNode;
  // An invalid action is reported already; its default would only add a second, misleading error.
  const written = itemNode.entries.get('action')?.value ?? null;
  if (written !== null && written !== response.action) return;
  if (response.action === 'rate-limit') {
    if (response.rate === null) reader.error(itemNode, `${path}.rate`, 'missing (action rate-limit needs the packets per second, such as rate: 50)');
    if (response.rateBytes !== null && response.rateBytes < 1) reader.error(at('rate-bytes'), `${path}.rate-bytes`, `${response.rateBytes} is too small (expected at least 1 byte per second)`);
    return;
  }
  for (const key of ['rate', 'rate-bytes'] as const) {
    const value = key === 'rate' ? response.rate : response.rateBytes;
    if (value !== null) reader.error(at(key), `${path}.${key}`, `is set, but action ${response.action} takes no rate (expected it only with action rate-limit)`);
  }
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
