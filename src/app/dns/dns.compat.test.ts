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
  'zeek/dnssec_rrsig.pcap': [
    'virgo.SAS.upenn.edu', 'virgo.SAS.upenn.edu', 'virgo.SAS.upenn.edu', 'workfamily.sas.upenn.edu',
  ],
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
  'chrissanders/dns_query_response.pcapng': ['wireshark.org'],
  'chrissanders/dns_recursivequery_client.pcapng': ['www.nostarch.com'],
  'chrissanders/udp_dnsrequest.pcapng': ['wireshark.org'],
  'chrissanders/http_espn.pcapng': [
    'www.espn.com', 'espn.go.com', 'a.espncdn.com', 'a1.espncdn.com', 'a2.espncdn.com',
    'www.masters.com', 'adsatt.espn.go.com', 'log.go.com', 'assets.espn.go.com',
    'content.dl-rms.com', 'broadband.espn.go.com', 'w88.go.com', 'streak.espn.go.com',
    'games-ak.espn.go.com',
  ],
  'ppa-book/http.cap': ['pagead2.googlesyndication.com'],
  'zeek/dce-rpc_mapi.pcap': [
    '3.0.168.192.in-addr.arpa', '3.0.168.192.in-addr.arpa', '3.0.168.192.in-addr.arpa',
    '3.0.168.192.in-addr.arpa', '3.0.168.192.in-addr.arpa', '3.0.168.192.in-addr.arpa',
    '3.0.168.192.in-addr.arpa',
  ],
  'zeek/dnssec_nsec3.pcap': ['foobar.sshfp.net'],
  'zeek/modbus_modbusSmall.pcap': ['mail.google.com', 'mail.google.com', 'videosearch.ubuntu.com'],
  'zeek/smtp.pcap': ['mail.patriots.in'],
  // Two of tshark's four lines are ICMP errors that quote the query, which
  // are not DNS traffic; -Y 'dns.flags.response==0 && !icmp' prints two.
  'zeek/tunnels_gre-sample.pcap': ['www.gleeble.org', 'www.gleeble.org'],
  'zeek/var-services-std-ports.pcap': [
    '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa',
    '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa',
    '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa',
    '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa',
    '1.238.16.172.in-addr.arpa', '1.238.16.172.in-addr.arpa', 'ssl.gstatic.com', 'video.google.com',
    'maps.google.com', 'news.google.com', 'mail.google.com', 'translate.google.com',
    'books.google.com', 'scholar.google.com', 'blogsearch.google.com', 'www.youtube.com',
    'picasaweb.google.com', 'docs.google.com', 'sites.google.com', 'groups.google.com',
    'osage.localdomain', 'osage.localdomain', 'osage.localdomain', '39.192.142.141.in-addr.arpa',
    '39.192.142.141.in-addr.arpa', 'osage.localdomain', '39.192.142.141.in-addr.arpa',
    '39.192.142.141.in-addr.arpa', 'osage.localdomain', '39.192.142.141.in-addr.arpa',
    '39.192.142.141.in-addr.arpa',
  ],
  'zeek/ipv6-fragmented-dns.pcap': [
    'txtpadding_323.n1.netalyzr.icsi.berkeley.edu', 'txtpadding_3230.n1.netalyzr.icsi.berkeley.edu',
    'txtpadding_3230.n1.netalyzr.icsi.berkeley.edu',
  ],
  'zeek/tunnels_Teredo.pcap': [
    'ipv6.google.com', 'ipv6.google.com', 'www.wireshark.org',
    'www.wireshark.org.gateway.2wire.net', 'www.wireshark.org',
  ],
};

for (const [file, expected] of Object.entries(EXPECTED)) {
  test(`dns query names ${file}`, { skip: existsSync(join(BENIGN, file)) ? false : 'corpus capture not found' }, () => {
    assert.deepEqual(requestNames(file), expected);
  });
}
