import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_FILE_HASHES, defaultHttpConfig, HttpState } from './state.js';
import { collectFileBuffers, FileBuffer } from './files.js';

const enc = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
const str = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? new Uint8Array(0)).toString('latin1');

/** Builds a multipart upload of the files `a.txt` ("first") and `b.bin` (the text `second`). */
function upload(second: string): Uint8Array {
  const body =
    '--B\r\nContent-Disposition: form-data; name="x"; filename="a.txt"\r\n\r\nfirst\r\n' +
    `--B\r\nContent-Disposition: form-data; name="y"; filename="b.bin"\r\n\r\n${second}\r\n--B--\r\n`;
  return enc(`POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

test('file buffers one per part', () => {
  const state = new HttpState();
  const request = upload('second');
  state.handleData(0, request, 0, request.length, 0);
  const tx = state.transactions[0]!;
  const out: Uint8Array[] = [];
  assert.equal(collectFileBuffers(tx, FileBuffer.NAME, 0, out), 2);
  assert.deepEqual([str(out[0]), str(out[1])], ['a.txt', 'b.bin']);
  assert.equal(collectFileBuffers(tx, FileBuffer.DATA, 0, out), 2);
  assert.deepEqual([str(out[0]), str(out[1])], ['first', 'second']);
  assert.equal(collectFileBuffers(tx, FileBuffer.NAME, 1, out), 0);
});

test('file buffers of response body', () => {
  const state = new HttpState();
  const request = enc('GET /dir/f.exe HTTP/1.1\r\nHost: h\r\n\r\n');
  const response = enc('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nMZ\x90\x00');
  state.handleData(0, request, 0, request.length, 0);
  state.handleData(1, response, 0, response.length, 0);
  const tx = state.transactions[0]!;
  const out: Uint8Array[] = [];
  assert.equal(collectFileBuffers(tx, FileBuffer.NAME, 1, out), 1);
  assert.equal(str(out[0]), '/dir/f.exe');
  assert.equal(collectFileBuffers(tx, FileBuffer.DATA, 1, out), 1);
  assert.deepEqual([...out[0]!], [0x4d, 0x5a, 0x90, 0x00]);
  assert.equal(collectFileBuffers(tx, FileBuffer.DATA, 0, out), 0);
});

test('part data stops at body limit', () => {
  // The body store keeps 120 bytes: the first part fits, the second part's
  // 600 bytes pass the limit, so none of them are kept. That part is still
  // counted and hashed in full.
  const second = 'z'.repeat(600);
  const state = new HttpState({ ...defaultHttpConfig(), requestBodyLimit: 120, fileHashes: ALL_FILE_HASHES });
  const request = upload(second);
  for (let i = 0; i < request.length; i += 50) state.handleData(0, request, i, Math.min(50, request.length - i), 0);
  const tx = state.transactions[0]!;
  const [first, big] = tx.files;
  assert.equal(str(first!.data.view()), 'first');
  assert.equal(big!.size, 600);
  assert.equal(big!.state, 'CLOSED');
  assert.equal(big!.data.length, 0);
  assert.ok(tx.requestBody.isTruncated);
  // SHA-256 of 600 'z' bytes, from Python's hashlib.
  assert.equal(big!.sha256, '316bad61cf060f40ae123d5bb507f5dd24da222a3df2184cc36d772817285af2');
});
