/**
 * The configuration as a tree of text values with their source positions,
 * before any key is interpreted. Suricata keeps its configuration the same
 * way (every scalar is a string, sequences are nodes named 0, 1, ...), which
 * is what lets `--set outputs.1.eve-log.types.2.anomaly.types.stream=yes`
 * address any node.
 *
 * Reading handles the `%YAML 1.1` header and `---` of suricata.yaml, a
 * top-level `include:` (a file or a list of files whose keys are merged in
 * at that point) and `!include FILE` on any value. Include paths are relative
 * to the file that names them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';

/** One node of the configuration tree. */
export interface ConfNode {
  kind: 'map' | 'seq' | 'scalar';
  /** File the node was read from, or `--set` for command-line overrides. */
  file: string;
  /** 1-based line of the node in `file`, 0 for `--set`. */
  line: number;
  /** Text of a scalar. It is null for an empty value (`key:` or `~`) and for maps and sequences. */
  value: string | null;
  /** Children of a map, in file order. */
  entries: Map<string, ConfNode>;
  /** Items of a sequence. */
  items: ConfNode[];
}

/** Maximum depth of nested includes. A deeper include is reported as an error. */
export const MAX_INCLUDE_DEPTH = 8;

/** Maximum aliases followed inside one another, which stops alias cycles. */
const MAX_ALIAS_DEPTH = 16;

/** Creates a node; `entries` and `items` are always present so every node has one shape. */
export function makeNode(kind: ConfNode['kind'], file: string, line: number, value: string | null): ConfNode {
  return { kind, file, line, value, entries: new Map(), items: [] };
}

/** Reads files into ConfNode trees and collects every problem found. */
export class ConfReader {
  readonly errors: string[] = [];
  /** True when the top-level file (depth 0) does not exist. */
  isTopLevelMissing = false;

  /** Reads `path` (label in messages: `label`); returns null when it cannot be read or parsed. */
  readFile(path: string, label: string, depth = 0): ConfNode | null {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const isMissing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      if (isMissing && depth === 0) this.isTopLevelMissing = true;
      const reason = isMissing ? 'file not found' : (err as Error).message;
      this.errors.push(`${label}: failed to read config file (${reason})`);
      return null;
    }
    return this.readText(text, path, label, depth);
  }

  /** Parses YAML `text` that came from `path`. */
  readText(text: string, path: string, label: string, depth = 0): ConfNode | null {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = lineCounter.linePos(e.pos[0]).line;
        this.errors.push(`${label}:${line}: invalid YAML: ${firstLine(e.message)}`);
      }
      return null;
    }
    const root = doc.contents;
    if (root === null || root === undefined) return makeNode('map', label, 1, null);
    const ctx: ReadContext = { path, label, lineCounter, depth, doc, aliasDepth: 0 };
    const tree = this.convert(root as YamlNode, ctx);
    if (tree.kind !== 'map') {
      this.errors.push(`${label}:${tree.line}: the top level must be a map of keys`);
      return null;
    }
    this.mergeTopLevelIncludes(tree, ctx);
    return tree;
  }

  private convert(node: YamlNode, ctx: ReadContext): ConfNode {
    const line = node.range ? ctx.lineCounter.linePos(node.range[0]).line : 0;
    if (isAlias(node)) {
      // `*name` reads the anchored node `&name`.
      const target = node.resolve(ctx.doc);
      if (target === undefined || ctx.aliasDepth >= MAX_ALIAS_DEPTH) {
        this.errors.push(`${ctx.label}:${line}: alias '*${node.source}' names no anchor, or aliases nest too deep`);
        return makeNode('scalar', ctx.label, line, null);
      }
      ctx.aliasDepth++;
      const resolved = this.convert(target as YamlNode, ctx);
      ctx.aliasDepth--;
      return resolved;
    }
    if (node.tag === '!include' && isScalar(node)) {
      return this.readInclude(String(node.value ?? ''), line, ctx) ?? makeNode('scalar', ctx.label, line, null);
    }
    if (isMap(node)) {
      const out = makeNode('map', ctx.label, line, null);
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        const key = keyNode !== null && isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const keyLine = keyNode?.range ? ctx.lineCounter.linePos(keyNode.range[0]).line : line;
        const child =
          pair.value === null || pair.value === undefined
            ? makeNode('scalar', ctx.label, keyLine, null)
            : this.convert(pair.value as YamlNode, ctx);
        // Messages point at the key's line. Later keys replace earlier ones, as in Suricata.
        child.line = keyLine;
        out.entries.set(key, child);
      }
      return out;
    }
    if (isSeq(node)) {
      const out = makeNode('seq', ctx.label, line, null);
      for (const item of node.items) {
        out.items.push(
          item === null || item === undefined
            ? makeNode('scalar', ctx.label, line, null)
            : this.convert(item as YamlNode, ctx),
        );
      }
      return out;
    }
    if (isScalar(node)) {
      const raw = node.value;
      const value = raw === null || raw === undefined ? null : scalarText(node.source, raw);
      return makeNode('scalar', ctx.label, line, value);
    }
    return makeNode('scalar', ctx.label, line, null);
  }

  private mergeTopLevelIncludes(tree: ConfNode, ctx: ReadContext): void {
    const include = tree.entries.get('include');
    if (include === undefined) return;
    tree.entries.delete('include');
    const names: ConfNode[] = include.kind === 'seq' ? include.items : [include];
    for (const nameNode of names) {
      if (nameNode.kind !== 'scalar' || nameNode.value === null) {
        this.errors.push(`${nameNode.file}:${nameNode.line}: include: expected a file name`);
        continue;
      }
      const included = this.readInclude(nameNode.value, nameNode.line, ctx);
      if (included === null) continue;
      if (included.kind !== 'map') {
        this.errors.push(`${nameNode.file}:${nameNode.line}: include: '${nameNode.value}' must contain a map of keys`);
        continue;
      }
      for (const [key, child] of included.entries) tree.entries.set(key, child);
    }
  }

  private readInclude(name: string, line: number, ctx: ReadContext): ConfNode | null {
    if (ctx.depth + 1 > MAX_INCLUDE_DEPTH) {
      this.errors.push(`${ctx.label}:${line}: include: '${name}' is nested too deep (maximum ${MAX_INCLUDE_DEPTH} levels)`);
      return null;
    }
    const path = resolve(dirname(ctx.path), name);
    return this.readFile(path, name, ctx.depth + 1);
  }
}

interface ReadContext {
  path: string;
  label: string;
  lineCounter: LineCounter;
  depth: number;
  doc: Document;
  /** Aliases followed on the current path, to stop alias cycles. */
  aliasDepth: number;
}

/**
 * Returns the text of a scalar as written: the source of a plain scalar (so
 * `yes` stays `yes` and `010` stays `010`), or the decoded text of a quoted one.
 */
function scalarText(source: string | undefined, value: unknown): string {
  if (typeof value === 'string') return value;
  if (source !== undefined) return source;
  return String(value);
}

function firstLine(message: string): string {
  const end = message.indexOf('\n');
  return end < 0 ? message : message.slice(0, end);
}
