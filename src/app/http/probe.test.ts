import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeHttp } from './probe.js';

const enc = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

test('probe request methods', () => {
  const get = enc('GET / HTTP/1.1\r\n');
  assert.equal(probeHttp(get, 0, get.length, 0), 'yes');
  const propfind = enc('PROPFIND /dav HTTP/1.1\r\n');
  assert.equal(probeHttp(propfind, 0, propfind.length, 0), 'yes');
});

test('probe partial method needs more', () => {
  const partial = enc('POS');
  assert.equal(probeHttp(partial, 0, partial.length, 0), 'need_more');
  assert.equal(probeHttp(partial, 0, 0, 0), 'need_more');
});

test('probe rejects other protocols', () => {
  const tls = Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00);
  assert.equal(probeHttp(tls, 0, tls.length, 0), 'no');
  const ssh = enc('SSH-2.0-OpenSSH_9.6\r\n');
  assert.equal(probeHttp(ssh, 0, ssh.length, 0), 'no');
  // A method needs its space: "GETX" is no request.
  const getx = enc('GETX / HTTP/1.1');
  assert.equal(probeHttp(getx, 0, getx.length, 0), 'no');
});

test('probe response prefix', () => {
  const response = enc('xxHTTP/1.1 200 OK\r\n');
  assert.equal(probeHttp(response, 2, response.length - 2, 1), 'yes');
  assert.equal(probeHttp(response, 2, 3, 1), 'need_more');
  assert.equal(probeHttp(response, 0, response.length, 1), 'no');
});
