/**
 * The suricata-verify cases of the header buffer, VLAN, TCP option, ICMPv6
 * MTU and flow counter keywords, run through `kapu verify`. Each listed
 * case passes in full; the corpus is found at $KAPU_CORPUS or
 * ../shared/corpus beside the repository, and without it the test is
 * skipped.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultVerifyOptions, discoverCases, formatResultLine, loadRunCapture, verifyCases } from '../../cli/verify.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Cases that use the keywords of this folder and pass with kapu's other stages as they are. */
const PASSING_CASES = [
  'detect-vlan-id',
  'detect-vlan-layers',
  'tcp-mss-keyword',
  'ipv6-hdr-keyword-01',
  'eve-ip-version-6',
  'icmp-hdr-01',
  'icmp-hdr-02',
  'udp-hdr-keyword',
  'issue-3341-tcphdr-01',
  'detect-bytemath-01',
  'detect-bytemath-05',
  'detect-flow-pkts',
  'flowbits-prefilter-06-opdir',
  'ipv6-evasion/ipv6-atomic-fragments-toobig',
  'ipv6-evasion/ipv6-kill-router-gateway',
];

function findSuiteDir(): string | null {
  const roots = [process.env.KAPU_CORPUS, join(REPO_ROOT, '..', 'shared', 'corpus')];
  for (const root of roots) {
    if (root === undefined || root === '') continue;
    for (const dir of [join(root, 'suricata-verify'), root]) {
      if (existsSync(join(dir, 'detect-vlan-id'))) return resolve(dir);
    }
  }
  return null;
}

const suiteDir = findSuiteDir();

test(
  'header keyword verify cases pass',
  { skip: suiteDir === null ? 'corpus not found: set KAPU_CORPUS or place it at ../shared/corpus' : false },
  async () => {
    const dir = suiteDir as string;
    const entries = discoverCases(PASSING_CASES.map((name) => join(dir, name)));
    assert.equal(entries.length, PASSING_CASES.length);
    const results = await verifyCases(entries, defaultVerifyOptions(await loadRunCapture()));
    for (const result of results) assert.equal(result.status, 'pass', formatResultLine(result));
  },
);
