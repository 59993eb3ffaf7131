import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LzmaError, lzmaDecode } from './lzma.js';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** Returns bytes from hex rows written as "offset  hex bytes"; only the hex part is read. */
function hexRows(rows: string): Uint8Array {
  const out: number[] = [];
  for (const row of rows.trim().split('\n')) {
    for (const byte of row.trim().split(/\s{2,}/)[1].split(' ')) out.push(parseInt(byte, 16));
  }
  return Uint8Array.from(out);
}

// The response body of suricata-verify http-evader-116-lzma (90 bytes,
// Content-Encoding: lzma). `lzma -c` (xz 5) gives the same bytes for the
// EICAR line: properties 0x5d, an 8 MiB dictionary, no size, end marker.
const EICAR_LZMA = hexRows(`
    0000  5d 00 00 80 00 ff ff ff ff ff ff ff ff 00 2c 0d
    0010  45 e2 23 4b 38 09 fe 24 2c 5b 4b 36 90 31 dc 4b
    0020  24 35 b6 32 df af 31 4c 3c df cf 3a 4b 75 73 e5
    0030  8b c8 7e 89 b3 80 5e f7 94 1f 8d a9 c3 1e fa 49
    0040  6c 05 fc 84 05 5a 71 fc 39 ba 92 65 8b 97 43 a7
    0050  dd 78 50 97 bf ff c4 18 a0 00`);

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

test('lzma body decoded', () => {
  assert.equal(text(lzmaDecode(EICAR_LZMA, 1 << 20)), EICAR);
});

test('lzma cut short gives whole symbols', () => {
  // Every prefix decodes to a prefix of the file, never to other bytes.
  for (let n = 0; n < EICAR_LZMA.length; n++) {
    const out = text(lzmaDecode(EICAR_LZMA.subarray(0, n), 1 << 20));
    assert.equal(EICAR.startsWith(out), true, `prefix ${n}`);
  }
});

test('lzma output limit raises', () => {
  assert.throws(() => lzmaDecode(EICAR_LZMA, 10), RangeError);
});

test('lzma invalid properties rejected', () => {
  const bad = Uint8Array.from(EICAR_LZMA);
  bad[0] = 0xff;
  assert.throws(() => lzmaDecode(bad, 1 << 20), LzmaError);
});
