/**
 * Fox-IT's Log4Shell rules on Fox-IT's Log4Shell captures. The captures'
 * README has one table row per capture with the sids that fired on it
 * (with the Suricata of December 2021), and this test reads those rows
 * and compares them with kapu's alerts, capture by capture.
 *
 * Differences from the README, each checked by hand on the capture:
 * - The corpus copy of the rules has two typos that no Suricata loads
 *   (`referenceurl,` in sid 21003733, and a `:` after the closing
 *   parenthesis of sid 21003751). The test corrects them, since the
 *   README's results need both rules.
 * - 21003756 puts a pcre with the /H (http_header) flag after
 *   base64_data. Suricata 7 and later reject a pcre buffer flag while
 *   another sticky buffer is active, and so does kapu, so it never fires.
 * - 21003742 looks for the Java class magic within the first 20 bytes.
 *   Suricata 7 and later measure depth on stream data from the start of
 *   the stream. In the ldap captures the class comes in an HTTP response
 *   on port 8080, after a 78-byte header, so the rule does not match.
 * - 21003740 needs the xbit that the attempt rules set on the victim,
 *   within one second, before the victim's callback connection completes
 *   its handshake. Suricata 7 and later inspect a request's rules on the
 *   client's next packet after the server's ACK, and in these captures
 *   that packet comes after the callback, so the xbit is not set in time.
 * - ldap-uri-params-ev0 and -ev1: their callbacks send the 14-byte
 *   anonymous LDAP bind (`30 0c 02 01 01 60 07 02 01 03 04 00 80 00`,
 *   frame 9 of ev0), which 21003738 matches exactly. The README's rows
 *   for them lack that sid.
 * - ldap-user-agent-ev7: its request is `GET /test` with the payload in
 *   the User-Agent header (frame 4). The README lists the URI rule
 *   21003733, but the header rule 21003732 is the one that matches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCapture } from '../cli/run.js';
import { CORPUS_DIR } from '../../test/corpus-path.js';

const CAPTURES = join(CORPUS_DIR, 'pcaps', 'attacks', 'log4shell-foxit');
const RULES = join(CORPUS_DIR, 'rules', 'cve-extra', 'fox-it-log4shell', 'log4shell-suricata.rules');
const SKIP = existsSync(CAPTURES) && existsSync(RULES) ? false : `${CAPTURES} or ${RULES} not found (set KAPU_CORPUS)`;

const CONFIG = [
  'vars:',
  '  address-groups:',
  '    HOME_NET: "any"',
  '    EXTERNAL_NET: "any"',
  'outputs:',
  '  - eve-log:',
  '      enabled: yes',
  '      filename: eve.json',
  '      types:',
  '        - alert',
  '',
].join('\n');

/** Reads the README's table rows: capture file name to the sids listed for it. */
function readmeSids(readme: string): Map<string, Set<number>> {
  const rows = new Map<string, Set<number>>();
  const rowPattern = /<td><a href="[^"]*\/([\w-]+\.pcap)">[\s\S]*?<\/td>\s*<td>([\s\S]*?)<\/td>/g;
  for (const [, pcap, cell] of readme.matchAll(rowPattern)) {
    const sids = new Set([...cell!.matchAll(/>(\d+)</g)].map((m) => Number(m[1])));
    rows.set(pcap!, sids);
  }
  return rows;
}

/** Applies the differences listed at the top of this file to the README's sids of `pcap`. */
function expectedSids(pcap: string, listed: ReadonlySet<number>): Set<number> {
  const sids = new Set(listed);
  sids.delete(21003756);
  sids.delete(21003740);
  if (pcap.startsWith('ldap-')) sids.delete(21003742);
  if (pcap === 'ldap-uri-params-ev0.pcap' || pcap === 'ldap-uri-params-ev1.pcap') sids.add(21003738);
  if (pcap === 'ldap-user-agent-ev7.pcap') {
    sids.delete(21003733);
    sids.add(21003732);
  }
  return sids;
}

test('readme rows give sids per capture', () => {
  const row = '<tr><td>0</td><td><a href="https://x/y/ldap-a-ev0.pcap">ldap-a-ev0.pcap</a></td>\n<td><a href="#s" title="t">21003733</a>, <a href="#s">21003742</a></td></tr>';
  assert.deepEqual([...readmeSids(row)], [['ldap-a-ev0.pcap', new Set([21003733, 21003742])]]);
});

test('fox-it log4shell sids per capture', { skip: SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-foxit-'));
  try {
    writeFileSync(join(dir, 'kapu.yaml'), CONFIG);
    const rules = readFileSync(RULES, 'utf8').replace('referenceurl, ', 'reference:url, ').replace('rev:3;):', 'rev:3;)');
    writeFileSync(join(dir, 'fox.rules'), rules);
    const listed = readmeSids(readFileSync(join(CAPTURES, 'README.md'), 'utf8'));
    const present = [...listed.keys()].filter((pcap) => existsSync(join(CAPTURES, pcap))).sort();
    // The nine ldap-http-method captures have no README row, so 45 of the 54 are compared.
    assert.equal(present.length, 45);
    const differing: string[] = [];
    for (const pcap of present) {
      const logDir = join(dir, pcap);
      await runCapture({
        pcapPath: join(CAPTURES, pcap),
        configPath: join(dir, 'kapu.yaml'),
        ruleFiles: [join(dir, 'fox.rules')],
        extraRuleFiles: [],
        logDir,
        checksumMode: 'none',
        sets: [],
        mode: 'ids',
        env: {},
        quiet: true,
      });
      const fired = new Set<number>();
      for (const line of readFileSync(join(logDir, 'eve.json'), 'utf8').split('\n')) {
        if (line === '') continue;
        const event = JSON.parse(line) as { event_type: string; alert?: { signature_id: number } };
        if (event.event_type === 'alert' && event.alert !== undefined) fired.add(event.alert.signature_id);
      }
      const expected = [...expectedSids(pcap, listed.get(pcap)!)].sort();
      const got = [...fired].sort();
      if (expected.join() !== got.join()) differing.push(`${pcap}: expected ${expected.join(' ')}, got ${got.join(' ')}`);
    }
    assert.deepEqual(differing, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
