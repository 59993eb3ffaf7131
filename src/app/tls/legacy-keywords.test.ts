import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Direction, IpProto } from '../../core/packet.js';
import { readCaptureFlows } from '../dns/test-support.js';
import { TlsState } from './state.js';
import { TlsRecordParser, type TlsRecordSink } from './parser.js';
import { parseCertDate, parseSslVersion, sslVersionName, SslVersionMatch, TlsCertDateMatch, TlsCertStringMatch, TlsCertValidityMatch, TLS_LEGACY_KEYWORDS } from './legacy-keywords.js';

const PCAPS = join(process.cwd(), 'test', 'pcaps', 'app', 'tls');

function runCapture(file: string): TlsState {
  const flow = readCaptureFlows(join(PCAPS, file)).find((f) => f.ipProto === IpProto.TCP)!;
  const state = new TlsState();
  for (const d of [Direction.TO_SERVER, Direction.TO_CLIENT]) state.handleData(d, flow.streams[d], 0, flow.streams[d].length, 0);
  return state;
}

function sslVersion(value: string): SslVersionMatch {
  const m = parseSslVersion(value);
  assert.ok(m instanceof SslVersionMatch, String(m));
  return m;
}

test('ssl_version names of versions', () => {
  assert.equal(sslVersionName(0x0002), 'sslv2');
  assert.equal(sslVersionName(0x0300), 'sslv3');
  assert.equal(sslVersionName(0x0303), 'tls1.2');
  // TLS 1.3 draft 28 (0x7f1c) counts as tls1.3.
  assert.equal(sslVersionName(0x7f1c), 'tls1.3');
  assert.equal(sslVersionName(0x0305), null);
});

test('ssl_version lists and negation', () => {
  // tls12-comodo-chain.pcap: ClientHello and ServerHello both 0x0303 (tshark tls.handshake.version).
  const tx = runCapture('tls12-comodo-chain.pcap').tx;
  for (const d of [Direction.TO_SERVER, Direction.TO_CLIENT]) {
    assert.equal(sslVersion('tls1.2').matchTx(tx, d), true);
    assert.equal(sslVersion('tls1.0,tls1.1').matchTx(tx, d), false);
    assert.equal(sslVersion('!sslv3').matchTx(tx, d), true);
    assert.equal(sslVersion('!tls1.2').matchTx(tx, d), false);
    assert.equal(sslVersion('!tls1.3,tls1.2').matchTx(tx, d), true);
    assert.equal(sslVersion('!tls1.3, !tls1.2').matchTx(tx, d), false);
    assert.equal(sslVersion('TLS1.2').matchTx(tx, d), true);
  }
  assert.equal(parseSslVersion('tls2.0'), "'tls2.0' is not an SSL version (expected sslv2, sslv3, tls1.0, tls1.1, tls1.2 or tls1.3, optionally with !)");
});

test('ssl_version unknown version never matches', () => {
  const tx = new TlsState().tx;
  assert.equal(sslVersion('!sslv3').matchTx(tx, Direction.TO_SERVER), false);
  assert.equal(sslVersion('!sslv3').matchTx(tx, Direction.TO_CLIENT), false);
});

test('sslv2 framed hello version', () => {
  // SSLv2 record header 0x802e (46 bytes), msg_type 1 (CLIENT-HELLO),
  // version 0x0301, cipher_spec_length 21, session_id_length 0,
  // challenge_length 16 (RFC 6101 appendix E.2).
  const hello = Uint8Array.from([0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, ...new Array<number>(37).fill(0)]);
  const state = new TlsState();
  state.handleData(Direction.TO_SERVER, hello, 0, hello.length, 0);
  assert.equal(state.tx.clientVersion, 0x0301);
  assert.equal(sslVersion('tls1.0').matchTx(state.tx, Direction.TO_SERVER), true);

  const versions: number[] = [];
  const sink: TlsRecordSink = {
    onHandshakeMessage() {}, onChangeCipherSpec() {}, onAlert() {}, onHeartbeat() {}, onApplicationData() {}, onEvent() {},
    onSslv2ClientHello(version: number) { versions.push(version); },
  };
  new TlsRecordParser().feed(hello, 0, hello.length, sink);
  assert.deepEqual(versions, [0x0301]);
});

test('tls.subject and tls.issuerdn strings', () => {
  const tx = runCapture('tls12-comodo-chain.pcap').tx;
  const subject = (t: string, neg = false): TlsCertStringMatch => new TlsCertStringMatch('tls.subject', 0, t, neg);
  const issuer = (t: string, neg = false): TlsCertStringMatch => new TlsCertStringMatch('tls.issuerdn', 1, t, neg);
  assert.equal(subject('CN=*.taleo.net').matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(subject('cn=*.taleo.net').matchTx(tx, Direction.TO_CLIENT), false);
  assert.equal(subject('CN=*.taleo.net', true).matchTx(tx, Direction.TO_CLIENT), false);
  assert.equal(subject('CN=*.taleo.net').matchTx(tx, Direction.TO_SERVER), false);
  assert.equal(issuer('O=COMODO CA Limited').matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(issuer('CN=Google-Internet-Authority', true).matchTx(tx, Direction.TO_CLIENT), true);
  // Without a certificate neither form matches.
  assert.equal(subject('x', true).matchTx(new TlsState().tx, Direction.TO_CLIENT), false);
});

test('tls.fingerprint any case', () => {
  const tx = runCapture('tls12-comodo-chain.pcap').tx;
  const def = TLS_LEGACY_KEYWORDS.find((k) => k.name === 'tls.fingerprint')!;
  const added: unknown[] = [];
  const errors: string[] = [];
  const builder = { addPacketMatch: (m: unknown) => added.push(m), error: (_c: string, msg: string) => errors.push(msg) };
  def.setup(builder as never, '"33:67:A1:82:4A:60:13:C0:2A:3E:25:BB:E4:DA:86:33:87:FA:F1:34"');
  def.setup(builder as never, '!"33:67:a1:82:4a:60:13:c0:2a:3e:25:bb:e4:da:86:33:87:fa:f1:35"');
  def.setup(builder as never, 'unquoted"value');
  assert.equal(added.length, 2);
  assert.equal((added[0] as TlsCertStringMatch).matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal((added[1] as TlsCertStringMatch).matchTx(tx, Direction.TO_CLIENT), true);
  assert.deepEqual(errors, [`'unquoted"value' is not a quoted string (expected tls.fingerprint:"text" or tls.fingerprint:!"text")`]);
});

test('tls cert date values', () => {
  assert.equal(parseCertDate('2015'), Date.UTC(2015, 0, 1) / 1000);
  assert.equal(parseCertDate('2015-10'), Date.UTC(2015, 9, 1) / 1000);
  assert.equal(parseCertDate('2015-10-22'), Date.UTC(2015, 9, 22) / 1000);
  assert.equal(parseCertDate('2015-10-22T23:59:59'), Date.UTC(2015, 9, 22, 23, 59, 59) / 1000);
  assert.equal(parseCertDate('2015-10-22 23'), Date.UTC(2015, 9, 22, 23) / 1000);
  assert.equal(parseCertDate('1445852105'), 1445852105);
  assert.equal(parseCertDate('2015-13-01'), null);
  assert.equal(parseCertDate('yesterday'), null);
});

test('tls cert notbefore and notafter', () => {
  // Leaf: notBefore 2011-05-04T00:00:00, notAfter 2016-07-04T23:59:59 (openssl x509 -dates).
  const tx = runCapture('tls12-comodo-chain.pcap').tx;
  const at = (s: string): number => parseCertDate(s)!;
  const notAfter = (op: number, a: string, b = '2000'): TlsCertDateMatch => new TlsCertDateMatch('tls_cert_notafter', true, op, at(a), at(b));
  const notBefore = (op: number, a: string, b = '2000'): TlsCertDateMatch => new TlsCertDateMatch('tls_cert_notbefore', false, op, at(a), at(b));
  assert.equal(notAfter(2, '2016-07-04').matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(notAfter(1, '2016-07-04').matchTx(tx, Direction.TO_CLIENT), false);
  assert.equal(notAfter(0, '2016-07-04T23:59:59').matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(notBefore(1, '2012').matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(notBefore(3, '2011', '2012').matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(notBefore(3, '2012', '2013').matchTx(tx, Direction.TO_CLIENT), false);
  assert.equal(notBefore(1, '2012').matchTx(tx, Direction.TO_SERVER), false);
});

test('tls cert expired and valid', () => {
  const tx = runCapture('tls12-comodo-chain.pcap').tx;
  const expired = new TlsCertValidityMatch('tls_cert_expired', true);
  const valid = new TlsCertValidityMatch('tls_cert_valid', false);
  tx.lastTimestampUs = Date.UTC(2014, 0, 1) * 1000;
  assert.equal(expired.matchTx(tx, Direction.TO_CLIENT), false);
  assert.equal(valid.matchTx(tx, Direction.TO_CLIENT), true);
  tx.lastTimestampUs = Date.UTC(2017, 0, 1) * 1000;
  assert.equal(expired.matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(valid.matchTx(tx, Direction.TO_CLIENT), false);
});
