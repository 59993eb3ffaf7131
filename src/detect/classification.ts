/**
 * classification.config and reference.config, the two lookup files that
 * rules refer to with `classtype:` and `reference:`. Lines read
 * `config classification: name,description,priority` and
 * `config reference: system url-prefix`; `#` starts a comment. The
 * description of a classtype is the alert's category (EVE
 * `alert.category`); its priority is the alert's default priority.
 *
 * kapu ships Suricata's two files under rules/ as the built-in defaults.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One classtype. */
export interface Classification {
  name: string;
  description: string;
  priority: number;
}

/** Parsed classification.config: classtypes by lower-case name, and the lines that failed to parse. */
export interface ClassificationTable {
  classes: Map<string, Classification>;
  problems: string[];
}

/** Parsed reference.config: URL prefixes by reference system (lower case), and problems. */
export interface ReferenceTable {
  systems: Map<string, string>;
  problems: string[];
}

/** Path of a built-in file under the repository's rules/ folder. */
function builtinPath(name: string): string {
  return fileURLToPath(new URL(`../../../rules/${name}`, import.meta.url));
}

/** Parses the text of a classification.config; `file` names it in problems. */
export function parseClassificationConfig(text: string, file: string): ClassificationTable {
  const classes = new Map<string, Classification>();
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = /^config\s+classification\s*:\s*(.*)$/.exec(line);
    if (match === null) {
      problems.push(`${file}:${i + 1}: '${line}' is not a 'config classification:' line`);
      continue;
    }
    const fields = match[1].split(',');
    if (fields.length !== 3) {
      problems.push(`${file}:${i + 1}: '${match[1]}' has ${fields.length} fields (expected name,description,priority)`);
      continue;
    }
    const name = fields[0].trim();
    const description = fields[1].trim();
    const priorityText = fields[2].trim();
    if (!/^\d+$/.test(priorityText) || name.length === 0) {
      problems.push(`${file}:${i + 1}: priority '${priorityText}' of classtype '${name}' is not a non-negative integer`);
      continue;
    }
    classes.set(name.toLowerCase(), { name, description, priority: Number(priorityText) });
  }
  return { classes, problems };
}

/** Parses the text of a reference.config; `file` names it in problems. */
export function parseReferenceConfig(text: string, file: string): ReferenceTable {
  const systems = new Map<string, string>();
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = /^config\s+reference\s*:\s*(\S+)\s+(\S+)\s*$/.exec(line);
    if (match === null) {
      problems.push(`${file}:${i + 1}: '${line}' is not a 'config reference: system url' line`);
      continue;
    }
    systems.set(match[1].toLowerCase(), match[2]);
  }
  return { systems, problems };
}

/** Reads a classification.config; without a path, the built-in one. */
export function loadClassificationConfig(path: string | null = null): ClassificationTable {
  const file = path ?? builtinPath('classification.config');
  return parseClassificationConfig(readFileSync(file, 'utf8'), file);
}

/** Reads a reference.config; without a path, the built-in one. */
export function loadReferenceConfig(path: string | null = null): ReferenceTable {
  const file = path ?? builtinPath('reference.config');
  return parseReferenceConfig(readFileSync(file, 'utf8'), file);
}
