/**
 * `kapu patches list|test|enable|disable`: the catalog of virtual patches
 * (docs/virtual-patches.md). The catalog folder and the state file come
 * from the config (`virtual-patches.path`, `virtual-patches.state-file`).
 */
import { loadConfig } from '../config/load-config.js';
import type { KapuConfig } from '../config/types.js';
import { UsageError } from '../core/errors.js';
import {
  catalogDirOf,
  describePatches,
  listPatchFiles,
  parseCveId,
  readDisabledPatches,
  stateFileOf,
  writeDisabledPatches,
  type VirtualPatch,
} from '../policy/virtual-patches.js';
import { benignDirOf, BUNDLED_CAPTURES_DIR, formatPatchTests, formatTable, testPatches } from './patches-test.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Destination of the command output: stdout, or a collecting stream in tests. */
export interface Output {
  write(text: string): unknown;
}

/** Config options shared by the patches commands. */
export interface PatchesConfigOptions {
  configPath: string | null;
  sets: string[];
}

function loadPatchesConfig(opts: PatchesConfigOptions): KapuConfig {
  return loadConfig(opts.configPath, opts.sets).config;
}

/** Describes the catalog's patches with their enabled state. */
function catalogOf(config: KapuConfig): VirtualPatch[] {
  return describePatches(catalogDirOf(config), readDisabledPatches(stateFileOf(config)));
}

/** Prints the catalog: CVE, product, sids, enabled, file. Returns the exit status. */
export function runPatchesList(opts: PatchesConfigOptions, out: Output): number {
  const config = loadPatchesConfig(opts);
  const patches = catalogOf(config);
  const rows = [['CVE', 'PRODUCT', 'SIDS', 'ENABLED', 'FILE']];
  for (const p of patches) {
    const failed = p.failedRules > 0 ? ` (${p.failedRules} rules do not load)` : '';
    rows.push([p.cve, p.product, p.sids.join(','), p.isEnabled ? 'yes' : 'no', p.file + failed]);
  }
  const lines = formatTable(rows);
  const state = config.virtualPatches.enabled ? 'on' : 'off (virtual-patches.enabled: no)';
  lines.push(`${patches.length} patches, ${patches.filter((p) => p.isEnabled).length} enabled; catalog ${state}`);
  out.write(lines.join('\n') + '\n');
  return patches.some((p) => p.failedRules > 0) ? 1 : 0;
}

/** Options of `kapu patches test`. */
export interface PatchesTestOptions extends PatchesConfigOptions {
  /** CVE ids to test; empty: every patch of the catalog. */
  cves: string[];
  /** Folder of the captures, or null for the bundled ones. */
  capturesDir: string | null;
  /** Folder of the shared corpus, or null to look at KAPU_CORPUS and ../shared/corpus. */
  corpusDir: string | null;
}

/** Finds the shared corpus: KAPU_CORPUS, else shared/corpus beside the package folder. */
export function defaultCorpusDir(): string | null {
  const fromEnv = process.env['KAPU_CORPUS'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const beside = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'shared', 'corpus');
  return existsSync(join(beside, 'pcaps', 'benign')) ? beside : null;
}

/**
 * Tests the chosen patches over their captures and prints one line each.
 * Returns 1 when an attempt is not blocked, a normal or benign capture
 * alerts, or a capture is missing; else 0.
 */
export async function runPatchesTest(opts: PatchesTestOptions, out: Output): Promise<number> {
  const config = loadPatchesConfig(opts);
  const patches = selectPatches(catalogOf(config), opts.cves);
  const corpusDir = opts.corpusDir ?? defaultCorpusDir();
  const results = await testPatches(patches, { capturesDir: opts.capturesDir ?? BUNDLED_CAPTURES_DIR, corpusDir });
  out.write(formatPatchTests(results, benignDirOf(corpusDir)));
  return results.every((r) => r.isPassed) ? 0 : 1;
}

/** Returns the patches named by `cves` (all when empty); throws UsageError for an unknown one. */
function selectPatches(patches: VirtualPatch[], cves: string[]): VirtualPatch[] {
  if (cves.length === 0) return patches;
  return cves.map((text) => {
    const cve = parseCveId(text);
    const patch = patches.find((p) => p.cve === cve);
    if (patch === undefined) throw new UsageError(`no virtual patch for '${text}' in the catalog; see kapu patches list`);
    return patch;
  });
}

/**
 * Enables or disables one patch in the state file and prints what
 * changed. The choice takes effect at the next start or rule reload.
 */
export function runPatchesSetEnabled(opts: PatchesConfigOptions & { cve: string; isEnabled: boolean }, out: Output): number {
  const config = loadPatchesConfig(opts);
  const cve = parseCveId(opts.cve);
  const known = listPatchFiles(catalogDirOf(config)).map((p) => p.cve);
  if (cve === null || !known.includes(cve)) {
    throw new UsageError(`no virtual patch for '${opts.cve}' in the catalog; see kapu patches list`);
  }
  const stateFile = stateFileOf(config);
  const disabled = readDisabledPatches(stateFile);
  const wasEnabled = !disabled.has(cve);
  if (opts.isEnabled) disabled.delete(cve);
  else disabled.add(cve);
  if (wasEnabled !== opts.isEnabled) writeDisabledPatches(stateFile, disabled);

  const verb = opts.isEnabled ? 'enabled' : 'disabled';
  const change = wasEnabled === opts.isEnabled ? `${cve} was already ${verb}` : `${cve} ${verb} in ${stateFile}`;
  const when = config.virtualPatches.enabled
    ? 'it takes effect when kapu starts or reloads its rules (kapu reload, SIGUSR2)'
    : 'the catalog is off: set virtual-patches.enabled: yes to load it';
  out.write(`${change}; ${when}\n`);
  return 0;
}
