/**
 * The http-evader cases of suricata-verify hide one EICAR test file in
 * HTTP responses with evasive encodings (chunking, compression, odd
 * headers). Their two rules match fixed strings of the decoded file. Here
 * each rule's content has its last byte changed, and no case may alert:
 * an alert would mean the match came from something other than the
 * decoded body (raw bytes, a stray copy, a loose comparison). The cases
 * themselves, with the unchanged rules, run in the verify compat test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCapture } from '../../cli/run.js';
import type { RunOptions, RunSummary } from '../../cli/run-options.js';
import { defaultVerifyOptions, verifyCase } from '../../cli/verify.js';
import { findEtcDir } from '../../cli/verify-case.js';
import { CORPUS_DIR } from '../../../test/corpus-path.js';

const EVADER_DIR = join(CORPUS_DIR, 'suricata-verify', 'http-evader');
const SKIP = existsSync(EVADER_DIR) ? false : `${EVADER_DIR} not found (set KAPU_CORPUS)`;

/** Changes the last byte of every `content:"..."` value of the active rules in `text`. */
function changeLastContentByte(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.trimStart().startsWith('#')) return line;
      return line.replace(/content:"([^"]*)"/g, (_whole, value: string) => {
        const last = value.charCodeAt(value.length - 1);
        // Letters and digits stay letters and digits, so the content needs no new escaping.
        const changed = last === 0x7a || last === 0x5a || last === 0x39 ? last - 1 : last + 1;
        return `content:"${value.slice(0, -1)}${String.fromCharCode(changed)}"`;
      });
    })
    .join('\n');
}

test('changed content byte changes the rule', () => {
  assert.equal(changeLastContentByte('alert http any any -> any any (content:"X5O!P%@AP[4"; sid:2;)'), 'alert http any any -> any any (content:"X5O!P%@AP[5"; sid:2;)');
  assert.equal(changeLastContentByte('# alert (content:"ab"; sid:1;)'), '# alert (content:"ab"; sid:1;)');
  assert.equal(changeLastContentByte('alert (content:"FILE"; content:"xyz"; sid:1;)'), 'alert (content:"FILF"; content:"xyy"; sid:1;)');
});

test('http-evader cases with changed contents stay silent', { skip: SKIP }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-evader-'));
  try {
    const cases = readdirSync(EVADER_DIR).filter((name) => existsSync(join(EVADER_DIR, name, 'test.yaml'))).sort();
    assert.ok(cases.length >= 373, `only ${cases.length} http-evader cases found`);
    const alerting: string[] = [];
    let filesLogged = 0;
    for (const name of cases) {
      const changedRules = join(scratch, `${name}.rules`);
      writeFileSync(changedRules, changeLastContentByte(readFileSync(join(EVADER_DIR, name, 'test.rules'), 'utf8')));
      let alerts = 0;
      const runner = async (options: RunOptions): Promise<RunSummary> => {
        const summary = await runCapture({ ...options, ruleFiles: [changedRules], quiet: true });
        alerts = summary.alerts;
        const eve = readFileSync(join(options.logDir as string, 'eve.json'), 'utf8');
        if (eve.includes('"event_type":"fileinfo"')) filesLogged++;
        return summary;
      };
      const dir = join(EVADER_DIR, name);
      await verifyCase({ name, dir, manifestPcapPath: null, etcDir: findEtcDir(dir) }, defaultVerifyOptions(runner));
      if (alerts > 0) alerting.push(name);
    }
    assert.deepEqual(alerting, []);
    // The bodies were still parsed: every case logs its file.
    assert.equal(filesLogged, cases.length);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
