/**
 * TLS and SSH cases of the public suricata-verify suite in the shared
 * corpus, run through TlsState and SshState without the rest of the
 * engine. Each test checks what the case's test.yaml expects from Suricata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Direction, IpProto } from '../../core/packet.js';
import { findCorpus, readCaptureFlows } from '../dns/test-support.js';
import { buildSshEve } from '../ssh/eve.js';
import { SshState } from '../ssh/state.js';
import { parseUintValue } from '../../detect/keywords/uint-value.js';
import { getTlsBuffer, TlsBuffer, TlsCertChainLenMatch } from './detect.js';
import { buildTlsEve } from './eve.js';
import { TlsState } from './state.js';

const VERIFY = join(findCorpus() ?? 'corpus-not-found', 'suricata-verify');
const skipUnless = (path: string): { skip: string | false } => ({ skip: existsSync(join(VERIFY, path)) ? false : 'suricata-verify case not found' });

/** Runs every TCP flow of a capture through a new state of the given kind. */
function runTcp<T extends { handleData(d: number, b: Uint8Array, s: number, l: number, t: number): void }>(path: string, create: () => T): T[] {
  const states: T[] = [];
  for (const flow of readCaptureFlows(join(VERIFY, path))) {
    if (flow.ipProto !== IpProto.TCP) continue;
    const state = create();
    for (const d of [Direction.TO_SERVER, Direction.TO_CLIENT]) state.handleData(d, flow.streams[d], 0, flow.streams[d].length, 0);
    states.push(state);
  }
  return states;
}

test('verify tls-cert-issuer subject serial validity', skipUnless('tls/tls-cert-issuer/tls.pcap'), () => {
  // tls-cert-issuer, tls-subject, tls-issuerdn and tls-cert-validity: four
  // tls events with these fields, and one resumed session.
  const events = runTcp('tls/tls-cert-issuer/tls.pcap', () => new TlsState()).map((s) => JSON.parse(buildTlsEve(s.tx)));
  const withCert = events.filter((e) => e.serial !== undefined);
  assert.equal(withCert.length, 4);
  for (const e of withCert) {
    assert.equal(e.serial, '00:97:E6:47:09:8E:EA:C9:B4');
    assert.equal(e.issuerdn, 'C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS');
    assert.equal(e.subject, 'C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS');
    assert.equal(e.notbefore, '2015-02-12T18:07:27');
    assert.equal(e.notafter, '2025-02-09T18:07:27');
  }
  assert.equal(events.filter((e) => e.session_resumed === true).length, 1);
});

test('verify tls-fingerprint-alert', skipUnless('tls/tls-fingerprint-alert/input.pcap'), () => {
  const [state] = runTcp('tls/tls-fingerprint-alert/input.pcap', () => new TlsState());
  const fingerprint = getTlsBuffer(state.tx, TlsBuffer.CERT_FINGERPRINT, Direction.TO_CLIENT);
  assert.equal(Buffer.from(fingerprint!).toString('latin1'), '90:86:a4:3b:f5:cf:1b:2e:4e:f7:97:96:f9:de:ba:b9:66:35:86:3f');
});

test('verify tls-client-hello-frag-01', skipUnless('tls/tls-client-hello-frag-01/dump_mtu300.pcap'), () => {
  // The ClientHello spans several small TCP segments.
  const [state] = runTcp('tls/tls-client-hello-frag-01/dump_mtu300.pcap', () => new TlsState());
  assert.equal(JSON.parse(buildTlsEve(state.tx)).sni, 'www.google.com');
});

test('verify tls-random', skipUnless('tls/tls-random/input.pcap'), () => {
  const [state] = runTcp('tls/tls-random/input.pcap', () => new TlsState());
  const hex = (b: Uint8Array | null): string => Buffer.from(b!).toString('hex');
  assert.equal(hex(getTlsBuffer(state.tx, TlsBuffer.RANDOM, Direction.TO_SERVER)), '942d1fef575d770207c29dbe2401ccf05dcde1d2a5869c4a3eee38db551ad9bc');
  assert.equal(hex(getTlsBuffer(state.tx, TlsBuffer.RANDOM_TIME, Direction.TO_CLIENT)), '54f9fc15');
  assert.equal(hex(getTlsBuffer(state.tx, TlsBuffer.RANDOM_BYTES, Direction.TO_CLIENT)), '77e433d32da82e9d38897d5a2628bfb09851dad9bd03f8afa209a4f0');
});

test('verify ssh-banner-only', skipUnless('ssh-banner-only/input.pcap'), () => {
  // The capture also contains an HTTPS flow; the SSH flow is the one with banners.
  const states = runTcp('ssh-banner-only/input.pcap', () => new SshState()).filter((s) => s.tx.client !== null);
  assert.equal(states.length, 1);
  assert.deepEqual(JSON.parse(buildSshEve(states[0].tx)), {
    client: { proto_version: '2.0', software_version: 'OpenSSH_for_Windows_7.7' },
    server: { proto_version: '2.0', software_version: 'OpenSSH_7.4' },
  });
});

test('verify ssh-hassh-only', skipUnless('ssh-hassh-only/input.pcap'), () => {
  const states = runTcp('ssh-hassh-only/input.pcap', () => new SshState()).filter((s) => s.tx.client !== null);
  const eve = JSON.parse(buildSshEve(states[0].tx, true));
  assert.equal(eve.client.hassh.hash, '2dd6531c7e89d3c925db9214711be76a');
  assert.equal(eve.server.hassh.hash, '6832f1ce43d4397c2c0a3e2f8c94334e');
  // The rules match these substrings of the HASSH strings.
  assert.ok(eve.client.hassh.string.includes('umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com'));
  assert.ok(eve.server.hassh.string.includes('none,zlib@openssh.com'));
});

test('verify tls-cert-chain-len', skipUnless('tls/tls-certs-alert/input.pcap'), () => {
  // Each of the five rules (3, <4, >0, 0<>4, !2) alerts once on this chain.
  const [state] = runTcp('tls/tls-certs-alert/input.pcap', () => new TlsState());
  for (const value of ['3', '<4', '>0', '0<>4', '!2']) {
    const parsed = parseUintValue(value, 4294967295);
    assert.ok(typeof parsed !== 'string');
    assert.equal(new TlsCertChainLenMatch(parsed).matchTx(state.tx, Direction.TO_CLIENT), true, value);
  }
  assert.equal(state.tx.serverCertificates.length, 3);
});
