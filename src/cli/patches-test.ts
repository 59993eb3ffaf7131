/**
 * `kapu patches test`: runs each virtual patch in IPS mode over its two
 * captures, through runCapture as `kapu run -r FILE -S PATCH --mode ips`
 * would, and counts from the EVE output:
 *
 * - attempts: TCP connections in CVE-attempts.pcap, each carrying one
 *   attempt; an attempt is blocked when its connection has a `blocked`
 *   alert of the patch and a `drop` event;
 * - normal requests alerted: connections of CVE-normal.pcap with any
 *   alert of the patch (false positives);
 * - benign hits: alerts of the patch over the benign captures of the
 *   shared corpus (pcaps/benign), when that folder exists.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCapture } from './run.js';
import type { VirtualPatch } from '../policy/virtual-patches.js';

/** Repository or package root: this file compiles to dist/src/cli/. */
const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** Captures of the bundled catalog, `cve-YYYY-NNNN-attempts.pcap` and `-normal.pcap`. */
export const BUNDLED_CAPTURES_DIR = join(PACKAGE_ROOT, 'test', 'pcaps', 'virtual-patches');

/**
 * The run's config: every address counts as protected, so each patch's
 * `$HOME_NET` covers the captures' servers whatever the operator's
 * HOME_NET is, and EVE keeps the events that the counts need.
 */
const TEST_CONFIG = `vars:
  address-groups:
    HOME_NET: "any"
    EXTERNAL_NET: "any"
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - drop
        - flow
`;

/** Per-patch figures of `kapu patches test`. */
export interface PatchTestResult {
  cve: string;
  file: string;
  /** Attempt connections in the attempts capture; null when the capture is missing. */
  attempts: number | null;
  /** Attempt connections with a blocked alert of the patch and a drop event. */
  blocked: number;
  /** Connections in the normal capture; null when the capture is missing. */
  normalRequests: number | null;
  /** Normal connections that the patch alerted on. */
  normalAlerted: number;
  /** Alerts of the patch over the benign corpus; null when it was not run. */
  benignHits: number | null;
  /** True when every attempt is blocked and nothing normal or benign alerted. */
  isPassed: boolean;
}

/** Options of testPatches. */
export interface PatchTestOptions {
  /** Folder with the captures, by CVE in lower case. */
  capturesDir: string;
  /** Folder of the shared corpus (its pcaps/benign is read), or null to skip it. */
  corpusDir: string | null;
}

interface EveEvent {
  event_type: string;
  flow_id?: number;
  proto?: string;
  alert?: { action: string; signature_id: number };
}

/** Runs one capture with the rules `ruleFiles` in IPS mode and returns its EVE events. */
async function runIps(pcapPath: string, ruleFiles: string[], scratch: string, name: string): Promise<EveEvent[]> {
  const logDir = join(scratch, name);
  await runCapture({
    pcapPath,
    configPath: join(scratch, 'patch-test.yaml'),
    ruleFiles,
    extraRuleFiles: [],
    logDir,
    checksumMode: null,
    sets: [],
    mode: 'ips',
    env: {},
    quiet: true,
  });
  const eve = join(logDir, 'eve.json');
  if (!existsSync(eve)) return [];
  const text = readFileSync(eve, 'utf8').trim();
  return text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as EveEvent);
}

/** Returns the flow ids of the TCP connections among `events`. */
function tcpFlows(events: EveEvent[]): Set<number> {
  const flows = new Set<number>();
  for (const e of events) if (e.event_type === 'flow' && e.proto === 'TCP' && e.flow_id !== undefined) flows.add(e.flow_id);
  return flows;
}

/** Returns the flow ids of `events` of `type` (and, for alerts, of a sid in `sids` with `action` when given). */
function flowsOf(events: EveEvent[], type: string, sids: ReadonlySet<number> | null, action: string | null): Set<number> {
  const flows = new Set<number>();
  for (const e of events) {
    if (e.event_type !== type || e.flow_id === undefined) continue;
    if (sids !== null && !sids.has(e.alert?.signature_id ?? -1)) continue;
    if (action !== null && e.alert?.action !== action) continue;
    flows.add(e.flow_id);
  }
  return flows;
}

/** Returns the benign captures folder of the corpus, or null when it is absent. */
export function benignDirOf(corpusDir: string | null): string | null {
  if (corpusDir === null) return null;
  const dir = join(corpusDir, 'pcaps', 'benign');
  return existsSync(dir) ? dir : null;
}

/** Runs each patch over its captures (and all of them over the benign corpus) and returns the figures. */
export async function testPatches(patches: readonly VirtualPatch[], opts: PatchTestOptions): Promise<PatchTestResult[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-patches-'));
  try {
    writeFileSync(join(scratch, 'patch-test.yaml'), TEST_CONFIG);
    const benignBySid = await countBenignHits(patches, opts, scratch);
    const results: PatchTestResult[] = [];
    for (const patch of patches) results.push(await testPatch(patch, opts, scratch, benignBySid));
    return results;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs every patch at once over the benign corpus; returns alerts by sid, or null without a corpus. */
async function countBenignHits(patches: readonly VirtualPatch[], opts: PatchTestOptions, scratch: string): Promise<Map<number, number> | null> {
  const benign = benignDirOf(opts.corpusDir);
  if (benign === null || patches.length === 0) return null;
  const events = await runIps(benign, patches.map((p) => p.file), scratch, 'benign');
  const bySid = new Map<number, number>();
  for (const e of events) {
    const sid = e.alert?.signature_id;
    if (e.event_type === 'alert' && sid !== undefined) bySid.set(sid, (bySid.get(sid) ?? 0) + 1);
  }
  return bySid;
}

async function testPatch(patch: VirtualPatch, opts: PatchTestOptions, scratch: string, benignBySid: Map<number, number> | null): Promise<PatchTestResult> {
  const name = patch.cve.toLowerCase();
  const sids = new Set(patch.sids);
  const result: PatchTestResult = { cve: patch.cve, file: patch.file, attempts: null, blocked: 0, normalRequests: null, normalAlerted: 0, benignHits: null, isPassed: false };

  const attemptsPcap = join(opts.capturesDir, `${name}-attempts.pcap`);
  if (existsSync(attemptsPcap)) {
    const events = await runIps(attemptsPcap, [patch.file], scratch, `${name}-attempts`);
    const attempts = tcpFlows(events);
    const alerted = flowsOf(events, 'alert', sids, 'blocked');
    const dropped = flowsOf(events, 'drop', null, null);
    result.attempts = attempts.size;
    for (const flow of attempts) if (alerted.has(flow) && dropped.has(flow)) result.blocked++;
  }

  const normalPcap = join(opts.capturesDir, `${name}-normal.pcap`);
  if (existsSync(normalPcap)) {
    const events = await runIps(normalPcap, [patch.file], scratch, `${name}-normal`);
    result.normalRequests = tcpFlows(events).size;
    result.normalAlerted = flowsOf(events, 'alert', sids, null).size;
  }

  if (benignBySid !== null) {
    result.benignHits = 0;
    for (const sid of patch.sids) result.benignHits += benignBySid.get(sid) ?? 0;
  }

  result.isPassed =
    result.attempts !== null &&
    result.attempts > 0 &&
    result.blocked === result.attempts &&
    result.normalRequests !== null &&
    result.normalAlerted === 0 &&
    (result.benignHits ?? 0) === 0;
  return result;
}

/** Renders the results as a table with one line per patch and a closing line. */
export function formatPatchTests(results: readonly PatchTestResult[], benignDir: string | null): string {
  const rows = [['CVE', 'ATTEMPTS BLOCKED', 'NORMAL ALERTED', 'BENIGN HITS', 'RESULT']];
  for (const r of results) {
    rows.push([
      r.cve,
      r.attempts === null ? 'no capture' : `${r.blocked}/${r.attempts}`,
      r.normalRequests === null ? 'no capture' : `${r.normalAlerted}/${r.normalRequests}`,
      r.benignHits === null ? '-' : String(r.benignHits),
      r.isPassed ? 'ok' : 'FAIL',
    ]);
  }
  const lines = formatTable(rows);
  const failed = results.filter((r) => !r.isPassed).length;
  lines.push(benignDir === null ? 'benign corpus: not found (set KAPU_CORPUS or give --corpus), not run' : `benign corpus: ${benignDir}`);
  lines.push(`${results.length - failed} of ${results.length} patches passed`);
  return lines.join('\n') + '\n';
}

/** Pads the columns of `rows` to their widest cell and returns the lines. */
export function formatTable(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
