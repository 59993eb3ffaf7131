import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KapuError, UsageError } from '../core/errors.js';
import type { NftRunner } from '../act/nft-quarantine.js';
import { formatQuarantineList, formatRemaining, parseTimeoutFlag, runQuarantineAdd, runQuarantineList, runQuarantineRelease, type QuarantineIo } from './quarantine-command.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-qcmd-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const NOW = Date.UTC(2026, 11, 5, 3, 0, 0);

function io(): { io: QuarantineIo; printed: string[]; batches: string[] } {
  const printed: string[] = [];
  const batches: string[] = [];
  const runner: NftRunner = async (_args, input) => {
    batches.push(input);
    return { status: 0, stdout: '', stderr: '' };
  };
  return { printed, batches, io: { out: (text) => printed.push(text), runner, clock: () => NOW } };
}

test('timeout flag parsed', () => {
  assert.equal(parseTimeoutFlag('3s'), 3);
  assert.equal(parseTimeoutFlag('10m'), 600);
  assert.equal(parseTimeoutFlag('1h'), 3600);
  assert.throws(() => parseTimeoutFlag('10 minutes'), (err: unknown) => err instanceof UsageError
    && err.message === "--timeout '10 minutes' is invalid (expected 1s to 365d: whole seconds with an optional unit s, m, h or d, such as 90s, 10m or 1h)");
  assert.throws(() => parseTimeoutFlag('0'), UsageError);
  assert.throws(() => parseTimeoutFlag('400d'), UsageError);
});

test('remaining time two units', () => {
  assert.equal(formatRemaining(0), '0s');
  assert.equal(formatRemaining(2_400), '3s');
  assert.equal(formatRemaining(3_599_000), '59m 59s');
  assert.equal(formatRemaining(90_061_000), '1d 1h');
  // A zero second part is left out.
  assert.equal(formatRemaining(600_000), '10m');
});

test('list shows address since expires reason', () => {
  const text = formatQuarantineList([
    { id: 1, address: '198.51.100.2', action: 'quarantine', rate: null, reason: 'lab', origin: 'manual', rule: null, policyEntry: null, evidence: null, createdMs: NOW - 60_000, expiresMs: NOW + 3_540_000, releasedMs: null, releasedBy: null },
    { id: 2, address: '2001:db8:1::/64', action: 'quarantine', rate: null, reason: 'trigger [1:5:1]', origin: 'automatic', rule: '1:5:1', policyEntry: 'policy.responses.0', evidence: null, createdMs: NOW, expiresMs: NOW + 600_000, releasedMs: null, releasedBy: null },
  ], NOW);
  assert.equal(text, [
    'ADDRESS          ACTION      SINCE                 EXPIRES                          REASON',
    '198.51.100.2     quarantine  2026-12-05 02:59:00Z  2026-12-05 03:59:00Z (59m left)  lab',
    '2001:db8:1::/64  quarantine  2026-12-05 03:00:00Z  2026-12-05 03:10:00Z (10m left)  trigger [1:5:1] (policy.responses.0)',
    '',
  ].join('\n'));
  assert.equal(formatQuarantineList([], NOW), 'no active quarantines or rate limits\n');
  const limit = formatQuarantineList([
    { id: 3, address: '198.51.100.3', action: 'rate-limit', rate: { packetsPerS: 20, bytesPerS: 50_000 }, reason: 'trigger [1:6:1]', origin: 'automatic', rule: '1:6:1', policyEntry: 'policy.responses.1', evidence: null, createdMs: NOW, expiresMs: NOW + 30_000, releasedMs: null, releasedBy: null },
  ], NOW);
  assert.equal(limit, [
    'ADDRESS       ACTION                         SINCE                 EXPIRES                          REASON',
    '198.51.100.3  rate-limit 20/s and 50000 B/s  2026-12-05 03:00:00Z  2026-12-05 03:00:30Z (30s left)  trigger [1:6:1] (policy.responses.1)',
    '',
  ].join('\n'));
});

test('add list release through commands', async () => {
  const config = join(scratch, 'kapu.yaml');
  writeFileSync(config, 'policy:\n  gateways: [203.0.113.1]\n');
  const flags = { config, logDir: join(scratch, 'log'), set: [] };
  const { io: cmdIo, printed, batches } = io();

  assert.equal(await runQuarantineAdd('198.51.100.2', { ...flags, timeout: '90s', reason: 'lab' }, cmdIo), 0);
  assert.equal(printed.pop(), 'quarantined 198.51.100.2 until 2026-12-05 03:01:30Z (1m 30s)\n');
  assert.match(batches[batches.length - 1] ?? '', /add element inet kapu_quarantine quarantine4 \{ 198\.51\.100\.2 timeout 90000ms \}/);

  await assert.rejects(runQuarantineAdd('203.0.113.1', flags, cmdIo), (err: unknown) => err instanceof KapuError && err.code === ErrorCode.QUARANTINE_REFUSED && /add --force/.test(err.message));
  await assert.rejects(runQuarantineAdd('203.0.113.300', flags, cmdIo), (err: unknown) => err instanceof KapuError && err.code === ErrorCode.QUARANTINE_BAD_ADDRESS);

  assert.equal(runQuarantineList(flags, cmdIo), 0);
  assert.match(printed.pop() ?? '', /^198\.51\.100\.2 +quarantine +2026-12-05 03:00:00Z +2026-12-05 03:01:30Z \(1m 30s left\) +lab$/m);

  assert.equal(await runQuarantineRelease('198.51.100.2', flags, cmdIo), 0);
  assert.equal(printed.pop(), 'released 198.51.100.2\n');
  assert.equal(runQuarantineList(flags, cmdIo), 0);
  assert.equal(printed.pop(), 'no active quarantines or rate limits\n');
});
