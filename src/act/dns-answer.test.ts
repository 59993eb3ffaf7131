import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LinkType } from '../core/packet.js';
import { decodeBytes } from '../decode/test-support.js';
import { writePcap } from '../test-support/packet-craft.js';
import { buildDnsAnswer, DnsRcode, MAX_DNS_ANSWER_BYTES } from './dns-answer.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-dns-answer-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Query: ID 0x1234, flags 0x0100 (RD), QDCOUNT 1, "ads.example" type A (1), class IN.
const QUESTION = '03616473' + '076578616d706c65' + '00' + '0001' + '0001';
const QUERY = '1234' + '0100' + '0001' + '0000' + '0000' + '0000' + QUESTION;

/** Ethernet + IPv4 (198.51.100.10 -> 203.0.113.53) + UDP 40000 -> 53 carrying `dnsHex`. */
function queryFrame(dnsHex: string): Uint8Array {
  const dns = Buffer.from(dnsHex, 'hex');
  const ipLength = 20 + 8 + dns.length;
  const frame = Buffer.alloc(14 + ipLength);
  Buffer.from('020000000002020000000001' + '0800', 'hex').copy(frame, 0);
  Buffer.from('4500' + ipLength.toString(16).padStart(4, '0') + '00014000' + '4011' + '0000' + 'c633640a' + 'cb007135', 'hex').copy(frame, 14);
  Buffer.from('9c400035' + (8 + dns.length).toString(16).padStart(4, '0') + '0000', 'hex').copy(frame, 34);
  dns.copy(frame, 42);
  return new Uint8Array(frame);
}

/** One's complement sum of 16-bit words, folded; 0xffff for bytes whose checksum is right. */
function onesSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += ((bytes[i] ?? 0) << 8) | (i + 1 < end ? (bytes[i + 1] ?? 0) : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function answerOf(rcode: number, qtype: number, sinkhole: Uint8Array | null): Uint8Array {
  const { p } = decodeBytes(queryFrame(QUERY), LinkType.ETHERNET, 'none');
  const out = new Uint8Array(MAX_DNS_ANSWER_BYTES);
  const length = buildDnsAnswer(p, 12 + QUESTION.length / 2, rcode, qtype, sinkhole, out);
  return out.subarray(0, length);
}

describe('dns block answer', () => {
  it('nxdomain bytes', () => {
    const answer = answerOf(DnsRcode.NXDOMAIN, 1, null);
    // IPv4 header back to the client, UDP 53 -> 40000, then the DNS message:
    // 0x8183 = QR, RD, RA and rcode 3 (RFC 1035 section 4.1.1); counts 1, 0, 0, 0.
    assert.equal(Buffer.from(answer.subarray(20 + 8)).toString('hex'), '1234' + '8183' + '0001' + '0000' + '0000' + '0000' + QUESTION);
    assert.equal(Buffer.from(answer.subarray(12, 20)).toString('hex'), 'cb007135' + 'c633640a');
    assert.equal(Buffer.from(answer.subarray(20, 24)).toString('hex'), '00359c40');
    assert.equal(onesSum(answer, 0, 20), 0xffff);
  });

  it('sinkhole a record bytes', () => {
    const answer = answerOf(DnsRcode.NOERROR, 1, new Uint8Array([198, 51, 100, 250]));
    // One answer: pointer c00c to the name, type A, class IN, TTL 60, length 4, 198.51.100.250.
    assert.equal(Buffer.from(answer.subarray(28)).toString('hex'),
      '1234' + '8180' + '0001' + '0001' + '0000' + '0000' + QUESTION + 'c00c' + '0001' + '0001' + '0000003c' + '0004' + 'c63364fa');
    // UDP checksum over the pseudo-header: addresses, protocol 17 and the UDP length.
    const udpLength = answer.length - 20;
    assert.equal(onesSum(answer, 20, answer.length, onesSum(answer, 12, 20) + 17 + udpLength), 0xffff);
  });

  it('aaaa question with only an ipv4 sinkhole', () => {
    const answer = answerOf(DnsRcode.NOERROR, 28, new Uint8Array([198, 51, 100, 250]));
    // NOERROR with no answer records: the name has no AAAA data.
    assert.equal(Buffer.from(answer.subarray(28, 40)).toString('hex'), '123481800001000000000000');
  });

  it('tshark decodes the answers', (t) => {
    try {
      execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    } catch {
      t.skip('tshark is not installed');
      return;
    }
    const ethernet = Buffer.from('020000000001020000000002' + '0800', 'hex');
    const frames = [answerOf(DnsRcode.NXDOMAIN, 1, null), answerOf(DnsRcode.NOERROR, 1, new Uint8Array([198, 51, 100, 250]))]
      .map((a) => new Uint8Array(Buffer.concat([ethernet, a])));
    const path = join(scratch, 'dns-answers.pcap');
    writePcap(path, frames);
    const fields = execFileSync('tshark', ['-r', path, '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields',
      '-e', 'dns.id', '-e', 'dns.flags.response', '-e', 'dns.flags.rcode', '-e', 'dns.qry.name', '-e', 'dns.a', '-e', 'dns.resp.ttl', '-e', 'udp.checksum.status', '-e', 'ip.checksum.status'], { encoding: 'utf8' });
    const rows = fields.trim().split('\n').map((line) => line.split('\t'));
    // The checksum status 1 is Wireshark's "good" (the checks are on by the -o options).
    assert.deepEqual(rows[0]?.slice(2), ['3', 'ads.example', '', '', '1', '1']);
    assert.equal(rows[0]?.[0], '0x1234');
    assert.match(rows[0]?.[1] ?? '', /^(1|True)$/);
    assert.deepEqual(rows[1]?.slice(2), ['0', 'ads.example', '198.51.100.250', '60', '1', '1']);
  });
});
