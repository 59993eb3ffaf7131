import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { isContainedPath, runSimpleShell, splitPipeline } from './verify-shell.js';

const outDir = mkdtempSync(join(tmpdir(), 'kapu-verify-shell-'));
// Three lines; the last has no newline, so `wc -l` counts 2 as GNU wc does.
writeFileSync(join(outDir, 'fast.log'), 'alpha [1:1:0]\nBeta [1:2:0]\ngamma [1:1:0]');
after(() => rmSync(outDir, { recursive: true, force: true }));

function run(command: string): string {
  const result = runSimpleShell(command, outDir);
  if (result.kind === 'ok') return `${result.status}:${result.stdout}`;
  return result.kind === 'error' ? `error:${result.message}` : 'unsupported';
}

test('splitPipeline words and quotes', () => {
  assert.deepEqual(splitPipeline(`cat fast.log | grep -c 'a b' |xargs`), [
    ['cat', 'fast.log'],
    ['grep', '-c', 'a b'],
    ['xargs'],
  ]);
  assert.equal(splitPipeline('cat a; rm b'), null);
  assert.equal(splitPipeline('cat $HOME/x'), null);
  assert.equal(splitPipeline('cat "$HOME"'), null);
  assert.equal(splitPipeline('cat a > b'), null);
  assert.equal(splitPipeline('cat a | | wc'), null);
  assert.equal(splitPipeline('cat "unterminated'), null);
});

test('wc -l counts newlines', () => {
  assert.equal(run('cat fast.log | wc -l'), '0:2\n');
  assert.equal(run('cat fast.log | wc -l | xargs'), '0:2\n');
  assert.equal(run('wc -l < fast.log'), '0:2\n');
  assert.equal(run('wc -l fast.log'), '0:2 fast.log\n');
  assert.equal(run('cat missing.log | wc -l'), '0:0\n');
});

test('grep fixed text', () => {
  assert.equal(run('grep -c "[1:1:0]" fast.log'), 'unsupported');
  assert.equal(run('grep -cF "[1:1:0]" fast.log'), '0:2\n');
  assert.equal(run('grep beta fast.log'), '1:');
  assert.equal(run('grep -i beta fast.log'), '0:Beta [1:2:0]\n');
  assert.equal(run('grep -v alpha fast.log | wc -l'), '0:2\n');
  assert.equal(run('cat fast.log | grep -c gamma'), '0:1\n');
  assert.equal(run('grep -c zeta fast.log'), '1:0\n');
  assert.equal(run('grep x missing.log'), '2:');
});

test('files stay in output folder', () => {
  assert.equal(isContainedPath('fast.log'), true);
  assert.equal(isContainedPath('sub/eve.json'), true);
  assert.equal(isContainedPath('../eve.json'), false);
  assert.equal(isContainedPath('/etc/passwd'), false);
  assert.equal(run('cat /etc/passwd | wc -l'), "error:path '/etc/passwd' leaves the output folder");
  assert.equal(run('wc -l < ../x'), "error:path '../x' leaves the output folder");
});

test('other programs unsupported', () => {
  assert.equal(run('jq . eve.json'), 'unsupported');
  assert.equal(run('wc -c fast.log'), 'unsupported');
  assert.equal(run('xargs echo'), 'unsupported');
  assert.equal(run('wc -l | cat fast.log'), 'unsupported');
  assert.equal(run('grep -E a fast.log'), 'unsupported');
});
