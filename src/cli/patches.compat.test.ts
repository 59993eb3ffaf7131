// Runs the whole virtual-patch catalog in IPS mode over the benign
// captures of the shared corpus (pcaps/benign: ordinary HTTP browsing,
// uploads, pipelined and multipart requests, and many other protocols).
// No patch may alert there: a hit would block normal traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR } from '../../test/corpus-path.js';
import { describePatches, BUNDLED_CATALOG_DIR } from '../policy/virtual-patches.js';
import { benignDirOf, testPatches } from './patches-test.js';

function findCorpus(): string | null {
  const candidates = [process.env['KAPU_CORPUS'], '../shared/corpus', CORPUS_DIR];
  for (const dir of candidates) if (dir !== undefined && existsSync(join(dir, 'pcaps', 'benign'))) return dir;
  return null;
}

const CORPUS = findCorpus();

test('no patch fires on benign corpus', { skip: CORPUS === null ? 'benign capture corpus not found (set KAPU_CORPUS)' : false }, async () => {
  assert.ok(benignDirOf(CORPUS) !== null);
  const patches = describePatches(BUNDLED_CATALOG_DIR, new Set());
  assert.equal(patches.length, 10);

  // A control patch that drops every GET shows that the run inspects the
  // corpus's HTTP requests at all.
  const control = join(mkdtempSync(join(tmpdir(), 'kapu-vpatch-control-')), 'cve-2000-0001.rules');
  writeFileSync(control, 'drop http any any -> $HOME_NET any (msg:"any GET"; flow:established,to_server; http.method; content:"GET"; sid:9100999; rev:1;)\n');
  const controlPatch = { cve: 'CVE-2000-0001', product: '', affectedVersions: '', sids: [9100999], isEnabled: true, file: control, failedRules: 0 };

  const results = await testPatches([...patches, controlPatch], { capturesDir: join(BUNDLED_CATALOG_DIR, 'no-captures'), corpusDir: CORPUS });
  const controlResult = results.pop();
  assert.ok((controlResult?.benignHits ?? 0) > 20, `control patch hit ${controlResult?.benignHits} times`);
  for (const r of results) assert.equal(r.benignHits, 0, `${r.cve} alerted ${r.benignHits} times on benign traffic`);
});
