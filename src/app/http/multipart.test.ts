import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HTTP_EVENT_NAMES } from './events.js';
import { MultipartParser, multipartBoundary, type MultipartSink } from './multipart.js';

const enc = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

/** Records the sink calls as text. */
class Recorder implements MultipartSink {
  readonly calls: string[] = [];
  private data = '';

  onFileStart(name: Uint8Array): void {
    this.calls.push(`start ${Buffer.from(name).toString('latin1')}`);
  }

  onFileData(bytes: Uint8Array): void {
    this.data += Buffer.from(bytes).toString('latin1');
  }

  onFileEnd(isComplete: boolean): void {
    this.calls.push(`data ${JSON.stringify(this.data)}`, `end ${isComplete}`);
    this.data = '';
  }

  onEvent(event: number): void {
    this.calls.push(`event ${HTTP_EVENT_NAMES[event]}`);
  }
}

// RFC 7578 section 4 style body: a form field and two files.
const BODY = enc(
  '--AaB03x\r\n' +
  'Content-Disposition: form-data; name="submit-name"\r\n\r\n' +
  'Larry\r\n' +
  '--AaB03x\r\n' +
  'Content-Disposition: form-data; name="files"; filename="file1.txt"\r\n' +
  'Content-Type: text/plain\r\n\r\n' +
  '... contents of file1.txt ...\r\n' +
  '--AaB03x\r\n' +
  'Content-Disposition: form-data; name="more"; filename="a \\"b\\".bin"\r\n\r\n' +
  '\r\n--AaB03\r\n' +
  '--AaB03x--\r\n',
);

const EXPECTED = [
  'start file1.txt', 'data "... contents of file1.txt ..."', 'end true',
  'start a "b".bin', 'data "\\r\\n--AaB03"', 'end true',
];

function feed(chunks: number[]): string[] {
  const recorder = new Recorder();
  const parser = new MultipartParser(enc('AaB03x'), recorder);
  let at = 0;
  for (const size of chunks) {
    parser.push(BODY.subarray(at, Math.min(at + size, BODY.length)));
    at += size;
  }
  parser.finish(true);
  return recorder.calls;
}

test('multipart files whole', () => {
  assert.deepEqual(feed([BODY.length]), EXPECTED);
});

test('multipart files byte by byte', () => {
  assert.deepEqual(feed(Array.from({ length: BODY.length }, () => 1)), EXPECTED);
});

test('multipart files random splits', () => {
  let x = 11;
  const sizes: number[] = [];
  for (let total = 0; total < BODY.length;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const size = 1 + (x % 17);
    sizes.push(size);
    total += size;
  }
  assert.deepEqual(feed(sizes), EXPECTED);
});

test('multipart boundary parameter', () => {
  assert.equal(Buffer.from(multipartBoundary('multipart/form-data; boundary=----WebKitFormBoundarysOn2A') ?? []).toString(), '----WebKitFormBoundarysOn2A');
  assert.equal(Buffer.from(multipartBoundary('Multipart/Form-Data; charset=x; boundary="a b"') ?? []).toString(), 'a b');
  assert.equal(multipartBoundary('text/plain; boundary=x'), null);
  assert.equal(multipartBoundary('multipart/form-data'), null);
});

test('multipart missing final boundary event', () => {
  const recorder = new Recorder();
  const parser = new MultipartParser(enc('x'), recorder);
  parser.push(enc('--x\r\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\nabc'));
  parser.finish(true);
  assert.deepEqual(recorder.calls, ['start f.txt', 'data "abc"', 'end false', 'event multipart_generic_error']);
});

test('multipart cut body truncates file', () => {
  const recorder = new Recorder();
  const parser = new MultipartParser(enc('x'), recorder);
  parser.push(enc('--x\r\nContent-Disposition: form-data; filename="f.txt"\r\n\r\nabc'));
  parser.finish(false);
  assert.deepEqual(recorder.calls, ['start f.txt', 'data "abc"', 'end false']);
});

test('multipart empty file and bad header events', () => {
  const recorder = new Recorder();
  const parser = new MultipartParser(enc('x'), recorder);
  parser.push(enc('--x\r\nBroken header line\r\nContent-Disposition: form-data; filename="e.txt"\r\n\r\n\r\n--x--'));
  parser.finish(true);
  assert.deepEqual(recorder.calls, ['event multipart_invalid_header', 'start e.txt', 'event multipart_no_filedata', 'data ""', 'end true']);
});
