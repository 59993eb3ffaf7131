import { test } from 'node:test';
import assert from 'node:assert/strict';
import RE2 from 're2';
import { deflateSync } from 'node:zlib';
import {
  Base64Mode,
  CompressWhitespaceTransform,
  decodeBase64,
  DotPrefixTransform,
  FromBase64Transform,
  HashTransform,
  HeaderLowercaseTransform,
  PcreXformTransform,
  StripPseudoHeadersTransform,
  StripWhitespaceTransform,
  SubsliceTransform,
  ToLowercaseTransform,
  ToUppercaseTransform,
  TransformedBufferProvider,
  UrlDecodeTransform,
  XorTransform,
} from './transforms.js';
import { CompressedFormat, decompressBounded, DecompressTransform } from './decompress-transform.js';
import type { BufferTransform } from './signature.js';
import { packetPayloadProvider } from './detect-engine.js';
import { createTestPacket } from './test-support/packets.js';

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

/** Runs one transform over `input` placed at offset 3 of a larger array, as buffers sit inside packets. */
function run(t: BufferTransform, input: Uint8Array): Uint8Array {
  const framed = new Uint8Array(input.length + 5);
  framed.set(input, 3);
  const out = new Uint8Array(t.maxOutputLength(input.length));
  const n = t.apply(framed, 3, input.length, out);
  return out.subarray(0, n);
}

function runText(t: BufferTransform, input: string): string {
  return Buffer.from(run(t, bytes(input))).toString('latin1');
}

test('to_lowercase folds only A-Z', () => {
  assert.equal(runText(new ToLowercaseTransform(), 'AbC-Z@[\x80\xc4'), 'abc-z@[\x80\xc4');
});

test('to_uppercase folds only a-z', () => {
  assert.equal(runText(new ToUppercaseTransform(), 'aBc-z`{\xe4'), 'ABC-Z`{\xe4');
});

test('strip_whitespace removes isspace bytes', () => {
  // Space, tab, LF, VT, FF and CR go; 0xa0 (no-break space in Latin-1) stays.
  assert.equal(runText(new StripWhitespaceTransform(), ' a b\tc\r\nd\x0b\x0ce\xa0 '), 'abcde\xa0');
});

test('compress_whitespace keeps first of run', () => {
  assert.equal(runText(new CompressWhitespaceTransform(), 'a  \t b\r\nc \x0bd e'), 'a b\rc d e');
  assert.equal(runText(new CompressWhitespaceTransform(), '\t\tx '), '\tx ');
});

test('url_decode decodes escapes and plus', () => {
  assert.equal(runText(new UrlDecodeTransform(), '%41%2fb+c%27d'), "A/b c'd");
  // Incomplete or invalid escapes stay as written, with the byte that broke them.
  assert.equal(runText(new UrlDecodeTransform(), '%zz%4'), '%zz%4');
  assert.equal(runText(new UrlDecodeTransform(), '100%'), '100%');
  assert.equal(runText(new UrlDecodeTransform(), '%%41'), '%%41');
  assert.equal(runText(new UrlDecodeTransform(), '%4+a'), '%4+a');
  // A decoded '%' does not start a new escape.
  assert.equal(runText(new UrlDecodeTransform(), '%2541'), '%41');
});

test('dotprefix puts a dot first', () => {
  assert.equal(runText(new DotPrefixTransform(), 'google.co.uk'), '.google.co.uk');
  assert.equal(runText(new DotPrefixTransform(), ''), '');
});

test('hash transforms give raw digests', () => {
  // Digests of "abc" from RFC 1321 (MD5) and FIPS 180-2 (SHA-1, SHA-256).
  assert.equal(hex(run(new HashTransform('to_md5'), bytes('abc'))), '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(hex(run(new HashTransform('to_sha1'), bytes('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(
    hex(run(new HashTransform('to_sha256'), bytes('abc'))),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});

test('hash of empty buffer stays empty', () => {
  assert.equal(run(new HashTransform('to_md5'), new Uint8Array(0)).length, 0);
});

test('header_lowercase folds names only', () => {
  const input = 'Accept-Ranges: Bytes\r\nX-Custom: MiXed: Value\r\n';
  assert.equal(runText(new HeaderLowercaseTransform(), input), 'accept-ranges: Bytes\r\nx-custom: MiXed: Value\r\n');
});

test('strip_pseudo_headers drops colon lines', () => {
  const input = ':method: GET\r\nUser-Agent: x\r\n:path: /\r\nAccept: */*\r\n';
  assert.equal(runText(new StripPseudoHeadersTransform(), input), 'User-Agent: x\r\nAccept: */*\r\n');
  assert.equal(runText(new StripPseudoHeadersTransform(), ':authority: a'), '');
});

test('xor repeats the key', () => {
  // 'a'^0x0d = 0x6c, 'b'^0x0a = 0x68, ' '^0x0d = 0x2d, 'c'^0x0a = 0x69, 'd'^0x0d = 0x69.
  assert.equal(hex(run(new XorTransform(Uint8Array.of(0x0d, 0x0a)), bytes('ab cd'))), '6c682d6969');
});

test('pcrexform keeps the first capture', () => {
  const t = new PcreXformTransform(new RE2('[a-zA-Z]+\\s+(.*)\\s+HTTP', 'u'));
  assert.equal(runText(t, 'GET /z4d4kWk.jpg HTTP/1.1'), '/z4d4kWk.jpg');
  assert.equal(runText(t, 'no request line'), 'no request line');
});

test('from_base64 decodes by mode', () => {
  const decode = (input: string, mode: number, bytesCount = 0, offset = 0): string =>
    runText(new FromBase64Transform(bytesCount, offset, mode), input);
  assert.equal(decode('Zm9vYmFy', Base64Mode.RFC4648), 'foobar');
  assert.equal(decode('Zm9vYg==', Base64Mode.RFC4648), 'foob');
  assert.equal(decode('Zm9vYmE', Base64Mode.RFC4648), 'fooba');
  // RFC 2045 skips the spaces; RFC 4648 stops at the first one, after "Zm" (one byte 'f').
  assert.equal(decode('/?arg=Zm 9v Ym Fy', Base64Mode.RFC2045, 0, 6), 'foobar');
  assert.equal(decode('/?arg=Zm 9v Ym Fy', Base64Mode.RFC4648, 0, 6), 'f');
  assert.equal(decode('Zm9vYmFy', Base64Mode.STRICT), 'foobar');
  assert.equal(decode('Zm9vYmFy', Base64Mode.RFC4648, 4), 'foo');
});

test('from_base64 failure keeps buffer', () => {
  const decode = (input: string, mode: number, bytesCount = 0, offset = 0): string =>
    runText(new FromBase64Transform(bytesCount, offset, mode), input);
  assert.equal(decode('/?arg=Zm 9v Ym Fy', Base64Mode.STRICT, 0, 6), '/?arg=Zm 9v Ym Fy');
  // Offset or byte count past the end, or nothing decoded.
  assert.equal(decode('Zm9v', Base64Mode.RFC4648, 0, 9), 'Zm9v');
  assert.equal(decode('Zm9v', Base64Mode.RFC4648, 0, 4), 'Zm9v');
  assert.equal(decode('Zm9vYmFy', Base64Mode.RFC4648, 9), 'Zm9vYmFy');
  assert.equal(decode('%%%%', Base64Mode.RFC4648), '%%%%');
});

test('decodeBase64 strict rejects bad padding', () => {
  const out = new Uint8Array(16);
  assert.equal(decodeBase64(bytes('Zm9=YmFy'), 0, 8, Base64Mode.STRICT, out), -1);
  assert.equal(decodeBase64(bytes('Zm9vYmF'), 0, 7, Base64Mode.STRICT, out), -1);
});

test('transformed provider chains steps', () => {
  const provider = new TransformedBufferProvider('pkt_data|strip_whitespace|to_uppercase|dotprefix', packetPayloadProvider, {
    source: 'pkt_data',
    steps: [new StripWhitespaceTransform(), new ToUppercaseTransform(), new DotPrefixTransform()],
  });
  const view = { bytes: new Uint8Array(0), start: 0, length: 0 };
  assert.equal(provider.fill(createTestPacket({ payload: 'ex ample.c om' }), null, view), true);
  assert.equal(Buffer.from(view.bytes.subarray(view.start, view.start + view.length)).toString('latin1'), '.EXAMPLE.COM');
  assert.equal(provider.fill(createTestPacket({ payload: '' }), null, view), false);
});

test('transformed provider grows its scratch', () => {
  const provider = new TransformedBufferProvider('pkt_data|dotprefix|dotprefix', packetPayloadProvider, {
    source: 'pkt_data',
    steps: [new DotPrefixTransform(), new DotPrefixTransform()],
  });
  const payload = 'x'.repeat(10000);
  const view = { bytes: new Uint8Array(0), start: 0, length: 0 };
  assert.equal(provider.fill(createTestPacket({ payload }), null, view), true);
  assert.equal(view.length, 10002);
  assert.equal(Buffer.from(view.bytes.subarray(0, 3)).toString('latin1'), '..x');
  assert.equal(view.bytes[10001], 0x78);
});

test('xor key read from buffer', () => {
  // Key 0x42 at offset 0, data from offset 1: 0x32 ^ 0x42 = 'p', 0x23 ^ 0x42 = 'a'.
  const input = Uint8Array.of(0x42, 0x32, 0x23, 0x31, 0x31);
  assert.equal(hex(run(new XorTransform(null, 1, 0, 1), input)), '4270617373');
  // Two key bytes at offset 3 (0x31 0x31), data from offset 0.
  assert.equal(hex(run(new XorTransform(null, 2, 3, 0), input)), '7303120000');
});

test('xor key past buffer end', () => {
  const input = Uint8Array.of(0x42, 0x32);
  assert.equal(hex(run(new XorTransform(null, 1, 2, 0), input)), '4232');
  assert.equal(hex(run(new XorTransform(Uint8Array.of(0xff), 1, 0, 3), input)), '4232');
});

test('xor key inside decoded bytes', () => {
  // The key byte at offset 0 is decoded too (to 0x00); the rest must use its value before decoding.
  const input = Uint8Array.of(0x42, 0x2b, 0x2c);
  assert.equal(hex(run(new XorTransform(null, 1, 0, 0), input)), '00696e');
});

test('subslice offsets and byte counts', () => {
  const agent = 'curl/7.64.1';
  const cases: [number, number | null, boolean, string][] = [
    [2, null, false, 'rl/7.64.1'],
    [-6, null, false, '7.64.1'],
    [-10, 3, false, 'url'],
    [1, -3, false, 'url/7.6'],
    [0, 11, false, 'curl/7.64.1'],
    [11, null, false, ''],
  ];
  for (const [offset, nbytes, isTruncate, expected] of cases) {
    assert.equal(runText(new SubsliceTransform(offset, nbytes, isTruncate), agent), expected, `subslice:${offset},${nbytes}`);
  }
});

test('subslice outside buffer', () => {
  const agent = 'curl/7.64.1';
  const cases: [number, number | null, boolean, string][] = [
    [0, 13, false, ''],
    [0, 13, true, 'curl/7.64.1'],
    [12, 2, true, ''],
    [-20, null, false, ''],
    [-20, 5, true, 'curl/'],
    [0, -30, false, ''],
    [0, -30, true, ''],
    [-11, -6, true, 'curl/'],
  ];
  for (const [offset, nbytes, isTruncate, expected] of cases) {
    assert.equal(runText(new SubsliceTransform(offset, nbytes, isTruncate), agent), expected, `subslice:${offset},${nbytes},${isTruncate}`);
  }
});

/** `echo "This is compressed then base64-encoded" | gzip | base64`, and the same through `openssl zlib`. */
const GZIP_SAMPLE = Buffer.from('H4sIADfTcWkAAwvJyCxWAKLk/NyCotTi4tQUhZKM1DyFpMTiVDMT3dS85PyU1BQuAFtmgsgnAAAA', 'base64');
const ZLIB_SAMPLE = Buffer.from('eJwLycgsVgCi5PzcgqLU4uLUFIWSjNQ8haTE4lQzE93UvOT8lNQULgAeFA3n', 'base64');
const SAMPLE_TEXT = 'This is compressed then base64-encoded\n';

test('gunzip and zlib_deflate decode', () => {
  assert.equal(Buffer.from(run(new DecompressTransform('gunzip', 1024), GZIP_SAMPLE)).toString('latin1'), SAMPLE_TEXT);
  assert.equal(Buffer.from(run(new DecompressTransform('zlib_deflate', 1024), ZLIB_SAMPLE)).toString('latin1'), SAMPLE_TEXT);
  // Each format rejects the other's data, which leaves an empty buffer.
  assert.equal(run(new DecompressTransform('gunzip', 1024), ZLIB_SAMPLE).length, 0);
  assert.equal(run(new DecompressTransform('zlib_deflate', 1024), GZIP_SAMPLE).length, 0);
  assert.equal(run(new DecompressTransform('gunzip', 1024), bytes('')).length, 0);
});

test('decompression cut at max size', () => {
  assert.equal(Buffer.from(run(new DecompressTransform('gunzip', 8), GZIP_SAMPLE)).toString('latin1'), 'This is ');
  assert.equal(Buffer.from(run(new DecompressTransform('zlib_deflate', 9), ZLIB_SAMPLE)).toString('latin1'), 'This is c');
});

test('decompression bomb stays bounded', () => {
  // 16 MiB of zeros compress to about 16 KB; only the first 100 bytes come out.
  const bomb = deflateSync(new Uint8Array(16 * 1024 * 1024));
  const output = decompressBounded(bomb, CompressedFormat.ZLIB, 100);
  assert.equal(output?.length, 100);
  assert.ok(output?.every((b) => b === 0));
});

test('cut stream decodes its prefix', () => {
  // The gzip header is 10 bytes; 20 bytes hold the first few deflate symbols.
  const output = decompressBounded(GZIP_SAMPLE.subarray(0, 20), CompressedFormat.GZIP, 1024);
  assert.ok(output !== null && output.length > 0);
  assert.ok(SAMPLE_TEXT.startsWith(Buffer.from(output).toString('latin1')));
});

test('decompression buffer bounded by input', () => {
  // 10 input bytes yield at most 10 * 1032 bytes, plus 64 for headers.
  assert.equal(new DecompressTransform('gunzip', 16 * 1024 * 1024).maxOutputLength(10), 10384);
  assert.equal(new DecompressTransform('gunzip', 8).maxOutputLength(10), 8);
});
