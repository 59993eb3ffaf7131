import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Direction, IpProto } from '../../core/packet.js';
import { readCaptureFlows, splitPlans, hexRows, seededRandom } from '../dns/test-support.js';
import { TlsEvent, TLS_EVENT_NAMES, findTlsEvent } from './events.js';
import { TlsState } from './state.js';
import { TlsRecordParser, MAX_TLS_HANDSHAKE_BYTES, type TlsRecordSink } from './parser.js';
import { isGrease, parseClientHello } from './handshake.js';
import { buildJa3String, hashJa3 } from './ja3.js';
import { buildJa4 } from './ja4.js';
import { buildTlsEve, tlsVersionName } from './eve.js';
import { getTlsBuffer, getTlsBuffers, parseTlsVersion, TlsBuffer, TlsCertChainLenMatch, TlsVersionMatch, TLS_KEYWORDS } from './detect.js';
import { parseUintValue } from '../../detect/keywords/uint-value.js';
import { probeTls } from './probe.js';
import { parseX509 } from './x509.js';

const PCAPS = join(process.cwd(), 'test', 'pcaps', 'app', 'tls');
const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('latin1'));

/** Runs both streams of the first TCP flow of a capture through a TlsState, with the given chunk plan. */
function runCapture(file: string, plan: 'whole' | 'bytes' | number = 'whole'): TlsState {
  const flow = readCaptureFlows(join(PCAPS, file)).find((f) => f.ipProto === IpProto.TCP)!;
  const state = new TlsState();
  for (const d of [Direction.TO_SERVER, Direction.TO_CLIENT]) {
    const stream = flow.streams[d];
    let sizes: number[];
    if (plan === 'whole') sizes = [stream.length];
    else if (plan === 'bytes') sizes = splitPlans(stream.length, 0, 0)[1];
    else sizes = splitPlans(stream.length, plan, 1)[2];
    let at = 0;
    for (const n of sizes) {
      state.handleData(d, stream, at, n, 0);
      at += n;
    }
  }
  return state;
}

function summary(state: TlsState): string {
  const tx = state.tx;
  return JSON.stringify([tx.ja3String, tx.ja3sString, tx.ja4, tx.version, text(tx.clientHello?.sni ?? null), tx.serverCertificates.length, tx.serverCertificate?.subject, tx.events]);
}

test('tls12 handshake from capture', () => {
  // tshark -r tls12-comodo-chain.pcap -Y tls.handshake.type==1 -T fields -e tls.handshake.ja3 -e tls.handshake.ja3_full
  const tx = runCapture('tls12-comodo-chain.pcap').tx;
  assert.equal(
    tx.ja3String,
    '771,49200-49196-49192-49188-49172-49162-49186-49185-163-159-107-106-57-56-136-135-49202-49198-49194-49190-49167-49157-157-61-53-132-49170-49160-49180-49179-22-19-49165-49155-10-49199-49195-49191-49187-49171-49161-49183-49182-162-158-103-64-51-50-154-153-69-68-49201-49197-49193-49189-49166-49156-156-60-47-150-65-7-49169-49159-49164-49154-5-4-21-18-9-20-17-8-6-3-255,11-10-35-13-15,14-13-25-11-12-24-9-10-22-23-8-6-7-20-21-4-5-18-19-1-2-3-15-16-17,0-1-2',
  );
  assert.equal(tx.ja3Hash, 'bd9c99b3a0f752c3ab8b052a79e9de3e');
  // tshark ... -Y tls.handshake.type==2 -e tls.handshake.ja3s -e tls.handshake.ja3s_full
  assert.equal(tx.ja3sString, '771,4,65281');
  assert.equal(tx.ja3sHash, 'c253ec3ad88e42f8da4032682892f9a0');
  assert.equal(tx.clientHello!.sni, null);
  assert.equal(tx.version, 0x0303);
  assert.equal(tx.serverCertificates.length, 3);
});

test('tls12 certificate fields', () => {
  // Leaf certificate printed by openssl x509 -noout -subject -issuer -serial
  // -dates -fingerprint -sha1 -nameopt sep_comma_plus_space -ext subjectAltName.
  const cert = runCapture('tls12-comodo-chain.pcap').tx.serverCertificate!;
  assert.equal(cert.subject, 'C=US, postalCode=94568, ST=CA, L=Dublin, street=Suite 400, street=4140 Dublin Boulevard, O=Taleo Inc., OU=Web, OU=Comodo PremiumSSL Wildcard, CN=*.taleo.net');
  assert.equal(cert.issuer, 'C=GB, ST=Greater Manchester, L=Salford, O=COMODO CA Limited, CN=COMODO High-Assurance Secure Server CA');
  // The DER INTEGER content keeps its leading zero byte (tshark: 0099faa8...).
  assert.equal(cert.serial, '00:99:FA:A8:03:7A:4E:B2:FA:EF:84:EB:5E:55:D5:B8:C8');
  assert.equal(cert.fingerprint, '33:67:a1:82:4a:60:13:c0:2a:3e:25:bb:e4:da:86:33:87:fa:f1:34');
  assert.equal(cert.notBefore, '2011-05-04T00:00:00');
  assert.equal(cert.notAfter, '2016-07-04T23:59:59');
  assert.deepEqual(cert.subjectAltNames, ['*.taleo.net', 'taleo.net']);
});

test('tls client certificate capture', () => {
  // tshark: sni certauth.idrix.fr, ja3 579ccef312d18482fc42e2b822ca2430,
  // ja3s d154fcfa5bb4f0748e1dd1992c681104 (771,49200,65281-0-11-35-16-23).
  const state = runCapture('tls12-client-certificate.pcap');
  const tx = state.tx;
  assert.equal(text(tx.clientHello!.sni), 'certauth.idrix.fr');
  assert.equal(tx.ja3Hash, '579ccef312d18482fc42e2b822ca2430');
  assert.equal(tx.ja3sString, '771,49200,65281-0-11-35-16-23');
  assert.equal(tx.ja3sHash, 'd154fcfa5bb4f0748e1dd1992c681104');
  // JA4 worked out by hand from tshark's cipher, extension and
  // signature_algorithms lists: 17 ciphers, 15 extensions, ALPN h2.
  assert.equal(tx.ja4, 't13d1715h2_5b57614c22b0_3d5424432f57');
  assert.equal(tx.clientCertificates.length, 2);
  const cert = tx.serverCertificate!;
  assert.equal(cert.subject, 'CN=certauth.idrix.fr');
  assert.equal(cert.issuer, 'C=US, O=Let\'s Encrypt, CN=R3');
  assert.equal(cert.serial, '04:5A:90:5E:1E:A8:69:42:AC:38:57:B4:81:D6:DE:9A:85:CB');
  assert.equal(cert.fingerprint, 'ae:ae:9d:28:72:4c:f5:2c:b8:12:1c:7a:ad:a7:ec:12:78:4a:2a:64');
  assert.equal(cert.notBefore, '2023-01-04T16:14:07');
  assert.equal(cert.notAfter, '2023-04-04T16:14:06');
});

test('tls13 server hello version', () => {
  // tshark: ja3 39cef737bf0cabc32c28f95d09b97702, ja3s 907bf3ecef1c987c889946b737b43de8,
  // supported_version 0x0304.
  const tx = runCapture('tls13-wolfssl.pcap').tx;
  assert.equal(tx.ja3String, '771,4866,51-43-13-11-10-23,25-24-23-21-19-16-256,0');
  assert.equal(tx.ja3Hash, '39cef737bf0cabc32c28f95d09b97702');
  assert.equal(tx.ja3sHash, '907bf3ecef1c987c889946b737b43de8');
  assert.equal(tx.version, 0x0304);
  assert.equal(tx.serverCertificates.length, 0);
});

test('tls same records at any split', () => {
  for (const file of ['tls12-comodo-chain.pcap', 'tls12-client-certificate.pcap', 'tls13-wolfssl.pcap']) {
    const whole = summary(runCapture(file));
    assert.equal(summary(runCapture(file, 'bytes')), whole, `${file} byte by byte`);
    for (const seed of [1, 2, 3]) assert.equal(summary(runCapture(file, seed)), whole, `${file} seed ${seed}`);
  }
});

test('tls eve extended with ja3 and ja4', () => {
  const tx = runCapture('tls12-client-certificate.pcap').tx;
  const eve = JSON.parse(buildTlsEve(tx, { isExtended: true, hasJa3: true, hasJa4: true }));
  assert.deepEqual(Object.keys(eve), [
    'subject', 'issuerdn', 'serial', 'fingerprint', 'sni', 'version', 'notbefore', 'notafter', 'ja3', 'ja3s', 'ja4',
    'subjectaltname', 'client', 'client_alpns', 'server_alpns',
  ]);
  // The client certificate (openssl x509 -subject -fingerprint -sha1).
  assert.equal(eve.client.subject, 'CN=johanna@corelight.com');
  assert.equal(eve.client.fingerprint, 'bf:36:12:70:e0:c6:7d:d9:df:c2:15:6c:5d:cb:d4:43:8e:9d:99:6a');
  assert.equal(eve.client.certificate, undefined);
  assert.equal(eve.sni, 'certauth.idrix.fr');
  // tshark: x509ce.dNSName, and tls.handshake.extensions_alpn_str of each hello.
  assert.deepEqual(eve.subjectaltname, ['certauth.idrix.fr']);
  assert.deepEqual(eve.client_alpns, ['h2', 'http/1.1']);
  assert.deepEqual(eve.server_alpns, ['http/1.1']);
  assert.equal(eve.version, 'TLS 1.2');
  assert.deepEqual(eve.ja3s, { hash: 'd154fcfa5bb4f0748e1dd1992c681104', string: '771,49200,65281-0-11-35-16-23' });
  assert.equal(eve.ja4, 't13d1715h2_5b57614c22b0_3d5424432f57');
  const basic = JSON.parse(buildTlsEve(tx, { isExtended: false, hasJa3: false, hasJa4: false }));
  assert.deepEqual(Object.keys(basic), ['subject', 'issuerdn']);
});

test('tls version names', () => {
  assert.equal(tlsVersionName(0x0300), 'SSLv3');
  assert.equal(tlsVersionName(0x0301), 'TLSv1');
  assert.equal(tlsVersionName(0x0303), 'TLS 1.2');
  assert.equal(tlsVersionName(0x0304), 'TLS 1.3');
  assert.equal(tlsVersionName(0x7f1c), 'TLS 1.3 draft-28');
  assert.equal(tlsVersionName(0x1234), 'UNDETERMINED');
});

test('tls buffers by direction', () => {
  const tx = runCapture('tls12-client-certificate.pcap').tx;
  assert.equal(text(getTlsBuffer(tx, TlsBuffer.SNI, Direction.TO_SERVER)), 'certauth.idrix.fr');
  assert.equal(getTlsBuffer(tx, TlsBuffer.SNI, Direction.TO_CLIENT), null);
  assert.equal(text(getTlsBuffer(tx, TlsBuffer.CERT_SUBJECT, Direction.TO_CLIENT)), 'CN=certauth.idrix.fr');
  // The client certificate, printed by openssl x509 -subject -issuer -fingerprint -sha1.
  assert.equal(text(getTlsBuffer(tx, TlsBuffer.CERT_SUBJECT, Direction.TO_SERVER)), 'CN=johanna@corelight.com');
  assert.equal(text(getTlsBuffer(tx, TlsBuffer.CERT_ISSUER, Direction.TO_SERVER)), 'C=IT, ST=Bergamo, L=Ponte San Pietro, O=Actalis S.p.A., CN=Actalis Client Authentication CA G3');
  assert.equal(text(getTlsBuffer(tx, TlsBuffer.CERT_FINGERPRINT, Direction.TO_SERVER)), 'bf:36:12:70:e0:c6:7d:d9:df:c2:15:6c:5d:cb:d4:43:8e:9d:99:6a');
  assert.equal(getTlsBuffers(tx, TlsBuffer.CERTS, Direction.TO_CLIENT).length, 3);
  assert.equal(getTlsBuffers(tx, TlsBuffer.CERTS, Direction.TO_SERVER).length, 2);
  assert.deepEqual(getTlsBuffers(tx, TlsBuffer.SUBJECT_ALT_NAME, Direction.TO_SERVER), []);
  assert.equal(text(getTlsBuffer(tx, TlsBuffer.JA3_HASH, Direction.TO_SERVER)), '579ccef312d18482fc42e2b822ca2430');
  assert.equal(text(getTlsBuffer(tx, TlsBuffer.JA3S_HASH, Direction.TO_CLIENT)), 'd154fcfa5bb4f0748e1dd1992c681104');
  assert.equal(text(getTlsBuffer(tx, TlsBuffer.JA4_HASH, Direction.TO_SERVER)), 't13d1715h2_5b57614c22b0_3d5424432f57');
  assert.deepEqual(getTlsBuffers(tx, TlsBuffer.ALPN, Direction.TO_SERVER).map(text), ['h2', 'http/1.1']);
  assert.equal(getTlsBuffer(tx, TlsBuffer.RANDOM_TIME, Direction.TO_SERVER)!.length, 4);
  assert.equal(getTlsBuffer(tx, TlsBuffer.RANDOM_BYTES, Direction.TO_SERVER)!.length, 28);
  assert.deepEqual(getTlsBuffers(tx, TlsBuffer.SUBJECT_ALT_NAME, Direction.TO_CLIENT).map(text), ['certauth.idrix.fr']);
});

test('tls version keyword', () => {
  const tx = runCapture('tls13-wolfssl.pcap').tx;
  assert.equal(parseTlsVersion('1.3'), 0x0304);
  assert.equal(parseTlsVersion('0x0303'), 0x0303);
  assert.equal(parseTlsVersion('1.4'), null);
  assert.equal(new TlsVersionMatch(0x0304).matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(new TlsVersionMatch(0x0303).matchTx(tx, Direction.TO_SERVER), true);
  assert.equal(new TlsVersionMatch(0x0304).matchTx(tx, Direction.TO_SERVER), false);
});

test('tls cert chain length keyword', () => {
  const tx = runCapture('tls12-comodo-chain.pcap').tx;
  const chain = (text: string): TlsCertChainLenMatch => {
    const v = parseUintValue(text, 4294967295);
    assert.ok(typeof v !== 'string');
    return new TlsCertChainLenMatch(v);
  };
  assert.equal(chain('3').matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(chain('>3').matchTx(tx, Direction.TO_CLIENT), false);
  assert.equal(chain('3').matchTx(tx, Direction.TO_SERVER), false);
});

test('tls keyword names and aliases', () => {
  const names = TLS_KEYWORDS.flatMap((k) => [k.name, ...(k.aliases ?? [])]);
  for (const n of ['tls.sni', 'tls_sni', 'tls.certs', 'tls.cert_subject', 'tls.cert_issuer', 'tls.cert_serial', 'tls.cert_fingerprint', 'tls.version', 'ja3.hash', 'ja3_hash', 'ja3.string', 'ja3s.hash', 'ja4.hash', 'tls.cert_chain_len']) {
    assert.ok(names.includes(n), n);
  }
});

// A ClientHello with GREASE values in ciphers, extensions and groups, SNI
// "a.example", ALPN "h2", supported_versions {GREASE, 1.3, 1.2} and two
// signature algorithms. Layout per RFC 8446 section 4.1.2.
const GREASE_HELLO = hexRows(`
0000  03 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00   ................
0010  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   ................
0020  00 00 00 00 08 1a 1a 13 01 13 02 c0 2b 01 00 00   ............+...
0030  3e 2a 2a 00 00 00 00 00 0e 00 0c 00 00 09 61 2e   >**...........a.
0040  65 78 61 6d 70 6c 65 00 0a 00 06 00 04 3a 3a 00   example......::.
0050  1d 00 10 00 05 00 03 02 68 32 00 2b 00 07 06 4a   ........h2.+...J
0060  4a 03 04 03 03 00 0d 00 06 00 04 04 03 08 04      J..............
`);

test('tls ja3 and ja4 leave out grease', () => {
  const result = parseClientHello(GREASE_HELLO, 0, GREASE_HELLO.length);
  assert.ok(result.ok);
  const hello = result.hello;
  assert.equal(isGrease(0x1a1a), true);
  assert.equal(isGrease(0x4a4a), true);
  assert.equal(isGrease(0x1a2a), false);
  assert.equal(text(hello.sni), 'a.example');
  // JA3: version 771, ciphers 4865-4866-49195, extensions 0-10-16-43-13
  // (0x2a2a dropped), groups 29 (0x3a3a dropped), no point formats.
  const ja3 = buildJa3String(hello);
  assert.equal(ja3, '771,4865-4866-49195,0-10-16-43-13,29,');
  // MD5 from Python's hashlib over the same string.
  assert.equal(hashJa3(ja3), 'cf02b18825653040a840ea89b25d77c3');
  // JA4 a: t, 13 from supported_versions, d, 03 ciphers, 05 extensions, h2.
  // b: sha256("1301,1302,c02b")[:12]; c: sha256("000a,000d,002b_0403,0804")[:12].
  assert.equal(buildJa4(hello), 't13d0305h2_5559582ccdc4_fbabbea27ee8');
});

test('tls handshake split over records', () => {
  // One ClientHello body of GREASE_HELLO sent in three handshake records.
  const body = GREASE_HELLO;
  const message = Uint8Array.from([1, 0, body.length >> 8, body.length & 0xff, ...body]);
  const cuts = [0, 10, 60, message.length];
  const records: number[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const part = message.subarray(cuts[i], cuts[i + 1]);
    records.push(22, 3, 1, part.length >> 8, part.length & 0xff, ...part);
  }
  const state = new TlsState();
  const bytes = Uint8Array.from(records);
  state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  assert.equal(text(state.tx.clientHello?.sni ?? null), 'a.example');
  assert.deepEqual(state.tx.events, []);
});

class EventSink implements TlsRecordSink {
  events: number[] = [];
  messages = 0;
  onHandshakeMessage(): void {
    this.messages++;
  }
  onChangeCipherSpec(): void {}
  onAlert(): void {}
  onHeartbeat(): void {}
  onApplicationData(): void {}
  onEvent(e: number): void {
    this.events.push(e);
  }
  onSslv2ClientHello(): void {}
}

test('tls invalid record type', () => {
  const sink = new EventSink();
  const parser = new TlsRecordParser();
  parser.feed(Uint8Array.from([0x63, 3, 1, 0, 1, 0]), 0, 6, sink);
  assert.deepEqual(sink.events, [TlsEvent.INVALID_RECORD_TYPE]);
  assert.equal(parser.isBroken, true);
});

test('tls invalid record version', () => {
  const sink = new EventSink();
  new TlsRecordParser().feed(Uint8Array.from([22, 9, 1, 0, 1, 0]), 0, 6, sink);
  assert.deepEqual(sink.events, [TlsEvent.INVALID_RECORD_VERSION]);
});

test('tls handshake length above limit', () => {
  const sink = new EventSink();
  const n = MAX_TLS_HANDSHAKE_BYTES + 1;
  new TlsRecordParser().feed(Uint8Array.from([22, 3, 3, 0, 4, 11, n >> 16, (n >> 8) & 0xff, n & 0xff]), 0, 9, sink);
  assert.deepEqual(sink.events, [TlsEvent.HANDSHAKE_INVALID_LENGTH]);
});

test('tls records per call limit', () => {
  // 256 empty application-data records in one call: one event.
  const bytes = new Uint8Array(256 * 5);
  for (let i = 0; i < 256; i++) bytes.set([23, 3, 3, 0, 0], i * 5);
  const sink = new EventSink();
  new TlsRecordParser().feed(bytes, 0, bytes.length, sink);
  assert.deepEqual(sink.events, [TlsEvent.TOO_MANY_RECORDS_IN_PACKET]);
});

test('tls heartbeat and fatal alert events', () => {
  // A heartbeat request with payload_length 0 and 16 bytes of padding,
  // then a fatal handshake_failure alert (level 2, description 40).
  const state = new TlsState();
  const bytes = Uint8Array.from([24, 3, 3, 0, 19, 1, 0, 0, ...new Array<number>(16).fill(0), 21, 3, 3, 0, 2, 2, 40]);
  state.handleData(Direction.TO_CLIENT, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events.map((e) => TLS_EVENT_NAMES[e]), ['heartbeat_message', 'error_message_encountered']);
});

test('tls heartbeat claiming more than sent', () => {
  // Heartbleed: payload_length 0x4000 in a 3-byte heartbeat record.
  const state = new TlsState();
  const bytes = Uint8Array.from([24, 3, 2, 0, 3, 1, 0x40, 0x00]);
  state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events.map((e) => TLS_EVENT_NAMES[e]), ['heartbeat_message', 'overflow_heartbeat_message']);
});

test('tls alert of wrong length', () => {
  const state = new TlsState();
  const bytes = Uint8Array.from([21, 3, 3, 0, 3, 2, 40, 0]);
  state.handleData(Direction.TO_CLIENT, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events, [TlsEvent.INVALID_ALERT_MESSAGE]);
});

/** Wraps a ServerHello body with the given random and TLS 1.3 supported_versions into one record. */
function serverHelloRecord(random: Uint8Array): number[] {
  const body = [3, 3, ...random, 0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4];
  const message = [2, 0, 0, body.length, ...body];
  return [22, 3, 3, 0, message.length, ...message];
}

test('tls hello retry request then server hello', () => {
  // RFC 8446 section 4.1.3: a ServerHello whose random is SHA-256 of
  // "HelloRetryRequest" is a retry request; the real ServerHello follows.
  const retry = Uint8Array.from(Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'));
  const real = new Uint8Array(32).fill(7);
  const bytes = Uint8Array.from([...serverHelloRecord(retry), ...serverHelloRecord(real)]);
  const state = new TlsState();
  state.handleData(Direction.TO_CLIENT, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events, []);
  assert.deepEqual(Array.from(state.tx.serverHello!.random), Array.from(real));
  assert.equal(state.tx.version, 0x0304);
});

test('tls second server hello without retry', () => {
  const real = new Uint8Array(32).fill(7);
  const bytes = Uint8Array.from([...serverHelloRecord(real), ...serverHelloRecord(real)]);
  const state = new TlsState();
  state.handleData(Direction.TO_CLIENT, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events, [TlsEvent.INVALID_HANDSHAKE_MESSAGE]);
});

test('tls multiple sni extensions', () => {
  // Extensions: server_name twice.
  const sni = [0, 0, 0, 6, 0, 4, 0, 0, 1, 0x61];
  const ext = [...sni, ...sni];
  const body = [3, 3, ...new Array<number>(32).fill(0), 0, 0, 2, 0x13, 0x01, 1, 0, 0, ext.length, ...ext];
  const result = parseClientHello(Uint8Array.from(body), 0, body.length);
  assert.ok(result.ok);
  assert.deepEqual(result.hello.events, [TlsEvent.MULTIPLE_SNI_EXTENSIONS]);
  assert.equal(text(result.hello.sni), 'a');
});

test('tls invalid certificate der', () => {
  const result = parseX509(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]));
  assert.equal(result.ok, false);
  assert.equal(result.ok ? -1 : result.event, TlsEvent.CERTIFICATE_INVALID_DER);
});

test('tls event names match the rules file', () => {
  // rules/tls-events.rules of Suricata names these events.
  for (const name of ['invalid_sslv2_header', 'invalid_tls_header', 'invalid_record_version', 'invalid_record_type', 'invalid_handshake_message', 'invalid_certificate', 'certificate_invalid_length', 'error_message_encountered', 'invalid_ssl_record', 'heartbeat_message', 'overflow_heartbeat_message', 'invalid_heartbeat_message', 'dataleak_heartbeat_mismatch', 'multiple_sni_extensions', 'invalid_sni_type', 'invalid_sni_length', 'handshake_invalid_length', 'too_many_records_in_packet', 'certificate_invalid_version', 'certificate_invalid_serial', 'certificate_invalid_algorithmidentifier', 'certificate_invalid_x509name', 'certificate_invalid_date', 'certificate_invalid_extensions', 'certificate_invalid_der', 'certificate_invalid_subject', 'certificate_invalid_issuer', 'certificate_invalid_validity', 'invalid_alert_message']) {
    assert.ok(findTlsEvent(name) >= 0, name);
  }
});

test('tls probe', () => {
  assert.equal(probeTls(Uint8Array.from([22, 3, 1, 0, 100, 1]), 0, 6, Direction.TO_SERVER), 'yes');
  assert.equal(probeTls(Uint8Array.from([22, 3, 3, 0, 100, 2]), 0, 6, Direction.TO_CLIENT), 'yes');
  assert.equal(probeTls(Uint8Array.from([22, 3]), 0, 2, Direction.TO_SERVER), 'need_more');
  assert.equal(probeTls(Buffer.from('GET / HTTP/1.1'), 0, 14, Direction.TO_SERVER), 'no');
  assert.equal(probeTls(Uint8Array.from([0x80, 0x2e, 1, 3, 1]), 0, 5, Direction.TO_SERVER), 'yes');
});

test('tls mutated certificates never throw', () => {
  // Flip random bytes of a real leaf certificate: each parse returns a
  // certificate or an event.
  const der = runCapture('tls12-client-certificate.pcap').tx.serverCertificates[0];
  const rand = seededRandom(21);
  for (let i = 0; i < 500; i++) {
    const copy = der.slice();
    for (let k = 0; k < 4; k++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
    const result = parseX509(copy.subarray(0, Math.floor(rand() * copy.length) + 1));
    assert.equal(typeof result.ok, 'boolean');
  }
});

test('tls eve custom fields', () => {
  const tx = runCapture('tls12-comodo-chain.pcap').tx;
  const custom = new Set(['sni', 'not_after', 'certificate', 'chain', 'serial']);
  const eve = JSON.parse(buildTlsEve(tx, { isExtended: false, hasJa3: false, hasJa4: false, customFields: custom }));
  // No SNI in this ClientHello (tshark), so the field is left out.
  assert.deepEqual(Object.keys(eve), ['serial', 'notafter', 'certificate', 'chain']);
  assert.equal(eve.notafter, '2016-07-04T23:59:59');
  assert.equal(eve.chain.length, 3);
  // The certificate is the leaf's DER in base64, so it hashes to the leaf's SHA-1 fingerprint.
  const der = Buffer.from(eve.certificate as string, 'base64');
  assert.equal(createHash('sha1').update(der).digest('hex'), '3367a1824a6013c02a3e25bbe4da863387faf134');
  assert.equal(eve.chain[0], eve.certificate);
});
