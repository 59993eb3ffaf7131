import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRulesCheck } from './rules-check-command.js';

function runOn(content: string): { status: number; lines: string[]; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-rules-check-'));
  const file = join(dir, 'local.rules');
  writeFileSync(file, content);
  let text = '';
  const status = runRulesCheck([file], { write: (s: string) => (text += s) });
  rmSync(dir, { recursive: true });
  return { status, lines: text.split('\n'), file };
}

test('rules check prints diagnostics and summary', () => {
  const { status, lines, file } = runOn(
    [
      '# local rules',
      '#alert tcp any any -> any any (msg:"disabled"; sid:1;)',
      'alert tcp any any -> any any (msg:"ok"; flags:S; sid:2;)',
      'alert smb any any -> any any (msg:"smb"; sid:3;)',
      'alert ftp any any -> any any (msg:"ftp"; sid:4;)',
      'alert tcp any any -> any any (msg:"typo"; flgs:S; sid:5;)',
      '',
    ].join('\n'),
  );
  assert.equal(status, 1);
  assert.deepEqual(lines.slice(0, 9), [
    `${file}:4:7: error: protocol 'smb' is not supported yet; rule skipped [KAPU_ERR_RULE_UNSUPPORTED] sid:3`,
    '  alert smb any any -> any any (msg:"smb"; sid:3;)',
    '        ^^^',
    `${file}:5:7: error: protocol 'ftp' is not supported yet; rule skipped [KAPU_ERR_RULE_UNSUPPORTED] sid:4`,
    '  alert ftp any any -> any any (msg:"ftp"; sid:4;)',
    '        ^^^',
    `${file}:6:43: error: unknown keyword 'flgs' [KAPU_ERR_RULE_UNKNOWN_KEYWORD] sid:5`,
    '  alert tcp any any -> any any (msg:"typo"; flgs:S; sid:5;)',
    '                                            ^^^^',
  ]);
  assert.equal(lines[9], 'rules: 1 loaded, 3 failed, 1 commented out, 0 warnings, from 1 file');
  assert.equal(lines[10], 'failures by reason:');
  assert.equal(lines[11], "  1  protocol 'ftp' not supported yet [KAPU_ERR_RULE_UNSUPPORTED]");
  assert.equal(lines[12], "  1  protocol 'smb' not supported yet [KAPU_ERR_RULE_UNSUPPORTED]");
  assert.equal(lines[13], "  1  unknown keyword 'flgs' [KAPU_ERR_RULE_UNKNOWN_KEYWORD]");
  assert.match(lines[14], /^load time: \d+ ms, peak memory \(RSS\): \d+ MiB$/);
});

test('rules check clean file', () => {
  const { status, lines } = runOn('alert ip any any -> any any (msg:"ok"; sid:1;)\n');
  assert.equal(status, 0);
  assert.equal(lines[0], 'rules: 1 loaded, 0 failed, 0 commented out, 0 warnings, from 1 file');
});

test('rules check unreadable file', () => {
  let text = '';
  const status = runRulesCheck(['/nonexistent/kapu/none.rules'], { write: (s: string) => (text += s) });
  assert.equal(status, 1);
  assert.match(text.split('\n')[0], /^\/nonexistent\/kapu\/none\.rules:0:0: error: rule file cannot be read: ENOENT: no such file or directory, open '\/nonexistent\/kapu\/none\.rules' \[KAPU_ERR_RULE_FILE_NOT_READABLE\]$/);
});

test('rules check without files', () => {
  let text = '';
  assert.equal(runRulesCheck([], { write: (s: string) => (text += s) }), 2);
  assert.equal(text, 'kapu rules check: no rule file given (usage: kapu rules check FILE...)\n');
});

test('rules check reports matcher memory', () => {
  const { status, lines } = runOn('alert tcp any any -> any any (msg:"x"; content:"abcdef"; sid:7;)\n');
  assert.equal(status, 0);
  const engineLine = lines.find((line) => line.startsWith('detection engine: built in '));
  assert.ok(engineLine !== undefined, lines.join('\n'));
  // One six-byte pattern needs a few DFA states: more than 0 bytes, far under 1 MiB.
  assert.match(engineLine, /prefilter matchers 0\.\d MiB$/);
});
