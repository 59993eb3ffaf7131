/**
 * Named captures for `npm run bench`: the lab captures of this repository
 * and a few corpus captures that stress other parts of the pipeline.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** One capture the benchmark can run, with the HOME_NET that fits its addresses. */
export interface NamedCapture {
  name: string;
  /** Absolute path, or null when the file is not present. */
  path: string | null;
  homeNet: string;
  description: string;
}

/** The server side of the namespace lab (scripts/netlab.sh). */
export const LAB_HOME_NET = '[203.0.113.0/24,2001:db8:2::/64]';
/** Suricata's default HOME_NET (RFC 1918), which covers the corpus captures listed here. */
export const PRIVATE_HOME_NET = '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]';

const CORPUS_CAPTURES: ReadonlyArray<{ name: string; file: string; description: string }> = [
  {
    name: 'synflood',
    file: 'pcaps/ddos/stopddos/pkt.TCP.synflood.spoofed.pcap',
    description: '37.8k spoofed SYNs to one host: small packets, one new flow each',
  },
  {
    name: 'smb2',
    file: 'pcaps/benign/zeek/smb_smb2.pcap',
    description: 'SMB2 file transfer, 1.2k mostly full-size packets',
  },
  {
    name: 'ssh',
    file: 'pcaps/benign/zeek/ssh_ssh.pcap',
    description: 'several SSH sessions, 1.8k packets of mixed size',
  },
  {
    name: 'http-espn',
    file: 'pcaps/benign/chrissanders/http_espn.pcapng',
    description: 'a browser loading a news site over HTTP (pcapng), 956 packets',
  },
  {
    name: 'nmap-connect',
    file: 'pcaps/ddos/evilfingers-nmap/TCP_CONNECT_SCAN.pcap',
    description: 'nmap TCP connect scan, 9.9k short flows',
  },
];

/**
 * Lists the named captures. `httpHeavyPath` is the generated HTTP capture or
 * its committed small fallback; `corpusDir` may be null when no corpus exists.
 */
export function listCaptures(repoRoot: string, httpHeavyPath: string, corpusDir: string | null): NamedCapture[] {
  const demo = join(repoRoot, 'samples', 'demo.pcap');
  const captures: NamedCapture[] = [
    {
      name: httpHeavyPath.endsWith('http-small.pcap') ? 'http-small' : 'http-heavy',
      path: existsSync(httpHeavyPath) ? httpHeavyPath : null,
      homeNet: LAB_HOME_NET,
      description: 'HTTP/1.1 keep-alive transactions with 4-16 KB responses, recorded in the lab',
    },
    {
      name: 'demo',
      path: existsSync(demo) ? demo : null,
      homeNet: LAB_HOME_NET,
      description: 'the bundled demo: normal traffic mixed with attacks',
    },
  ];
  for (const entry of CORPUS_CAPTURES) {
    const path = corpusDir === null ? null : join(corpusDir, entry.file);
    captures.push({
      name: entry.name,
      path: path !== null && existsSync(path) ? path : null,
      homeNet: PRIVATE_HOME_NET,
      description: entry.description,
    });
  }
  return captures;
}
