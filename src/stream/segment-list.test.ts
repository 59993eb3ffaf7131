import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OsPolicy } from './overlap-policy.js';
import { InsertStatus, MAX_SEGMENT_RECORDS, MemoryBudget, SEGMENT_RECORD_BYTES, STREAM_BUFFER_STEP_BYTES, SegmentList } from './segment-list.js';

const ONE_BYTE = Uint8Array.of(0x41);

test('segment list merges tiny segments', () => {
  const list = new SegmentList(new MemoryBudget(0), new MemoryBudget(0));
  const scratch = new Uint8Array(1);
  const total = MAX_SEGMENT_RECORDS + 1000;
  for (let offset = 0; offset < total; offset++) {
    assert.equal(list.insert(ONE_BYTE, 0, 1, offset, OsPolicy.BSD, false, scratch), InsertStatus.OK);
  }
  assert.ok(list.count <= MAX_SEGMENT_RECORDS);
  assert.equal(list.contiguousEnd(0), total);
  assert.equal(list.endOffset(), total);
});

test('segment list record limit with gaps', () => {
  const list = new SegmentList(new MemoryBudget(0), new MemoryBudget(0));
  const scratch = new Uint8Array(1);
  // Every other byte: nothing touches, so nothing can merge.
  for (let i = 0; i < MAX_SEGMENT_RECORDS; i++) {
    assert.equal(list.insert(ONE_BYTE, 0, 1, i * 2, OsPolicy.BSD, false, scratch), InsertStatus.OK);
  }
  assert.equal(list.insert(ONE_BYTE, 0, 1, MAX_SEGMENT_RECORDS * 2, OsPolicy.BSD, false, scratch), InsertStatus.STREAM_MEMCAP);
});

test('segment list memcaps', () => {
  const records = new MemoryBudget(16 * SEGMENT_RECORD_BYTES);
  const data = new MemoryBudget(STREAM_BUFFER_STEP_BYTES);
  const list = new SegmentList(records, data);
  const scratch = new Uint8Array(2048);
  const bytes = new Uint8Array(2048);
  assert.equal(list.insert(bytes, 0, 2048, 0, OsPolicy.BSD, false, scratch), InsertStatus.OK);
  assert.equal(list.insert(bytes, 0, 2048, 2048, OsPolicy.BSD, false, scratch), InsertStatus.OK);
  assert.equal(data.used, STREAM_BUFFER_STEP_BYTES);
  // A third segment needs the buffer to double past the reassembly memcap.
  assert.equal(list.insert(bytes, 0, 2048, 4096, OsPolicy.BSD, false, scratch), InsertStatus.REASSEMBLY_MEMCAP);
  // Released bytes make room without growing.
  list.release(2048);
  assert.equal(list.insert(bytes, 0, 2048, 4096, OsPolicy.BSD, false, scratch), InsertStatus.OK);
  assert.equal(data.used, STREAM_BUFFER_STEP_BYTES);
});

test('segment list record memcap', () => {
  // The first record arrays hold 16 records; the 17th needs 16 more, past the stream memcap.
  const list = new SegmentList(new MemoryBudget(16 * SEGMENT_RECORD_BYTES), new MemoryBudget(0));
  const scratch = new Uint8Array(1);
  for (let i = 0; i < 16; i++) {
    assert.equal(list.insert(ONE_BYTE, 0, 1, i * 2, OsPolicy.BSD, false, scratch), InsertStatus.OK);
  }
  assert.equal(list.insert(ONE_BYTE, 0, 1, 40, OsPolicy.BSD, false, scratch), InsertStatus.STREAM_MEMCAP);
});

test('segment list region count', () => {
  const list = new SegmentList(new MemoryBudget(0), new MemoryBudget(0));
  const scratch = new Uint8Array(1);
  assert.equal(list.regionCount(1000), 1);
  // Blocks at 0, 500 (a 499-byte hole) and 5000 (a 4499-byte hole).
  list.insert(ONE_BYTE, 0, 1, 0, OsPolicy.BSD, false, scratch);
  list.insert(ONE_BYTE, 0, 1, 500, OsPolicy.BSD, false, scratch);
  list.insert(ONE_BYTE, 0, 1, 5000, OsPolicy.BSD, false, scratch);
  assert.equal(list.regionCount(1000), 2);
  assert.equal(list.regionCount(100), 3);
  assert.equal(list.regionCount(5000), 1);
});
