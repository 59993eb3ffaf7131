// The blocklist stage end to end: crafted captures of DNS queries, an
// HTTP request, a TLS ClientHello and a connection to a listed address
// run through `kapu run -r` in IPS mode, and the EVE alerts and drops
// are checked. A second run feeds the same frames to a pipeline with a
// recording sender to see the DNS answers it sends.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LinkType, Packet } from '../core/packet.js';
import type { RejectSender } from '../act/reject-sender.js';
import { runCapture } from '../cli/run.js';
import { TcpConversation, TcpFlag, tcpFrame, writePcap } from '../test-support/packet-craft.js';
import { loadRunEngine, RunPipeline, type RunPipelineOptions } from './run-pipeline.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-site-block-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type EveEvent = Record<string, unknown> & { event_type: string };

const CONFIG = `%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "[198.51.100.0/24]"
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - drop:
            flows: all
policy:
  blocklists:
    - { id: 1001, name: ads, kind: domain, path: ads.txt, action: nxdomain }
    - { id: 1002, name: sink, kind: domain, format: hosts, path: sink.hosts, action: sinkhole, sinkhole: [198.51.100.250, "2001:db8::250"] }
    - { id: 1003, name: bad-ips, kind: ip, path: ips.txt }
    - { id: 1004, name: tracking, kind: url, path: urls.txt }
`;

/** Returns a DNS query for `name` with type `qtype`, ID `id` and RD set. */
function dnsQuery(id: number, name: string, qtype: number): Uint8Array {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return new Uint8Array(Buffer.concat([header, ...labels, Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1])]));
}

/** Ethernet/IPv4/UDP frame with a zero UDP checksum, which IPv4 allows (RFC 768). */
function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const ipLength = 20 + 8 + payload.length;
  const frame = new Uint8Array(14 + ipLength);
  frame.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00], 0);
  const ip = frame.subarray(14);
  ip.set([0x45, 0, ipLength >> 8, ipLength & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0]);
  ip.set(src.split('.').map(Number), 12);
  ip.set(dst.split('.').map(Number), 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ((ip[i] as number) << 8) | (ip[i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip[10] = (~sum >> 8) & 0xff;
  ip[11] = ~sum & 0xff;
  const udpLength = 8 + payload.length;
  ip.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, udpLength >> 8, udpLength & 0xff, 0, 0], 20);
  ip.set(payload, 28);
  return frame;
}

/** Returns a TLS 1.2 ClientHello record with one cipher suite and the SNI extension for `host` (RFC 8446 4.1.2, RFC 6066 3). */
function clientHello(host: string): Uint8Array {
  const name = Buffer.from(host, 'latin1');
  const sni = Buffer.concat([Buffer.from([0x00, 0x00]), u16(name.length + 5), u16(name.length + 3), Buffer.from([0x00]), u16(name.length), name]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]), Buffer.alloc(32, 7), Buffer.from([0x00]),
    u16(2), Buffer.from([0x13, 0x01]), Buffer.from([0x01, 0x00]),
    u16(sni.length), sni,
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01, 0, body.length >> 8, body.length & 0xff]), body]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u16(handshake.length), handshake]));
}

function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}

const CLIENT = '198.51.100.10';
const RESOLVER = '203.0.113.53';

/**
 * Returns the frames of the capture. With `acked`, the server acknowledges each
 * request, which IDS mode waits for before the app layer parses it.
 */
function captureFrames(acked = false): Uint8Array[] {
  const frames: Uint8Array[] = [];
  frames.push(udpFrame(CLIENT, RESOLVER, 40001, 53, dnsQuery(0x1111, 'www.Ads.Example', 1))); // 1: blocked, nxdomain
  frames.push(udpFrame(CLIENT, RESOLVER, 40002, 53, dnsQuery(0x2222, 'docs.example', 1))); // 2: passes
  frames.push(udpFrame(CLIENT, RESOLVER, 40003, 53, dnsQuery(0x3333, 'malware.example', 28))); // 3: sinkhole AAAA
  const http = new TcpConversation(CLIENT, '203.0.113.80', 41000, 80).handshake();
  const httpRequest = 'GET / HTTP/1.1\r\nHost: ads.example\r\n\r\n';
  http.clientData(0, httpRequest); // 7: blocked by Host
  if (acked) http.serverAck(httpRequest.length);
  frames.push(...http.frames);
  const tls = new TcpConversation(CLIENT, '203.0.113.43', 41001, 443).handshake();
  const hello = clientHello('cdn.ads.example');
  tls.clientData(0, hello); // 11: blocked by SNI
  if (acked) tls.serverAck(hello.length);
  frames.push(...tls.frames);
  frames.push(tcpFrame({ src: CLIENT, dst: '203.0.113.66', sport: 41002, dport: 8080, seq: 1, ack: 0, flags: TcpFlag.SYN })); // 12: listed address
  const track = new TcpConversation(CLIENT, '203.0.113.81', 41003, 80).handshake();
  const trackRequest = 'GET /track/pixel.gif HTTP/1.1\r\nHost: news.example\r\n\r\n';
  track.clientData(0, trackRequest); // 16: blocked by URL
  if (acked) track.serverAck(trackRequest.length);
  frames.push(...track.frames);
  const ok = new TcpConversation(CLIENT, '203.0.113.82', 41004, 80).handshake();
  ok.clientData(0, 'GET /world/ HTTP/1.1\r\nHost: news.example\r\n\r\n'); // 20: passes
  frames.push(...ok.frames);
  const query = dnsQuery(0x4444, 'ads.example', 1);
  const tcpDns = new TcpConversation(CLIENT, RESOLVER, 41005, 53).handshake();
  tcpDns.clientData(0, new Uint8Array(Buffer.concat([u16(query.length), query]))); // 24: DNS over TCP, flow dropped
  if (acked) tcpDns.serverAck(query.length + 2);
  frames.push(...tcpDns.frames);
  return frames;
}

let dir = '';
let configPath = '';

before(() => {
  dir = join(scratch, 'case');
  mkdirSync(dir);
  configPath = join(dir, 'kapu.yaml');
  writeFileSync(configPath, CONFIG);
  writeFileSync(join(dir, 'ads.txt'), '# ad servers\nads.example\n');
  writeFileSync(join(dir, 'sink.hosts'), '127.0.0.1 localhost\n0.0.0.0 malware.example\n');
  writeFileSync(join(dir, 'ips.txt'), '203.0.113.66\n');
  writeFileSync(join(dir, 'urls.txt'), 'http://news.example/track/\n');
  writeFileSync(join(dir, 'empty.rules'), '');
  writePcap(join(dir, 'sites.pcap'), captureFrames());
  writePcap(join(dir, 'sites-acked.pcap'), captureFrames(true));
});

function options(logDir: string): RunPipelineOptions {
  return { configPath, ruleFiles: [join(dir, 'empty.rules')], extraRuleFiles: [], logDir, checksumMode: 'none', sets: [], mode: 'ips', env: {}, quiet: true };
}

describe('blocklist pipeline', () => {
  it('alerts and drops from a capture', async () => {
    const logDir = join(scratch, 'log-r');
    await runCapture({ ...options(logDir), pcapPath: join(dir, 'sites.pcap') });
    const events = readFileSync(join(logDir, 'eve.json'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as EveEvent);
    const alerts = events.filter((e) => e.event_type === 'alert');
    const summary = alerts.map((e) => {
      const alert = e['alert'] as Record<string, unknown>;
      const kapu = e['kapu'] as Record<string, unknown>;
      return [e['pcap_cnt'], alert['gid'], alert['signature_id'], alert['action'], kapu['list'], kapu['kind'], kapu['entry'], kapu['matched'], kapu['protocol']];
    });
    assert.deepEqual(summary, [
      [1, 8100, 1001, 'blocked', 'ads', 'domain', 'ads.example', 'www.ads.example', 'dns'],
      [3, 8100, 1002, 'blocked', 'sink', 'domain', 'malware.example', 'malware.example', 'dns'],
      [7, 8100, 1001, 'blocked', 'ads', 'domain', 'ads.example', 'ads.example/', 'http'],
      [11, 8100, 1001, 'blocked', 'ads', 'domain', 'ads.example', 'cdn.ads.example', 'tls'],
      [12, 8100, 1003, 'blocked', 'bad-ips', 'ip', '203.0.113.66', '203.0.113.66', 'address'],
      [16, 8100, 1004, 'blocked', 'tracking', 'url', 'http://news.example/track/', 'news.example/track/pixel.gif', 'http'],
      [24, 8100, 1001, 'blocked', 'ads', 'domain', 'ads.example', 'ads.example', 'dns'],
    ]);
    const dropped = events.filter((e) => e.event_type === 'drop').map((e) => e['pcap_cnt']);
    assert.deepEqual(dropped, [1, 3, 7, 11, 12, 16, 24]);
    const actions = alerts.map((e) => (e['kapu'] as Record<string, unknown>)['action']);
    assert.deepEqual(actions, ['nxdomain', 'sinkhole', 'drop', 'drop', 'drop', 'drop', 'drop']);
    const tlsAlert = alerts[3] as EveEvent;
    assert.equal((tlsAlert['tls'] as Record<string, unknown> | undefined)?.['sni'], 'cdn.ads.example');
  });

  it('ids mode only alerts', async () => {
    const logDir = join(scratch, 'log-ids');
    await runCapture({ ...options(logDir), mode: 'ids', pcapPath: join(dir, 'sites-acked.pcap') });
    const events = readFileSync(join(logDir, 'eve.json'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as EveEvent);
    const alerts = events.filter((e) => e.event_type === 'alert').map((e) => [e['pcap_cnt'], (e['alert'] as Record<string, unknown>)['action']]);
    // The HTTP and TLS alerts come with the server's ACK (frames 8, 13 and 19), because IDS mode parses acknowledged data.
    // The DNS over TCP query (frame 28) is parsed as it arrives.
    assert.deepEqual(alerts, [[1, 'allowed'], [3, 'allowed'], [8, 'allowed'], [13, 'allowed'], [14, 'allowed'], [19, 'allowed'], [28, 'allowed']]);
    assert.equal(events.filter((e) => e.event_type === 'drop').length, 0);
  });

  it('answers blocked queries through the sender', async () => {
    const packets: string[] = [];
    const sender: RejectSender = {
      send(packet: Uint8Array, length: number): number {
        packets.push(Buffer.from(packet.subarray(0, length)).toString('hex'));
        return 0;
      },
      close(): void {},
    };
    const opts = options(join(scratch, 'log-q'));
    const run = new RunPipeline(loadRunEngine(opts), opts, sender);
    const outcomes = await run.loadBlocklists();
    assert.deepEqual(outcomes.map((o) => [o.id, o.status, o.entries]), [[1001, 'loaded', 1], [1002, 'loaded', 1], [1003, 'loaded', 1], [1004, 'loaded', 1]]);
    const frames = captureFrames();
    for (let i = 0; i < 3; i++) {
      const p = new Packet();
      const frame = frames[i] as Uint8Array;
      p.reset(frame, i, frame.length, LinkType.ETHERNET, i + 1);
      run.pipeline.processPacket(p);
      assert.equal(p.isDropped, i !== 1, `frame ${i + 1}`);
    }
    run.close();
    assert.equal(packets.length, 2);
    // Frame 1: IPv4 from the resolver back to the client, DNS ID 0x1111, flags 0x8183 (NXDOMAIN).
    const first = packets[0] as string;
    assert.equal(first.slice(24, 40), 'cb007135c633640a');
    assert.equal(first.slice(56, 64), '11118183');
    // Frame 3: AAAA question answered with 2001:db8::250, TTL 60.
    const second = packets[1] as string;
    assert.equal(second.slice(56, 72), '3333818000010001');
    assert.ok(second.endsWith('001c00010000003c0010' + '20010db8000000000000000000000250'), second);
    const stats = run.collectStats();
    assert.equal(stats.get('policy.blocklist.dns_answers_sent'), 2);
    assert.equal(stats.get('policy.blocklist.dns_blocked'), 2);
  });

  it('failed list keeps previous version', async () => {
    const opts = options(join(scratch, 'log-reload'));
    const run = new RunPipeline(loadRunEngine(opts), opts);
    await run.loadBlocklists();
    writeFileSync(join(dir, 'ads.txt'), 'ads.example\nnot a domain\n');
    const outcomes = await run.loadBlocklists();
    run.close();
    writeFileSync(join(dir, 'ads.txt'), '# ad servers\nads.example\n');
    const ads = outcomes[0];
    assert.equal(ads?.status, 'kept');
    assert.equal(ads?.entries, 1);
    assert.match(ads?.reason ?? '', /ads\.txt:2: 'not a domain' has 3 fields/);
    const blocker = run.siteBlocker;
    assert.ok(blocker !== null);
    const name = Buffer.from('ads.example');
    assert.ok(blocker.loadName(name, 0, name.length));
    assert.notEqual(blocker.matchName('dns'), null);
  });
});
