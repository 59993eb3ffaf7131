/**
 * The suricata-verify cases about IP fragments, run through `kapu verify`:
 * every case that defragmentation makes pass must keep passing. The corpus
 * is found at $KAPU_CORPUS or ../shared/corpus; without it the test is
 * skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Cases of ipv6-evasion/ that pass with defragmentation: overlaps, too large datagrams, reassembled ICMPv6. */
const PASSING = [
  'ipv6-malformed-fragments-2',
  'ipv6-malformed-fragments-3',
  'ipv6-malformed-fragments-7',
  'ipv6-malformed-fragments-8',
  'ipv6-malformed-fragments-9',
  'ipv6-malformed-fragments-10',
  'ipv6-malformed-fragments-12',
  'ipv6-malformed-fragments-16',
  'ipv6-malformed-fragments-17',
  'ipv6-malformed-fragments-18',
  'ipv6-malformed-fragments-22',
  'ipv6-malformed-fragments-23',
  'ipv6-malformed-fragments-29',
  'ipv6-malformed-fragments-30',
  'ipv6-malformed-fragments-31',
  'ipv6-malformed-fragments-32',
  'ipv6-malformed-fragments-36',
  'ipv6-dos-with-ext-headers-6',
];

function findEvasionDir(): string | null {
  const roots = [process.env.KAPU_CORPUS, join(REPO_ROOT, '..', 'shared', 'corpus')];
  for (const root of roots) {
    if (root === undefined || root === '') continue;
    for (const dir of [join(root, 'suricata-verify', 'ipv6-evasion'), join(root, 'ipv6-evasion')]) {
      if (existsSync(dir)) return dir;
    }
  }
  return null;
}

const evasionDir = findEvasionDir();

test(
  'suricata-verify fragment cases pass',
  { skip: evasionDir === null ? 'corpus not found: set KAPU_CORPUS or place it at ../shared/corpus' : false },
  () => {
    const out = mkdtempSync(join(tmpdir(), 'kapu-defrag-verify-'));
    try {
      const jsonPath = join(out, 'results.json');
      const dirs = PASSING.map((name) => join(evasionDir as string, name));
      spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'kapu.js'), 'verify', '--json', jsonPath, ...dirs], {
        timeout: 120_000,
        stdio: 'ignore',
      });
      const results = JSON.parse(readFileSync(jsonPath, 'utf8')) as { name: string; status: string; reasons: string[] }[];
      assert.equal(results.length, PASSING.length);
      for (const result of results) assert.equal(result.status, 'pass', `${result.name}: ${result.reasons.join('; ')}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
