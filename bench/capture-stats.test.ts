import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { readCaptureStats } from './capture-stats.js';

const DEMO_PCAP = fileURLToPath(new URL('../../samples/demo.pcap', import.meta.url));

test('capture stats of the demo pcap', () => {
  // tshark -r samples/demo.pcap -T fields -e frame.cap_len: 176 frames, 18914 bytes.
  const stats = readCaptureStats(DEMO_PCAP);
  assert.equal(stats.format, 'pcap');
  assert.equal(stats.fileBytes, 21754);
  assert.equal(stats.packets, 176);
  assert.equal(stats.packetBytes, 18914);
  assert.equal(stats.meanPacketBytes, 18914 / 176);
});

test('capture stats of a pcapng', () => {
  // Section header (28 bytes), interface description (20 bytes), one
  // enhanced packet block with 5 captured bytes padded to 8 (40 bytes), and
  // one simple packet block with 3 bytes padded to 4 (20 bytes).
  const bytes = Buffer.from(
    [
      '0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000',
      '01000000 14000000 0100 0000 00000400 14000000',
      '06000000 28000000 00000000 00000000 00000000 05000000 05000000 0102030405000000 28000000',
      '03000000 14000000 03000000 01020300 14000000',
    ]
      .join('')
      .replace(/ /g, ''),
    'hex',
  );
  const dir = mkdtempSync(join(tmpdir(), 'kapu-bench-'));
  try {
    const path = join(dir, 'two.pcapng');
    writeFileSync(path, bytes);
    const stats = readCaptureStats(path);
    assert.equal(stats.format, 'pcapng');
    assert.equal(stats.fileBytes, 108);
    assert.equal(stats.packets, 2);
    assert.equal(stats.packetBytes, 8);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('capture stats reject other files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-bench-'));
  try {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'not a capture');
    assert.throws(() => readCaptureStats(path), /unknown magic 0x6e6f7420, expected a pcap or pcapng file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
