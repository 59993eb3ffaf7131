import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addChecksumWords, foldChecksum, sctpCrc32c } from './checksum.js';

test('checksum rfc 1071 example', () => {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to 2ddf0,
  // which folds to ddf2.
  const bytes = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(foldChecksum(addChecksumWords(bytes, 0, bytes.length, 0)), 0xddf2);
});

test('checksum odd length pads zero', () => {
  // 0102 + 0300 = 0402
  const bytes = Uint8Array.from([0x01, 0x02, 0x03]);
  assert.equal(foldChecksum(addChecksumWords(bytes, 0, 3, 0)), 0x0402);
});

test('checksum long buffer matches word sum', () => {
  // 200 000 bytes of 0xff: 100 000 words of 0xffff, whose one's complement
  // sum is 0xffff.
  const bytes = new Uint8Array(200_000).fill(0xff);
  assert.equal(foldChecksum(addChecksumWords(bytes, 0, bytes.length, 0)), 0xffff);
  // Words 0x0102 repeated 100 000 times: 100 000 * 0x0102 = 0x189ad40,
  // folded 0xad40 + 0x189 = 0xaec9.
  const words = new Uint8Array(200_000);
  for (let i = 0; i < words.length; i += 2) {
    words[i] = 1;
    words[i + 1] = 2;
  }
  assert.equal(foldChecksum(addChecksumWords(words, 0, words.length, 0)), 0xaec9);
  // From an odd offset the words read 0x0201: four of them sum to 0x0804.
  assert.equal(foldChecksum(addChecksumWords(words, 1, 9, 0)), 0x0804);
});

test('crc32c check value', () => {
  // The standard check value of CRC-32C (Castagnoli) over "123456789".
  const bytes = Uint8Array.from(Buffer.from('123456789'));
  assert.equal(sctpCrc32c(bytes, 0, bytes.length, 1000), 0xe3069283);
});
