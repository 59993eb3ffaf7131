/**
 * TLS SNI and JA3 from the benign corpus captures, compared with what
 * tshark 4.0 prints for the same captures:
 *
 *   tshark -r FILE -Y tls.handshake.type==1 -T fields \
 *     -e tls.handshake.extensions_server_name -e tls.handshake.ja3
 *
 * One entry per ClientHello, in capture order, and an empty field is ''.
 * The quic_* captures are left out: their ClientHello travels inside QUIC
 * CRYPTO frames, not in TLS records over TCP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Direction, IpProto } from '../../core/packet.js';
import { findCorpus, readCaptureFlows } from '../dns/test-support.js';
import { probeTls } from './probe.js';
import { TlsState } from './state.js';

const BENIGN = join(findCorpus() ?? 'corpus-not-found', 'pcaps', 'benign');

/** Returns the offset where TLS starts in a stream (after STARTTLS text, for example), or -1. */
function findTlsStart(stream: Uint8Array, direction: number): number {
  for (let i = 0; i + 6 <= stream.length; i++) if (probeTls(stream, i, stream.length - i, direction) === 'yes') return i;
  return -1;
}

/** Returns `sni ja3` of every ClientHello in the capture's TCP flows, in flow order. */
function clientHellos(file: string): string[] {
  const out: string[] = [];
  for (const flow of readCaptureFlows(join(BENIGN, file))) {
    if (flow.ipProto !== IpProto.TCP) continue;
    const toServer = flow.streams[Direction.TO_SERVER];
    const start = findTlsStart(toServer, Direction.TO_SERVER);
    if (start < 0) continue;
    const state = new TlsState();
    state.handleData(Direction.TO_SERVER, toServer, start, toServer.length - start, 0);
    const hello = state.tx.clientHello;
    const sni = hello?.sni ? Buffer.from(hello.sni).toString('latin1') : '';
    out.push(`${sni} ${state.tx.ja3Hash ?? ''}`);
  }
  return out;
}

const EXPECTED: Record<string, string[]> = {
  'chrissanders/mail_receiver_server_3.pcapng': ['mail02.cyberdyne.local bfec402cadff3c0ba444a4724f2e407b'],
  'zeek/smtp.pcap': ['p31-keyvalueservice.icloud.com 799135475da362592a4be9199d258726'],
  'zeek/tls_chrome-34-google.pcap': ['google.de a607f3a5c94c2ee592af1456f36c8367'],
  'zeek/tls_ecdhe.pcap': [' 29d8afc9e0a4d38d138ec2643966815f'],
  'zeek/tls_google-cert-repeat.pcap': [
    ' fbe7e189e37a07ee33706f86bc746344',
    ' fbe7e189e37a07ee33706f86bc746344',
    ' fbe7e189e37a07ee33706f86bc746344',
    ' fbe7e189e37a07ee33706f86bc746344',
    'www.google.com 871a754af286dfb70c1b53c6887c62e0',
    'www.google.com 871a754af286dfb70c1b53c6887c62e0',
    'www.google.com 871a754af286dfb70c1b53c6887c62e0',
    'www.google.com 871a754af286dfb70c1b53c6887c62e0',
  ],
  'zeek/tls_ocsp-stapling.pcap': [' cc20531a832a9f80fe3a2c05b3ec1bb5'],
  // The first connection opens with an SSLv2-framed ClientHello, for which
  // tshark prints no JA3 and kapu computes none.
  'zeek/tls_ssl.v3.pcap': [' ', ' 716b10339fb8cc7be0f1e2e7187c73e8', ' 716b10339fb8cc7be0f1e2e7187c73e8'],
  'zeek/tls_tls-1.2-stream-keylog.pcap': ['www.heise.de 579ccef312d18482fc42e2b822ca2430'],
  'zeek/tls_tls-conn-with-extensions.pcap': ['ssl.gstatic.com 62351d5ea3cd4f21f697965b10a9bbbe'],
  'zeek/tls_tls13-ech.pcap': ['cloudflare-ech.com 2fcbf8655473005933c5869b2b5d8044', 'cloudflare-ech.com fa58f5ffd45a2d590a1677134966dc64'],
  'zeek/tls_tls1.2.pcap': [' bd9c99b3a0f752c3ab8b052a79e9de3e'],
  'zeek/tls_client-certificate.pcap': ['certauth.idrix.fr 579ccef312d18482fc42e2b822ca2430'],
  'zeek/tls_tls13_wolfssl.pcap': [' 39cef737bf0cabc32c28f95d09b97702'],
};

for (const [file, expected] of Object.entries(EXPECTED)) {
  test(`tls sni and ja3 ${file}`, { skip: existsSync(join(BENIGN, file)) ? false : 'corpus capture not found' }, () => {
    assert.deepEqual(clientHellos(file), expected);
  });
}
