/**
 * Selecting cases of the suricata-verify corpus from its MANIFEST.json, for
 * `kapu verify --manifest-filter NAME` and the compatibility figures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { CaseEntry } from './verify-case.js';
import { findEtcDir } from './verify-case.js';

/** The manifest file at the corpus root. */
export const MANIFEST_FILE = 'MANIFEST.json';

/** The fields of a MANIFEST.json test entry that kapu verify reads. */
export interface ManifestTest {
  name: string;
  corpus_dir?: string;
  pcap?: { path?: string } | null;
  app_protocols?: string[] | null;
  negative_only?: boolean;
}

/**
 * Named selections of manifest tests:
 * - no-app: tests with no application protocol (`app_protocols` empty or missing).
 * - no-app-alerts: those of them that expect at least one alert.
 * - no-app-negative: those of them that expect no alert at all.
 * - app: tests whose protocols are all among those kapu parses (http, dns,
 *   tls, ssh) or none, http-evader aside.
 * - app-alerts: those of them that expect at least one alert.
 * - http-evader: the evasive HTTP captures under http-evader/.
 */
export const MANIFEST_FILTERS = {
  'no-app': (t: ManifestTest) => isWithoutAppProtocol(t),
  'no-app-alerts': (t: ManifestTest) => isWithoutAppProtocol(t) && t.negative_only !== true,
  'no-app-negative': (t: ManifestTest) => isWithoutAppProtocol(t) && t.negative_only === true,
  app: (t: ManifestTest) => isParsedAppOnly(t) && !isHttpEvader(t),
  'app-alerts': (t: ManifestTest) => isParsedAppOnly(t) && !isHttpEvader(t) && t.negative_only !== true,
  'http-evader': (t: ManifestTest) => isHttpEvader(t),
} as const;
export type ManifestFilterName = keyof typeof MANIFEST_FILTERS;

/** Tells whether a name is one of MANIFEST_FILTERS. */
export function isManifestFilterName(name: string): name is ManifestFilterName {
  return Object.hasOwn(MANIFEST_FILTERS, name);
}

function isWithoutAppProtocol(test: ManifestTest): boolean {
  return test.app_protocols === undefined || test.app_protocols === null || test.app_protocols.length === 0;
}

/** The application protocols kapu parses. */
const PARSED_APP_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'dns', 'tls', 'ssh']);

function isParsedAppOnly(test: ManifestTest): boolean {
  return isWithoutAppProtocol(test) || (test.app_protocols ?? []).every((proto) => PARSED_APP_PROTOCOLS.has(proto));
}

function isHttpEvader(test: ManifestTest): boolean {
  return test.name.startsWith('http-evader/');
}

/**
 * Finds the folder with MANIFEST.json: `dir` itself, or its
 * `suricata-verify/` folder when `dir` is the corpus root. Returns `dir`
 * when neither has one, so that reading it reports the missing file.
 */
export function findManifestDir(dir: string): string {
  if (existsSync(join(dir, MANIFEST_FILE))) return dir;
  const below = join(dir, 'suricata-verify');
  return existsSync(join(below, MANIFEST_FILE)) ? below : dir;
}

/** Reads the test list of `<corpusDir>/MANIFEST.json`. */
export function readManifest(corpusDir: string): ManifestTest[] {
  const path = join(corpusDir, MANIFEST_FILE);
  if (!existsSync(path)) throw new Error(`${path} not found: --manifest-filter needs the corpus folder that contains ${MANIFEST_FILE}`);
  const doc: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const tests = (doc as { tests?: unknown }).tests;
  if (!Array.isArray(tests)) throw new Error(`${path}: tests is missing or not a list`);
  return tests as ManifestTest[];
}

/** Turns manifest tests into case entries, with the manifest's capture path as fallback. */
export function manifestCaseEntries(corpusDir: string, tests: ManifestTest[]): CaseEntry[] {
  const root = resolve(corpusDir);
  return tests.map((test) => {
    const dir = join(root, test.corpus_dir ?? test.name);
    const pcapPath = typeof test.pcap?.path === 'string' ? join(root, test.pcap.path) : null;
    return { name: test.name, dir, manifestPcapPath: pcapPath, etcDir: findEtcDir(dir) };
  });
}

/** Selects the case entries of a named filter from `<corpusDir>/MANIFEST.json`. */
export function selectManifestCases(corpusDir: string, filter: ManifestFilterName): CaseEntry[] {
  const tests = readManifest(corpusDir).filter(MANIFEST_FILTERS[filter]);
  return manifestCaseEntries(corpusDir, tests);
}
