/**
 * The catalog of virtual patches: one rules file per vulnerability, named
 * after its CVE (`cve-2021-44228.rules`), in one folder. Each file contains
 * `drop` rules that shield a vulnerable service until it is patched.
 * A state file beside the catalog lists the patches that an operator
 * disabled; rule loading skips their files.
 *
 * State file (JSON, `virtual-patches.state-file`, default `state.json` in
 * the catalog folder):
 *
 *   { "disabled": ["CVE-2014-6271"] }
 *
 * A missing state file means that every patch is enabled.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import type { KapuConfig } from '../config/types.js';
import { loadRuleFiles } from '../detect/rule-files.js';

/** The catalog that ships with kapu: rules/virtual-patches/ in the package. */
export const BUNDLED_CATALOG_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'rules', 'virtual-patches');

/** File name of a patch: the CVE id in lower case. */
const PATCH_FILE_NAME = /^(cve-\d{4}-\d{4,})\.rules$/i;

/** A CVE id as the commands accept it (any letter case). */
const CVE_ID = /^CVE-\d{4}-\d{4,}$/i;

/** One patch of the catalog, as `kapu patches list` shows it. */
export interface VirtualPatch {
  /** CVE id in upper case, from the file name. */
  cve: string;
  /** Product, from the `product` metadata of the first rule; "" when absent. */
  product: string;
  /** Affected versions, from the `affected_versions` metadata; "" when absent. */
  affectedVersions: string;
  /** Sids of the rules that load. */
  sids: number[];
  /** False when the state file lists the patch as disabled. */
  isEnabled: boolean;
  /** Absolute path of the rules file. */
  file: string;
  /** Rules of the file that do not load (each is a problem of the catalog). */
  failedRules: number;
}

/** Returns the catalog folder that `config` names (`virtual-patches.path`), or the bundled one. */
export function catalogDirOf(config: KapuConfig): string {
  const path = config.virtualPatches.path;
  return path === null || path === '' ? BUNDLED_CATALOG_DIR : resolve(path);
}

/** Returns the state file path: `virtual-patches.state-file`, relative to the catalog folder. */
export function stateFileOf(config: KapuConfig): string {
  const file = config.virtualPatches.stateFile;
  return isAbsolute(file) ? file : join(catalogDirOf(config), file);
}

/** Normalises a CVE id to upper case; returns null when `text` is not one. */
export function parseCveId(text: string): string | null {
  return CVE_ID.test(text) ? text.toUpperCase() : null;
}

/**
 * Lists the patch files of a catalog folder as CVE id and path, sorted by
 * CVE. Files that are not named `cve-YYYY-NNNN.rules` are not patches.
 * Throws ConfigError when the folder cannot be read.
 */
export function listPatchFiles(dir: string): { cve: string; file: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([`virtual-patches.path: catalog folder '${dir}' cannot be read (${reason})`]);
  }
  const patches: { cve: string; file: string }[] = [];
  for (const name of names.sort()) {
    const match = PATCH_FILE_NAME.exec(name);
    if (match !== null) patches.push({ cve: match[1]!.toUpperCase(), file: join(dir, name) });
  }
  return patches;
}

/**
 * Reads the disabled CVE ids from the state file. A missing file disables
 * nothing. Throws ConfigError for a file that cannot be read or parsed,
 * because loading a patch that the operator disabled, or skipping one
 * that is enabled, must not happen silently.
 */
export function readDisabledPatches(stateFile: string): Set<string> {
  if (!existsSync(stateFile)) return new Set();
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([`virtual-patches.state-file: '${stateFile}' cannot be read (${reason}); fix or delete it`]);
  }
  const disabled = (doc as { disabled?: unknown } | null)?.disabled;
  if (!Array.isArray(disabled) || !disabled.every((id) => typeof id === 'string' && parseCveId(id) !== null)) {
    throw new ConfigError([`virtual-patches.state-file: '${stateFile}' is invalid (expected {"disabled": ["CVE-YYYY-NNNN", ...]}); fix or delete it`]);
  }
  return new Set(disabled.map((id: string) => id.toUpperCase()));
}

/**
 * Writes the disabled CVE ids to the state file, sorted, through a
 * temporary file and a rename, so a reader never sees half a file.
 */
export function writeDisabledPatches(stateFile: string, disabled: ReadonlySet<string>): void {
  const text = JSON.stringify({ disabled: [...disabled].sort() }, null, 2) + '\n';
  const temporary = `${stateFile}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, stateFile);
}

/**
 * Returns the rules files of the enabled patches when the catalog is on
 * (`virtual-patches.enabled`), else none. Rule loading appends them to
 * the configured rule files.
 */
export function enabledPatchFiles(config: KapuConfig): string[] {
  if (!config.virtualPatches.enabled) return [];
  const disabled = readDisabledPatches(stateFileOf(config));
  return listPatchFiles(catalogDirOf(config))
    .filter((patch) => !disabled.has(patch.cve))
    .map((patch) => patch.file);
}

/** Returns the value of metadata `key` among `entries` ("key value" strings), or "". */
function metadataValue(entries: readonly string[], key: string): string {
  for (const entry of entries) {
    const trimmed = entry.trim();
    if (trimmed.startsWith(key + ' ')) return trimmed.slice(key.length + 1).trim();
  }
  return '';
}

/**
 * Loads every patch of the catalog in `dir` to describe it: product and
 * affected versions from the rules' metadata, sids, and whether the state
 * file disables it.
 */
export function describePatches(dir: string, disabled: ReadonlySet<string>): VirtualPatch[] {
  return listPatchFiles(dir).map(({ cve, file }) => {
    const loaded = loadRuleFiles([file]);
    const first = loaded.signatures[0];
    return {
      cve,
      product: first === undefined ? '' : metadataValue(first.metadata, 'product'),
      affectedVersions: first === undefined ? '' : metadataValue(first.metadata, 'affected_versions'),
      sids: loaded.signatures.map((s) => s.sid).sort((a, b) => a - b),
      isEnabled: !disabled.has(cve),
      file,
      failedRules: loaded.summary.failed,
    };
  });
}
