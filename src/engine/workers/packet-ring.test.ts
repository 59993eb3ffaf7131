import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRingBuffers, PacketRing, RECORD_HEADER_BYTES, RecordKind } from './packet-ring.js';
import { createPublishedKeyBuffer, Dispatcher } from './dispatcher.js';

function payloadOf(n: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (n * 31 + i) & 0xff;
  return bytes;
}

test('records written are seen only after publish, in order, with their fields', () => {
  const buffers = createRingBuffers(65536);
  const writer = new PacketRing(buffers);
  const reader = new PacketRing(buffers);
  assert.equal(writer.write(RecordKind.PACKET, 7, 1_000_000, payloadOf(1, 60), 64, 1, 3, 1, 5, 2), true);
  assert.equal(reader.read(0), false, 'nothing is visible before publish');
  assert.equal(reader.headKey(), Infinity);
  writer.publish();
  assert.equal(reader.headKey(), 7);
  assert.equal(reader.read(0), true);
  assert.deepEqual(
    [reader.kind, reader.key, reader.timestampUs, reader.captureLength, reader.wireLength, reader.linkType, reader.pcapCount, reader.flags, reader.token, reader.source],
    [RecordKind.PACKET, 7, 1_000_000, 60, 64, 1, 3, 1, 5, 2],
  );
  assert.deepEqual([...reader.payload], [...payloadOf(1, 60)]);
  // The record stays the head until it is released.
  assert.equal(reader.headKey(), 7);
  reader.release();
  assert.equal(reader.headKey(), Infinity);
});

test('a full ring refuses a record, and records wrap around the end intact', () => {
  const buffers = createRingBuffers(65536);
  const writer = new PacketRing(buffers);
  const reader = new PacketRing(buffers);
  // 1000-byte payloads take 1056 bytes each (header 56, already a multiple of 8): 62 fit in 65536 bytes.
  const recordBytes = RECORD_HEADER_BYTES + 1000;
  assert.equal(recordBytes, 1056);
  let written = 0;
  while (writer.write(RecordKind.PACKET, written, 0, payloadOf(written, 1000), 1000, 1, 0)) written++;
  assert.equal(written, Math.floor(65536 / 1056));
  writer.publish();
  // Free half of them; the next records run past the end of the area and start again at 0.
  for (let i = 0; i < 31; i++) {
    assert.equal(reader.read(0), true);
    assert.equal(reader.key, i);
    reader.release();
  }
  let next = written;
  for (let i = 0; i < 25; i++) {
    assert.equal(writer.write(RecordKind.PACKET, next, 0, payloadOf(next, 1000), 1000, 1, 0), true);
    next++;
  }
  writer.publish();
  for (let key = 31; key < next; key++) {
    assert.equal(reader.read(0), true, `record ${key}`);
    assert.equal(reader.key, key);
    assert.deepEqual([...reader.payload], [...payloadOf(key, 1000)], `payload of record ${key}`);
    reader.release();
  }
  assert.equal(reader.read(0), false);
});

test('the dispatcher publishes every ring before it raises the published key', () => {
  const a = createRingBuffers(65536);
  const b = createRingBuffers(65536);
  const published = createPublishedKeyBuffer();
  const dispatcher = new Dispatcher([new PacketRing(a), new PacketRing(b)], published);
  dispatcher.write(0, RecordKind.PACKET, 3, 0, payloadOf(0, 10), 10, 1, 0);
  dispatcher.write(1, RecordKind.PACKET, 5, 0, payloadOf(1, 10), 10, 1, 0);
  const key = new BigInt64Array(published);
  assert.equal(key[0], 0n);
  assert.equal(new PacketRing(b).headKey(), Infinity);
  dispatcher.publish();
  assert.equal(key[0], 5n);
  assert.equal(new PacketRing(a).headKey(), 3);
  assert.equal(new PacketRing(b).headKey(), 5);
});
