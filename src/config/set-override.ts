/**
 * `--set key=value` overrides with Suricata's semantics: the key is a dotted
 * path from the top of the configuration, missing maps along it are created,
 * and a numeric part indexes a sequence (`outputs.1.eve-log.enabled=no`).
 * The value stays text until the schema types it, as every other value.
 */
import { makeNode } from './conf-tree.js';
import type { ConfNode } from './conf-tree.js';

/** File label of nodes that come from the command line. */
export const SET_LABEL = '--set';

/** Applies one `key=value` override to `root`; returns an error message or null. */
export function applySet(root: ConfNode, assignment: string): string | null {
  const eq = assignment.indexOf('=');
  if (eq <= 0) return `${SET_LABEL} ${quoteArg(assignment)}: expected key=value`;
  const key = assignment.slice(0, eq).trim();
  const value = assignment.slice(eq + 1).trim();
  const parts = key.split('.');
  if (parts.some((p) => p === '')) return `${SET_LABEL} ${quoteArg(assignment)}: the key has an empty part`;

  let node = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const isLast = i === parts.length - 1;
    const next = childFor(node, part, isLast ? null : (parts[i + 1] as string));
    if (typeof next === 'string') return `${SET_LABEL} ${key}: ${next}`;
    if (isLast) {
      next.kind = 'scalar';
      next.value = value;
      next.file = SET_LABEL;
      next.line = 0;
      next.entries.clear();
      next.items.length = 0;
    }
    node = next;
  }
  return null;
}

/**
 * Returns the child `part` of `node`, creating it (and turning an empty
 * scalar into a map) as needed. A sequence item that is the bare word `part`
 * of the following path element (`- flow` addressed as `types.3.flow.x`)
 * becomes a one-key map, the form Suricata gives such items.
 */
function childFor(node: ConfNode, part: string, nextPart: string | null): ConfNode | string {
  if (node.kind === 'seq') {
    if (!/^\d+$/.test(part)) return `'${part}' is not an index into a sequence`;
    const index = Number(part);
    if (index > node.items.length) {
      return `index ${index} is past the end of the sequence (${node.items.length} items)`;
    }
    if (index === node.items.length) node.items.push(makeNode('map', SET_LABEL, 0, null));
    const item = node.items[index] as ConfNode;
    if (item.kind === 'scalar' && nextPart !== null && item.value === nextPart) {
      item.kind = 'map';
      item.value = null;
      item.entries.set(nextPart, makeNode('map', SET_LABEL, 0, null));
    }
    return item;
  }
  if (node.kind === 'scalar') {
    node.kind = 'map';
    node.value = null;
  }
  let child = node.entries.get(part);
  if (child === undefined) {
    child = makeNode(nextPart !== null && /^\d+$/.test(nextPart) ? 'seq' : 'map', SET_LABEL, 0, null);
    node.entries.set(part, child);
  }
  return child;
}

function quoteArg(text: string): string {
  return `'${text}'`;
}
