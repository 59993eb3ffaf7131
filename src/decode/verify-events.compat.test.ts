import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCaptureFile } from '../capture/open-capture-file.js';
import { Packet } from '../core/packet.js';
import { DecodeContext, type ChecksumMode } from './context.js';
import { decodePacket } from './decode-packet.js';
import { decoderEventId } from './events.js';
import { CORPUS_DIR } from '../../test/corpus-path.js';

const CORPUS = CORPUS_DIR;
const VERIFY = join(CORPUS, 'suricata-verify');

/**
 * suricata-verify cases whose rules are `decode-event` rules alone: the
 * number of packets with the event equals the alert count that the case's
 * test.yaml expects. `stats` lists expected `stats` counters of the case.
 */
interface EventCase {
  pcap: string;
  checksumMode: ChecksumMode;
  event: string;
  packets: number;
  /** pcap_cnt of the alerting packets, when test.yaml names them. */
  pcapCounts?: number[];
  stats?: Record<string, number>;
}

const CASES: EventCase[] = [
  // test.yaml: count 39812 of alert.signature_id 2200119 (ipv6.frag_invalid_length).
  { pcap: 'ipv6-evasion/ipv6-dos-with-ext-headers-6/denial6-6.pcap', checksumMode: 'auto', event: 'ipv6.frag_invalid_length', packets: 39812 },
  // test.yaml: 1 alert of sid 2200083, and stats decoder.pkts 1, invalid 1, ipv6 1.
  {
    pcap: 'bug-7964-01/wrong-version-ipv4-ipv6.pcap',
    checksumMode: 'none',
    event: 'ipv6.ipv4_in_ipv6_wrong_version',
    packets: 1,
    stats: { 'decoder.pkts': 1, 'decoder.invalid': 1, 'decoder.ipv6': 1, 'decoder.event.ipv6.ipv4_in_ipv6_wrong_version': 1 },
  },
  // test.yaml: alert 2200005 (ipv4.opt_invalid_len) and anomaly
  // decoder.ipv4.opt_pad_required at pcap_cnt 3; stats decoder.invalid 1.
  // The anomaly check counts 2 opt_invalid_len records: the packet has
  // two security options with bad lengths.
  {
    pcap: 'bug-7414-decoder-event-01/ip_secopt.pcap',
    checksumMode: 'auto',
    event: 'ipv4.opt_invalid_len',
    packets: 1,
    pcapCounts: [3],
    stats: { 'decoder.invalid': 1, 'decoder.event.ipv4.opt_invalid_len': 2 },
  },
  { pcap: 'bug-7414-decoder-event-01/ip_secopt.pcap', checksumMode: 'auto', event: 'ipv4.opt_pad_required', packets: 1, pcapCounts: [3] },
  // test.yaml: sid 1 (tcp.pkt_too_small) once for IPv4 and once for IPv6,
  // sid 2 (udp.hlen_too_small) twice each, sid 3 (gre.pkt_too_small) once each.
  { pcap: 'decode-too-small/test.pcap', checksumMode: 'auto', event: 'tcp.pkt_too_small', packets: 2 },
  { pcap: 'decode-too-small/test.pcap', checksumMode: 'auto', event: 'udp.hlen_too_small', packets: 4 },
  { pcap: 'decode-too-small/test.pcap', checksumMode: 'auto', event: 'gre.pkt_too_small', packets: 2 },
  // test.yaml: 1 alert of sid 2239001 (sctp.pkt_too_small) at pcap_cnt 1.
  { pcap: 'sctp-pkt-too-small/input.pcap', checksumMode: 'none', event: 'sctp.pkt_too_small', packets: 1, pcapCounts: [1] },
  // test.yaml: no alert of sid 2200036 (tcp.opt_invalid_len); the capture has an empty SACK option.
  { pcap: 'tcp-empty-sack/tcp-opt.pcap', checksumMode: 'auto', event: 'tcp.opt_invalid_len', packets: 0 },
  { pcap: 'tcp-fastopen-09/tcp-opt-invalid-warning.pcap', checksumMode: 'auto', event: 'tcp.opt_invalid_len', packets: 0 },
  // test.yaml: stats decoder.sll2 159, decoder.tcp 159, decoder.ipv4 159.
  {
    pcap: 'decode-sll2-02/input.pcap',
    checksumMode: 'none',
    event: 'sll.pkt_too_small',
    packets: 0,
    stats: { 'decoder.sll2': 159, 'decoder.tcp': 159, 'decoder.ipv4': 159 },
  },
  // test.yaml: stats decoder.ethernet 1, nsh 1, ipv4 1, udp 1 (NSH with MD type 1, then type 2).
  {
    pcap: 'decode-nsh-type1/input.pcap',
    checksumMode: 'none',
    event: 'ipv4.trunc_pkt',
    packets: 0,
    stats: { 'decoder.ethernet': 1, 'decoder.nsh': 1, 'decoder.ipv4': 1, 'decoder.udp': 1, 'decoder.invalid': 0 },
  },
  {
    pcap: 'decode-nsh-type2/input.pcap',
    checksumMode: 'none',
    event: 'ipv4.trunc_pkt',
    packets: 0,
    stats: { 'decoder.ethernet': 1, 'decoder.nsh': 1, 'decoder.ipv4': 1, 'decoder.udp': 1, 'decoder.invalid': 0 },
  },
  // test.yaml: stats decoder.ipv4 17, decoder.chdlc 17.
  { pcap: 'decode-chdlc-01/hdlc-http_1tx.pcap', checksumMode: 'auto', event: 'chdlc.pkt_too_small', packets: 0, stats: { 'decoder.ipv4': 17, 'decoder.chdlc': 17 } },
  // test.yaml: stats decoder.pkts 60, decoder.bytes 26866, decoder.invalid 0.
  { pcap: 'bug-3616-smtp/input.pcap', checksumMode: 'auto', event: 'tcp.opt_invalid_len', packets: 0, stats: { 'decoder.pkts': 60, 'decoder.bytes': 26866, 'decoder.invalid': 0 } },
  // test.yaml: stats decoder.ipv6_in_ipv4 1.
  { pcap: 'bug-4571-04/ipv6_over_ipv4.pcap', checksumMode: 'none', event: 'ipv6.trunc_pkt', packets: 0, stats: { 'decoder.ipv6_in_ipv4': 1 } },
];

for (const c of CASES) {
  const path = join(VERIFY, c.pcap);
  test(`verify ${c.pcap} ${c.event}`, { skip: existsSync(path) ? false : `${path} not found` }, () => {
    const id = decoderEventId(c.event);
    assert.notEqual(id, 0, c.event);
    const reader = openCaptureFile(path);
    const ctx = new DecodeContext(c.checksumMode);
    const p = new Packet();
    const pcapCounts: number[] = [];
    while (reader.next(p)) {
      decodePacket(p, ctx);
      if (p.hasEvent(id)) pcapCounts.push(p.pcapCount);
    }
    reader.close();

    assert.equal(pcapCounts.length, c.packets);
    if (c.pcapCounts !== undefined) assert.deepEqual(pcapCounts, c.pcapCounts);
    for (const [name, value] of Object.entries(c.stats ?? {})) assert.equal(ctx.stat(name), value, name);
  });
}
