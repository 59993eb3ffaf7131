import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sendVerdicts, type VerdictSender } from './inline.js';
import { Verdict } from '../capture/nfqueue.js';

/** Records the verdict calls as `one id verdict` or `batch maxId verdict`. */
class RecordingSender implements VerdictSender {
  readonly calls: string[] = [];
  failing = new Set<number>();
  setVerdict(id: number, verdict: number): number {
    this.calls.push(`one ${id} ${verdict}`);
    return this.failing.has(id) ? 22 : 0;
  }
  setVerdictBatch(maxId: number, verdict: number): number {
    this.calls.push(`batch ${maxId} ${verdict}`);
    return this.failing.has(maxId) ? 22 : 0;
  }
}

function send(ids: number[], verdicts: number[], previousId: number, sender = new RecordingSender()): { calls: string[]; failures: number; last: number } {
  const result = { failures: 0 };
  const last = sendVerdicts(sender, Uint32Array.from(ids), Uint8Array.from(verdicts), ids.length, previousId, result);
  return { calls: sender.calls, failures: result.failures, last };
}

const A = Verdict.ACCEPT;
const D = Verdict.DROP;

test('verdicts one run as batch', () => {
  const sent = send([7, 8, 9, 10], [A, A, A, A], 6);
  assert.deepEqual(sent.calls, ['batch 10 1']);
  assert.equal(sent.last, 10);
});

test('verdicts first packet alone at start', () => {
  // No packet got a verdict before 7, so 7 cannot open a batch: lower ids may still wait.
  assert.deepEqual(send([7, 8, 9, 10], [A, A, A, A], -1).calls, ['one 7 1', 'batch 10 1']);
});

test('verdicts single packet alone', () => {
  assert.deepEqual(send([7], [A], 6).calls, ['one 7 1']);
});

test('verdicts split at changed verdict', () => {
  // 1-3 accept, 4 drop, 5-6 accept: no batch may cover the dropped packet 4.
  assert.deepEqual(send([1, 2, 3, 4, 5, 6], [A, A, A, D, A, A], 0).calls, ['batch 3 1', 'one 4 0', 'batch 6 1']);
});

test('verdicts split at id gap', () => {
  // Ids 11 and 12 were never read (lost messages), so no batch may reach past 10.
  assert.deepEqual(send([9, 10, 13, 14], [D, D, D, D], 8).calls, ['batch 10 0', 'one 13 0', 'one 14 0']);
  assert.deepEqual(send([9, 11, 12, 13], [A, A, A, A], 8).calls, ['one 9 1', 'one 11 1', 'batch 13 1']);
});

test('verdicts batch follows previous batch', () => {
  assert.deepEqual(send([21, 22], [A, A], 20).calls, ['batch 22 1']);
  assert.deepEqual(send([21, 22], [A, A], 19).calls, ['one 21 1', 'one 22 1']);
});

test('verdicts never batch across wrap', () => {
  assert.deepEqual(send([0xfffffffe, 0xffffffff, 0, 1], [A, A, A, A], 0xfffffffd).calls, ['batch 4294967295 1', 'one 0 1', 'one 1 1']);
});

test('verdicts count failed calls', () => {
  const sender = new RecordingSender();
  sender.failing.add(3);
  assert.equal(send([1, 2, 3, 5], [A, A, A, A], 0, sender).failures, 1);
});

test('verdicts empty batch sends nothing', () => {
  const sent = send([], [], 4);
  assert.deepEqual(sent.calls, []);
  assert.equal(sent.last, 4);
});

test('verdicts sent early, then the rest', () => {
  // Ids 7 to 12: the first three go early; the rest continue from id 9, so 10 may open a batch.
  const sender = new RecordingSender();
  const ids = Uint32Array.from([7, 8, 9, 10, 11, 12]);
  const verdicts = Uint8Array.from([A, A, D, A, A, A]);
  const result = { failures: 0 };
  const early = sendVerdicts(sender, ids, verdicts, 3, 6, result);
  assert.equal(early, 9);
  const last = sendVerdicts(sender, ids, verdicts, 6, early, result, 3);
  assert.equal(last, 12);
  assert.deepEqual(sender.calls, ['batch 8 1', 'one 9 0', 'batch 12 1']);
});
