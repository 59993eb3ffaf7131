/**
 * Walks a configuration tree against the schema descriptors: types every
 * value, fills defaults, and collects every problem. An invalid value of a
 * known key is an error. An unknown key is a warning that names the nearest
 * known key, so a full suricata.yaml still loads.
 */
import type { ConfNode } from './conf-tree.js';
import type { Desc, MapDesc } from './schema-desc.js';
import { defaultOf, propertyName } from './schema-desc.js';
import { nearestKey } from './nearest-key.js';
import { SET_LABEL } from './set-override.js';

/** Collects problems while the schema is applied. */
export class SchemaReader {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  /** Formats the location prefix of a message about `node` at `path`. */
  where(node: ConfNode, path: string): string {
    if (node.file === SET_LABEL) return `${SET_LABEL} ${path}`;
    return `${node.file}:${node.line}: ${path}`;
  }

  error(node: ConfNode, path: string, message: string): void {
    this.errors.push(`${this.where(node, path)}: ${message}`);
  }

  warning(node: ConfNode, path: string, message: string): void {
    this.warnings.push(`${this.where(node, path)}: ${message}`);
  }

  /** Reads `node` (absent: undefined) as `desc`; returns the typed value or the default. */
  read(desc: Desc, node: ConfNode | undefined, path: string): unknown {
    if (node === undefined) return defaultOf(desc);
    switch (desc.t) {
      case 'scalar':
        return this.readScalar(desc.schema, desc.def, node, path, desc.fallback === true ? desc.defText : null);
      case 'map':
        return this.readMap(desc, node, path);
      case 'text-map':
        return this.readTextMap(desc.def, node, path);
      case 'text-list':
        return this.readTextList(desc.def, node, path);
      case 'item-list':
        return this.readItemList(desc.readItem, node, path);
      case 'map-list':
        return this.readMapList(desc.item, node, path);
      case 'any':
        return toPlain(node);
    }
  }

  /** Reads a sequence of checked items; a bad item is an error at `path[index]` and is left out. */
  readItemList(readItem: (value: unknown) => { value: unknown } | { problem: string }, node: ConfNode, path: string): unknown[] {
    if (node.kind === 'scalar' && node.value === null) return [];
    const items = node.kind === 'seq' ? node.items : [node];
    const out: unknown[] = [];
    items.forEach((item, i) => {
      const read = readItem(toPlain(item));
      if ('problem' in read) this.error(item, `${path}[${i}]`, read.problem);
      else out.push(read.value);
    });
    return out;
  }

  /**
   * Reads a scalar with `schema`. With `fallbackText`, an invalid value is
   * a warning that names the default used instead.
   */
  readScalar(
    schema: { safeParse(v: string): { success: boolean; data?: unknown; error?: { issues: { message: string }[] } } },
    def: unknown,
    node: ConfNode,
    path: string,
    fallbackText: string | null = null,
  ): unknown {
    if (node.kind !== 'scalar') {
      this.error(node, path, `expected a single value, found a ${node.kind === 'map' ? 'map' : 'sequence'}`);
      return def;
    }
    // An empty value (`key:`) leaves the default in place, as in Suricata.
    if (node.value === null) return def;
    const result = schema.safeParse(node.value);
    if (result.success) return result.data;
    for (const issue of result.error?.issues ?? []) {
      if (fallbackText === null) this.error(node, path, issue.message);
      else this.warning(node, path, `${issue.message}, using ${fallbackText}`);
    }
    return def;
  }

  readMap(desc: MapDesc, node: ConfNode, path: string): Record<string, unknown> {
    const out = defaultOf(desc) as Record<string, unknown>;
    if (node.kind === 'scalar' && node.value === null) return out;
    if (node.kind !== 'map') {
      this.error(node, path, 'expected a map of keys');
      return out;
    }
    for (const [key, child] of node.entries) {
      const childPath = path === '' ? key : `${path}.${key}`;
      const childDesc = desc.fields[key];
      if (childDesc === undefined) {
        this.unknownKey(desc, child, childPath, key, path);
        continue;
      }
      out[propertyName(key)] = this.read(childDesc, child, childPath);
    }
    return out;
  }

  /** Warns about `key`, naming the nearest key that `desc` declares. */
  unknownKey(desc: MapDesc, node: ConfNode, childPath: string, key: string, parentPath: string): void {
    const nearest = nearestKey(key, Object.keys(desc.fields));
    let hint = '';
    if (nearest !== null) {
      const nearestPath = parentPath === '' ? nearest : `${parentPath}.${nearest}`;
      hint = ` (nearest known key: ${nearestPath})`;
    }
    this.warning(node, childPath, `unknown key, ignored${hint}`);
  }

  /** Reads a sequence of maps; an item that lacks a required key is an error at that item. */
  private readMapList(item: MapDesc, node: ConfNode, path: string): Record<string, unknown>[] {
    if (node.kind === 'scalar' && node.value === null) return [];
    if (node.kind !== 'seq') {
      this.error(node, path, 'expected a sequence of maps');
      return [];
    }
    const out: Record<string, unknown>[] = [];
    node.items.forEach((child, i) => {
      const childPath = `${path}.${i}`;
      out.push(this.readMap(item, child, childPath));
      for (const [key, desc] of Object.entries(item.fields)) {
        if (desc.t === 'scalar' && desc.required === true && (child.kind !== 'map' || child.entries.get(key)?.value == null)) {
          this.error(child, `${childPath}.${key}`, 'missing (this key is required)');
        }
      }
    });
    return out;
  }

  private readTextMap(def: Record<string, string>, node: ConfNode, path: string): Record<string, string> {
    const out = { ...def };
    if (node.kind === 'scalar' && node.value === null) return out;
    if (node.kind !== 'map') {
      this.error(node, path, 'expected a map of names to values');
      return out;
    }
    for (const [key, child] of node.entries) {
      if (child.kind !== 'scalar' || child.value === null) {
        this.error(child, `${path}.${key}`, 'expected a single value');
        continue;
      }
      out[key] = child.value;
    }
    return out;
  }

  private readTextList(def: string[], node: ConfNode, path: string): string[] {
    if (node.kind === 'scalar') {
      if (node.value === null) return [];
      return [node.value];
    }
    if (node.kind !== 'seq') {
      this.error(node, path, 'expected a sequence of values');
      return [...def];
    }
    const out: string[] = [];
    node.items.forEach((item, i) => {
      if (item.kind !== 'scalar' || item.value === null) {
        this.error(item, `${path}.${i}`, 'expected a single value');
        return;
      }
      out.push(item.value);
    });
    return out;
  }
}

/** Converts a subtree to plain JavaScript values (text, arrays, objects). */
export function toPlain(node: ConfNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [key, child] of node.entries) out[key] = toPlain(child);
  return out;
}
