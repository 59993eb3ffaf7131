/**
 * DNS query names from the benign corpus captures, compared with what
 * tshark prints for the same captures:
 *
 *   tshark -r FILE -Y dns.flags.response==0 -T fields -e dns.qry.name
 *
 * tshark prints one line per request with the names of its queries joined
 * by commas; the lists below are those lines split and flattened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IpProto } from '../../core/packet.js';
import { DnsState } from './state.js';
import { findCorpus, readCaptureFlows } from './test-support.js';

const BENIGN = join(findCorpus() ?? 'corpus-not-found', 'pcaps', 'benign');

/** UDP and TCP ports that carry DNS messages: DNS, mDNS (RFC 6762) and LLMNR (RFC 4795). */
const DNS_PORTS = new Set([53, 5353, 5355]);

/** Returns the query names of every request (QR bit clear), in capture order per flow. */
function requestNames(file: string): string[] {
  const names: { frame: number; name: string }[] = [];
  for (const flow of readCaptureFlows(join(BENIGN, file))) {
    if (!DNS_PORTS.has(flow.serverPort)) continue;
    if (flow.ipProto === IpProto.UDP) {
      for (const d of flow.datagrams) {
        const state = new DnsState(false);
        state.handleData(d.direction, d.bytes, 0, d.bytes.length, 0);
        for (const tx of state.transactions) {
          if (tx.message === null || tx.isResponse) continue;
          for (const n of tx.queryNames) names.push({ frame: d.frame, name: Buffer.from(n).toString('latin1') });
        }
      }
      continue;
    }
    const state = new DnsState(true);
    for (const d of [0, 1]) state.handleData(d, flow.streams[d], 0, flow.streams[d].length, 0);
    for (const tx of state.transactions) {
      if (tx.message === null || tx.isResponse) continue;
      for (const n of tx.queryNames) names.push({ frame: Number.MAX_SAFE_INTEGER, name: Buffer.from(n).toString('latin1') });
    }
  }
  names.sort((a, b) => a.frame - b.frame);
  return names.map((n) => n.name);
}

const MDNS_V6 = '4.c.d.4.1.e.e.f.f.f.6.d.c.3.8.8.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa';
const MDNS_V6_B = 'f.2.8.f.3.6.5.1.6.c.b.5.8.6.9.5.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa';
const MDNS_HOST = 'johanna-QEMU-Virtual-Machine.local';
const IPP = ['_ipp._tcp.local', '_ipps._tcp.local'];

/** tshark's printed query names per capture, flattened. */
const EXPECTED: Record<string, string[]> = {
  'chrissanders/dns_axfr.pcapng': ['contoso.local'],
  'chrissanders/dns_query_nonexistent.pcapng': ['12498283719301382971974.net'],
  'chrissanders/dns_reverse_lookup.pcapng': ['25.206.119.75.in-addr.arpa'],
  'chrissanders/dns_tcp.pcapng': ['ripe.net', 'ripe.net'],
  'chrissanders/dns_recursivequery_server.pcapng': ['www.nostarch.com', 'www.nostarch.com'],
  'ppa-book/dns.cap': [
    'chrissanders.org',
    'www.google-analytics.com',
    'pagead2.googlesyndication.com',
    'www.expoactive.com',
    'wireshark.org',
    'www.winpcap.org',
    'www.google.com',
  ],
  'zeek/dns-edns-cookie.pcap': ['wikipedia.org', 'wikipedia.org'],
  'zeek/dns-txt-multiple.pcap': ['flkr._domainkey.flickr.com'],
  'zeek/dns_mdns.pcap': [
    ...IPP,
    ...IPP,
    ...IPP,
    ...IPP,
    MDNS_V6, MDNS_HOST, MDNS_V6_B,
    MDNS_V6, MDNS_HOST, '7.2.0.10.in-addr.arpa', MDNS_V6_B,
    MDNS_V6, MDNS_HOST, MDNS_V6_B,
    MDNS_V6, MDNS_HOST, '7.2.0.10.in-addr.arpa', MDNS_V6_B,
    MDNS_V6, MDNS_HOST, MDNS_V6_B,
    MDNS_V6, MDNS_HOST, '7.2.0.10.in-addr.arpa', MDNS_V6_B,
    ...IPP,
    ...IPP,
  ],
  'zeek/dnssec_rrsig.pcap': ['virgo.SAS.upenn.edu', 'virgo.SAS.upenn.edu', 'virgo.SAS.upenn.edu', 'workfamily.sas.upenn.edu'],
  'zeek/ticks-dns.pcap': [
    'pXIqopbiiD.de', 'OusJkAFwCv.de', 'KtspjqShuI.de', 'fJsYKLyyii.de', 'ltXjjBJOwB.de',
    'leGtvRRkKa.de', 'OYiMwphBAb.de', 'gWXTakToTf.de', 'AhsnADImtF.de', 'zYgiCgNQWK.de',
  ],
  'zeek/wikipedia.pcap': [
    'gemini._sftp-ssh._tcp.local',
    'upload.wikimedia.org', 'upload.wikimedia.org.ncsa.uiuc.edu', 'upload.wikimedia.org', 'upload.wikimedia.org',
    'upload.wikimedia.org.ncsa.uiuc.edu', 'upload.wikimedia.org', 'upload.wikimedia.org', 'upload.wikimedia.org.ncsa.uiuc.edu',
    'upload.wikimedia.org', 'upload.wikimedia.org', 'upload.wikimedia.org.ncsa.uiuc.edu', 'upload.wikimedia.org',
    'meta.wikimedia.org', 'meta.wikimedia.org',
    'gomez._sftp-ssh._tcp.local',
    'BRWC0CB383D1F42', 'BRWC0CB383D1F42', 'BRWC0CB383D1F42', 'BRWC0CB383D1F42',
    'BRWC0CB383D1F42', 'BRWC0CB383D1F42', 'BRWC0CB383D1F42', 'BRWC0CB383D1F42',
  ],
};

for (const [file, expected] of Object.entries(EXPECTED)) {
  test(`dns query names ${file}`, { skip: existsSync(join(BENIGN, file)) ? false : 'corpus capture not found' }, () => {
    assert.deepEqual(requestNames(file), expected);
  });
}
