import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { BodyDecoder, Coding, DecodeFlag } from './decompress.js';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** Returns bytes from hex rows written as "offset  hex bytes"; only the hex part is read. */
function hexRows(rows: string): Uint8Array {
  const out: number[] = [];
  for (const row of rows.trim().split('\n')) {
    for (const byte of row.trim().split(/\s{2,}/)[1].split(' ')) out.push(parseInt(byte, 16));
  }
  return Uint8Array.from(out);
}

function decode(coding: number, data: Uint8Array): { text: string; flags: number } {
  const decoder = new BodyDecoder(coding, 1 << 20, 1 << 20);
  const first = decoder.push(data, 0, data.length);
  const rest = decoder.finish();
  return { text: Buffer.concat([first, rest]).toString('latin1'), flags: decoder.flags };
}

test('gzip header CRC decoded', () => {
  // suricata-verify http-evader-195: FLG = FHCRC, so two bytes (00 00)
  // follow the ten-byte header before the deflate data.
  const body = hexRows(`
    0000  1f 8b 08 02 00 00 00 00 00 03 00 00 8b 30 f5 57
    0010  0c 50 75 70 0c 88 36 89 09 88 8a 30 35 d1 08 88
    0020  d3 34 77 76 d6 34 af 55 71 f5 74 76 0c d2 0d 0e
    0030  71 f4 73 71 0c 72 d1 75 f4 0b f1 0c f3 0c 0a 0d
    0040  d6 0d 71 0d 0e d1 75 f3 f4 71 55 54 f1 d0 f6 d0
    0050  02 00 3c cf 51 68 44 00 00 00`);
  const result = decode(Coding.GZIP, body);
  assert.equal(result.text, EICAR);
  assert.equal(result.flags, 0);
});

test('gzip reserved flags and trailer ignored', () => {
  // http-evader-200, -201, -219: a reserved FLG bit; -203, -204: a wrong
  // CRC-32 or size; -208: no trailer. libhtp decodes all of them.
  const good = gzipSync(Buffer.from(EICAR));
  const variants: Buffer[] = [];
  for (const bit of [0x20, 0x40, 0x80]) {
    const v = Buffer.from(good);
    v[3] = bit;
    variants.push(v);
  }
  const badCrc = Buffer.from(good);
  badCrc[badCrc.length - 8] ^= 0xff;
  const badSize = Buffer.from(good);
  badSize[badSize.length - 1] ^= 0xff;
  variants.push(badCrc, badSize, good.subarray(0, good.length - 8));
  for (const v of variants) assert.equal(decode(Coding.GZIP, Uint8Array.from(v)).text, EICAR);
});

test('either label decodes either format', () => {
  const raw = deflateRawSync(Buffer.from(EICAR));
  assert.equal(decode(Coding.GZIP, Uint8Array.from(raw)).text, EICAR);
  assert.equal(decode(Coding.DEFLATE, Uint8Array.from(gzipSync(Buffer.from(EICAR)))).text, EICAR);
});

test('uncompressed data passes through', () => {
  const result = decode(Coding.GZIP, Uint8Array.from(Buffer.from(EICAR)));
  assert.equal(result.text, EICAR);
  assert.equal(result.flags & DecodeFlag.FAILED, DecodeFlag.FAILED);
});
