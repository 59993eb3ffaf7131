/**
 * Parser errors that start `app-layer.error-policy`: TLS and SSH count a
 * direction that stopped on bytes of another protocol, and not one that
 * stopped on a gap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Direction } from '../core/packet.js';
import { TlsState } from './tls/state.js';
import { SshState } from './ssh/state.js';

function feed(state: TlsState | SshState, direction: number, bytes: readonly number[]): void {
  const data = Uint8Array.from(bytes);
  state.handleData(direction, data, 0, data.length, 0);
}

test('tls invalid record type is error', () => {
  const state = new TlsState();
  // 0x99 is no TLS content type (RFC 8446 section 5.1 lists 20 to 24).
  feed(state, Direction.TO_SERVER, [0x99, 0x03, 0x03, 0x00, 0x01, 0x00]);
  assert.equal(state.counters.parserErrors, 1);
  // Later bytes of the stopped direction add no error.
  feed(state, Direction.TO_SERVER, [0x99, 0x03, 0x03, 0x00, 0x01, 0x00]);
  assert.equal(state.counters.parserErrors, 1);
});

test('tls invalid record version is error', () => {
  const state = new TlsState();
  // Major version 2 is not TLS: a handshake record with version 0x0201.
  feed(state, Direction.TO_CLIENT, [0x16, 0x02, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00]);
  assert.equal(state.counters.parserErrors, 1);
});

test('tls gap is no error', () => {
  const state = new TlsState();
  state.handleGap(Direction.TO_SERVER, 100);
  feed(state, Direction.TO_SERVER, [0x99, 0x03, 0x03, 0x00, 0x01, 0x00]);
  assert.equal(state.counters.parserErrors, 0);
});

test('tls valid records are no error', () => {
  const state = new TlsState();
  // A ChangeCipherSpec record (type 20, one byte 0x01), then an empty application data record.
  feed(state, Direction.TO_SERVER, [0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03, 0x00, 0x00]);
  assert.equal(state.counters.parserErrors, 0);
});

test('ssh short packet length is error', () => {
  const state = new SshState();
  const banner = [...Buffer.from('SSH-2.0-OpenSSH_9.6\r\n', 'latin1')];
  feed(state, Direction.TO_SERVER, banner);
  assert.equal(state.counters.parserErrors, 0);
  // packet_length 1 leaves no room for padding_length and a message code (RFC 4253 section 6).
  feed(state, Direction.TO_SERVER, [0x00, 0x00, 0x00, 0x01, 0x00, 0x15]);
  assert.equal(state.counters.parserErrors, 1);
});

test('ssh client banner without ssh is error', () => {
  const state = new SshState();
  // RFC 4253 section 4.2: the client sends its identification string first.
  feed(state, Direction.TO_SERVER, [...Buffer.from('HELLO\r\n', 'latin1')]);
  assert.equal(state.counters.parserErrors, 1);
});

test('ssh gap is no error', () => {
  const state = new SshState();
  state.handleGap(Direction.TO_CLIENT, 10);
  feed(state, Direction.TO_CLIENT, [0x00, 0x00, 0x00, 0x01, 0x00, 0x15]);
  assert.equal(state.counters.parserErrors, 0);
});
