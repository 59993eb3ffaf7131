import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureError, ErrorCode } from '../core/errors.js';
import { isNativeAddonBuilt, loadNativeAddon, PacketBatch, RECORD_HEADER_BYTES } from './native-addon.js';

/** Parses rows of "offset: hex bytes" into bytes, ignoring the offsets. */
function hexRows(rows: string[]): Uint8Array {
  const hex = rows.map((row) => row.replace(/^[0-9a-f]+:/, '').replace(/\s+/g, '')).join('');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

test('loader names package when addon missing', () => {
  const missing = '/nonexistent/kapu_native.node';
  assert.throws(
    () => loadNativeAddon(missing),
    (error: unknown) => {
      assert.ok(error instanceof CaptureError);
      assert.equal(error.code, ErrorCode.CAPTURE_NATIVE_ADDON_MISSING);
      assert.match(error.message, /libnetfilter-queue-dev/);
      assert.match(error.message, /\/nonexistent\/kapu_native\.node not found/);
      assert.match(error.message, /node scripts\/build-native\.js/);
      return true;
    },
  );
  assert.equal(isNativeAddonBuilt(missing), false);
});

test('loader reports a file that fails to load', (t) => {
  // A .node file that is not a shared object makes dlopen fail.
  const dir = mkdtempSync(join(tmpdir(), 'kapu-addon-'));
  const notAnAddon = join(dir, 'kapu_native.node');
  writeFileSync(notAnAddon, 'not an ELF file');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => loadNativeAddon(notAnAddon), (error: unknown) => {
    assert.ok(error instanceof CaptureError);
    assert.equal(error.code, ErrorCode.CAPTURE_NATIVE_ADDON_MISSING);
    assert.match(error.message, /failed to load/);
    return true;
  });
});

test('packet batch parses two records', () => {
  // Record 1 at 0: id 7, 3 captured bytes of 1500 on the wire, padded to 48.
  // Record 2 at 48: id 8, 8 captured bytes, no padding needed (ends at 96).
  const bytes = hexRows([
    '0000: 07000000 03000000 dc050000 00f15365', // id 7, captured 3, original 1500, sec 0x6553f100
    '0010: 15cd5b07 10000000 03000000 02000000', // nsec 123456789, mark 0x10, skb info 3, in 2
    '0020: 03000000 0008 02 00 aabbcc0000000000', // out 3, hw 0x0800, hook 2, type 0, data + 5 pad
    '0030: 08000000 08000000 08000000 01f15365', // id 8, captured 8, original 8, sec 0x6553f101
    '0040: 00000000 00000000 00000000 05000000', // nsec 0, mark 0, skb info 0, in 5
    '0050: 00000000 dd86 00 04 0102030405060708', // out 0, hw 0x86dd, hook 0, type 4 (outgoing), data
  ]);
  assert.equal(bytes.length, 96);
  assert.equal(RECORD_HEADER_BYTES, 40);

  const batch = new PacketBatch(bytes);
  batch.reset(2);

  assert.equal(batch.next(), true);
  assert.equal(batch.index, 0);
  assert.equal(batch.id, 7);
  assert.equal(batch.capturedLength, 3);
  assert.equal(batch.originalLength, 1500);
  assert.equal(batch.timestampSec, 0x6553f100);
  assert.equal(batch.timestampNsec, 123456789);
  assert.equal(batch.timestampUs(), 0x6553f100 * 1_000_000 + 123456);
  assert.equal(batch.mark, 0x10);
  assert.equal(batch.skbInfo, 3);
  assert.equal(batch.inIfIndex, 2);
  assert.equal(batch.outIfIndex, 3);
  assert.equal(batch.hwProtocol, 0x0800);
  assert.equal(batch.hook, 2);
  assert.equal(batch.packetType, 0);
  assert.equal(batch.dataOffset, 40);
  assert.deepEqual([...batch.data()], [0xaa, 0xbb, 0xcc]);

  assert.equal(batch.next(), true);
  assert.equal(batch.index, 1);
  assert.equal(batch.id, 8);
  assert.equal(batch.capturedLength, 8);
  assert.equal(batch.originalLength, 8);
  assert.equal(batch.inIfIndex, 5);
  assert.equal(batch.hwProtocol, 0x86dd);
  assert.equal(batch.packetType, 4);
  assert.equal(batch.dataOffset, 88);
  assert.deepEqual([...batch.data()], [1, 2, 3, 4, 5, 6, 7, 8]);

  assert.equal(batch.next(), false);
});

test('packet batch reset starts over', () => {
  const bytes = new Uint8Array(64);
  bytes[0] = 9; // id 9, 0 captured bytes: a record of 40 bytes
  const batch = new PacketBatch(bytes);
  batch.reset(1);
  assert.equal(batch.next(), true);
  assert.equal(batch.id, 9);
  assert.equal(batch.next(), false);
  batch.reset(1);
  assert.equal(batch.next(), true);
  assert.equal(batch.id, 9);
  batch.reset(0);
  assert.equal(batch.next(), false);
});

test('addon header size matches parser', { skip: isNativeAddonBuilt() ? false : 'native addon not built' }, () => {
  assert.equal(loadNativeAddon().RECORD_HEADER_BYTES, RECORD_HEADER_BYTES);
});
