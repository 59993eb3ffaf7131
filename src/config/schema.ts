/**
 * The kapu.yaml schema. Keys, layout and defaults follow the stock
 * suricata.yaml of Suricata 8 wherever the concept exists, so the supported
 * part of a suricata.yaml loads unchanged. `policy` is kapu's own section.
 * docs/config.md lists these keys with their defaults.
 */
import {
  accepted,
  autoOrBool,
  bool,
  bytes,
  int,
  itemList,
  mapList,
  oneOf,
  required,
  section,
  seconds,
  text,
  textList,
  textMap,
} from './schema-desc.js';
import type { MapDesc } from './schema-desc.js';
import { ruleFilterProblem } from '../detect/rule-filters.js';
import { readSourceItem } from '../update/source-spec.js';
import { DEFAULT_ADDRESS_GROUPS as RULE_ADDRESS_GROUPS, DEFAULT_PORT_GROUPS as RULE_PORT_GROUPS } from '../detect/variables.js';

const MIB = 1024 * 1024;

/** Exception policies Suricata 8 accepts for a limit (flow.memcap-policy and others). */
export const EXCEPTION_POLICIES = [
  'auto',
  'drop-packet',
  'drop-flow',
  'pass-packet',
  'pass-flow',
  'bypass',
  'reject',
  'reject-both',
  'ignore',
] as const;

/** Address groups of Suricata 8's stock suricata.yaml (one list, kept with the rule variables). */
export const DEFAULT_ADDRESS_GROUPS: Record<string, string> = { ...RULE_ADDRESS_GROUPS };

/** Port groups of Suricata 8's stock suricata.yaml. */
export const DEFAULT_PORT_GROUPS: Record<string, string> = { ...RULE_PORT_GROUPS };

/**
 * Reads one entry of policy.disable, enable, drop or modify. YAML reads
 * `- metadata: signature_severity Major` as a map of one key, which is
 * taken as the text `metadata: signature_severity Major`.
 */
function ruleFilterItem(kind: 'disable' | 'enable' | 'drop' | 'modify') {
  return (value: unknown): { value: string } | { problem: string } => {
    let entry: string | null = typeof value === 'string' ? value : null;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const pairs = Object.entries(value as Record<string, unknown>);
      if (pairs.length === 1 && typeof pairs[0][1] === 'string') entry = `${pairs[0][0]}: ${pairs[0][1]}`;
    }
    if (entry === null) return { problem: `expected one ${kind} entry as text` };
    const problem = ruleFilterProblem(kind, entry);
    return problem === null ? { value: entry } : { problem };
  };
}

function timeouts(
  doc: string,
  v: { new: number; established: number; closed: number | null; bypassed: number },
  e: { new: number; established: number; closed: number | null; bypassed: number },
) {
  const fields: MapDesc['fields'] = {
    new: seconds(v.new, 'seconds a flow without a reply is kept'),
    established: seconds(v.established, 'seconds an established flow is kept idle'),
  };
  if (v.closed !== null) fields['closed'] = seconds(v.closed, 'seconds a closed flow is kept');
  fields['bypassed'] = seconds(v.bypassed, 'seconds a bypassed flow is kept idle');
  fields['emergency-new'] = seconds(e.new, 'new timeout in emergency mode');
  fields['emergency-established'] = seconds(e.established, 'established timeout in emergency mode');
  if (e.closed !== null) fields['emergency-closed'] = seconds(e.closed, 'closed timeout in emergency mode');
  fields['emergency-bypassed'] = seconds(e.bypassed, 'bypassed timeout in emergency mode');
  return section(doc, fields);
}

/** Reassembly policy names of host-os-policy. */
export const HOST_OS_POLICIES = [
  'windows',
  'bsd',
  'bsd-right',
  'old-linux',
  'linux',
  'old-solaris',
  'solaris',
  'hpux10',
  'hpux11',
  'irix',
  'macos',
  'vista',
  'windows2k3',
];

function hostOsPolicy() {
  const fields: MapDesc['fields'] = {};
  for (const name of HOST_OS_POLICIES) {
    fields[name] = textList(name === 'windows' ? ['0.0.0.0/0'] : [], `networks whose hosts reassemble like ${name}`);
  }
  return section('TCP and IP reassembly policy per network', fields);
}

/**
 * Every section of kapu.yaml except `outputs`, which outputs-config.ts reads
 * with its own rules (a sequence of one-key maps).
 */
export const CONFIG_SCHEMA: MapDesc = section('kapu.yaml', {
  vars: section('variables used in rules', {
    'address-groups': textMap(DEFAULT_ADDRESS_GROUPS, 'address variables ($HOME_NET, ...)'),
    'port-groups': textMap(DEFAULT_PORT_GROUPS, 'port variables ($HTTP_PORTS, ...)'),
  }),
  'default-rule-path': text('/var/lib/suricata/rules', 'folder that relative rule-files are read from'),
  'rule-files': textList(['suricata.rules'], 'rule files to load'),
  'classification-file': text('/etc/suricata/classification.config', 'classtype descriptions and priorities'),
  'reference-config-file': text('/etc/suricata/reference.config', 'reference type URL prefixes'),
  'threshold-file': text(null, 'threshold.config with suppress, threshold and rate_filter lines'),
  'default-log-dir': text('.', 'folder for eve.json and fast.log (`-l` overrides); kapu writes to the current folder by default'),
  stats: section('counters and the stats event', {
    enabled: bool(true, 'collect counters and write stats events'),
    interval: seconds(8, 'seconds between stats events'),
    'decoder-events': bool(true, 'count each decoder event under decoder.event.*'),
    'decoder-events-prefix': text('decoder.event', 'counter prefix of decoder events'),
    'stream-events': bool(false, 'count each stream event under stream.*'),
    'exception-policy': section('counters of the exception policies', {
      'per-app-proto-errors': bool(false, 'also count app-layer error policies per protocol'),
    }),
  }),
  'pcap-file': section('reading capture files', {
    'checksum-checks': autoOrBool('validate checksums: auto turns them off when most are bad'),
    'buffer-size': accepted('read buffer (accepted, not used)'),
  }),
  stream: section('TCP session tracking and reassembly', {
    memcap: bytes('64 MiB', 64 * MIB, 'memory for TCP sessions'),
    'checksum-validation': bool(true, 'packets with a bad TCP checksum are not tracked or reassembled'),
    inline: autoOrBool('inline reassembly: auto follows the run mode'),
    midstream: bool(false, 'pick up sessions whose handshake was not seen'),
    'midstream-policy': oneOf(EXCEPTION_POLICIES, 'auto', 'exception policy for midstream sessions'),
    'memcap-policy': oneOf(EXCEPTION_POLICIES, 'auto', 'exception policy when stream.memcap is reached'),
    'async-oneside': bool(false, 'track sessions seen in one direction only'),
    reassembly: section('reassembly of each direction', {
      memcap: bytes('256 MiB', 256 * MIB, 'memory for reassembled data'),
      depth: bytes('1 MiB', MIB, 'bytes of each direction that are reassembled'),
      'memcap-policy': oneOf(EXCEPTION_POLICIES, 'auto', 'exception policy when reassembly.memcap is reached'),
      'toserver-chunk-size': int(2560, 1, 1 << 30, 'reassembled bytes inspected at once, to server'),
      'toclient-chunk-size': int(2560, 1, 1 << 30, 'reassembled bytes inspected at once, to client'),
      'randomize-chunk-size': bool(true, 'vary the chunk sizes'),
      urgent: section('urgent data (the byte the TCP urgent pointer marks)', {
        policy: oneOf(['inline', 'drop', 'oob', 'gap'], 'inline', 'inline: stream data; drop: drop URG packets (IPS); oob: out of band, removed from the stream; gap: a gap'),
        'oob-limit-policy': oneOf(['inline', 'drop', 'gap'], 'inline', 'policy once 65535 bytes of a direction were taken out of band'),
      }),
    }),
  }),
  flow: section('the flow table', {
    memcap: bytes('128 MiB', 128 * MIB, 'memory for flows'),
    'hash-size': int(65536, 1, 1 << 28, 'buckets of the flow hash'),
    prealloc: int(10000, 0, 1 << 28, 'flows allocated at start'),
    'emergency-recovery': int(30, 0, 100, 'percent of prealloc that must be free to leave emergency mode'),
    'memcap-policy': oneOf(EXCEPTION_POLICIES, 'auto', 'exception policy when flow.memcap is reached'),
  }),
  'flow-timeouts': section('idle timeouts per protocol, in seconds', {
    default: timeouts(
      'protocols other than TCP, UDP and ICMP',
      { new: 30, established: 300, closed: 0, bypassed: 100 },
      { new: 10, established: 100, closed: 0, bypassed: 50 },
    ),
    tcp: timeouts('TCP', { new: 60, established: 600, closed: 60, bypassed: 100 }, { new: 5, established: 100, closed: 10, bypassed: 50 }),
    udp: timeouts('UDP', { new: 30, established: 300, closed: null, bypassed: 100 }, { new: 10, established: 100, closed: null, bypassed: 50 }),
    icmp: timeouts('ICMP', { new: 30, established: 300, closed: null, bypassed: 100 }, { new: 10, established: 100, closed: null, bypassed: 50 }),
  }),
  defrag: section('IP defragmentation', {
    memcap: bytes('32 MiB', 32 * MIB, 'memory for fragments'),
    'hash-size': int(65536, 1, 1 << 28, 'buckets of the fragment tracker hash'),
    trackers: int(65535, 1, 1 << 28, 'reassemblies in progress at once'),
    'max-frags': int(65535, 1, 1 << 28, 'fragments held at once'),
    prealloc: bool(true, 'allocate trackers at start'),
    timeout: seconds(60, 'seconds an incomplete datagram is kept'),
    'memcap-policy': oneOf(EXCEPTION_POLICIES, 'auto', 'exception policy when defrag.memcap is reached'),
  }),
  'action-order': textList(['pass', 'drop', 'reject', 'alert'], 'order in which rule actions are applied'),
  // Suricata falls back to 15 on an invalid value instead of refusing to start.
  'packet-alert-max': { ...int(15, 1, 1000, 'alerts kept per packet; more are counted in detect.alert_queue_overflow'), fallback: true },
  'exception-policy': oneOf(EXCEPTION_POLICIES, 'auto', 'exception policy of every limit that sets none (read, not applied yet)'),
  detect: section('detection engine', {
    profile: oneOf(['low', 'medium', 'high', 'custom'], 'medium', 'rule grouping profile'),
    'inspection-recursion-limit': int(3000, 0, 1_000_000, 'nesting limit of recursive payload inspection'),
    'guess-applayer-tx': bool(false, 'add the only live transaction to alerts of rules without app-layer keywords'),
    'custom-values': accepted('group counts of the custom profile (accepted, not used yet)'),
    'sgh-mpm-context': accepted('accepted, not used'),
    'sgh-mpm-caching': accepted('accepted, not used'),
    'sgh-mpm-caching-path': accepted('accepted, not used'),
    prefilter: accepted('accepted, not used yet'),
    grouping: accepted('accepted, not used yet'),
    profiling: accepted('accepted, not used'),
    thresholds: section('the threshold table', {
      'hash-size': int(16384, 1, 1 << 24, 'buckets of the threshold table'),
      memcap: bytes('16 MiB', 16 * MIB, 'memory for threshold entries'),
    }),
  }),
  'app-layer': section('application-layer parsers', {
    protocols: accepted('per-protocol settings (accepted, used as parsers arrive)'),
    'error-policy': oneOf(EXCEPTION_POLICIES, 'auto', 'exception policy on a parser error'),
  }),
  'host-os-policy': hostOsPolicy(),
  nfq: section('in-line mode on NFQUEUE (`kapu run -q`)', {
    mode: oneOf(['accept'], 'accept', 'verdict for packets that pass: accept (repeat and route are not supported)'),
    'fail-open': bool(false, 'accept packets while the queue is full instead of letting the kernel drop them (NFQA_CFG_F_FAIL_OPEN)'),
    'repeat-mark': accepted('mark for the repeat mode (accepted, not used)'),
    'repeat-mask': accepted('mask for the repeat mode (accepted, not used)'),
    'bypass-mark': accepted('mark for bypassed flows (accepted, not used)'),
    'bypass-mask': accepted('mask for bypassed flows (accepted, not used)'),
    'route-queue': accepted('queue for the route mode (accepted, not used)'),
    batchcount: accepted('packets per batch verdict (accepted, not used: verdicts go in batches of contiguous ids)'),
    'queue-maxlen': int(4096, 1, 1 << 20, 'kapu: packets waiting for a verdict at most; past it the kernel drops new ones, or accepts them with fail-open'),
    gso: bool(true, 'kapu: take GSO packets whole (NFQA_CFG_F_GSO) instead of segmented'),
  }),
  'unix-command': section('control socket of `kapu run -i` and `-q`, used by `kapu reload`', {
    enabled: { ...autoOrBool('listen on the control socket: yes, or auto as Suricata, which is the same for live runs; no turns it off'), def: 'no', defText: 'no' },
    filename: text('kapu-command.socket', 'path of the unix socket; a relative path is read from the log folder'),
  }),
  'virtual-patches': section('kapu: the catalog of virtual patches (docs/virtual-patches.md)', {
    enabled: bool(false, 'load the enabled patches of the catalog beside the rule files'),
    path: text(null, 'folder of the catalog, one cve-YYYY-NNNN.rules file per patch; unset: the catalog shipped with kapu'),
    'state-file': text('state.json', 'file that lists the disabled patches (kapu patches disable); a relative path is taken from the catalog folder'),
  }),
  policy: section('kapu: how decisions are carried out', {
    mode: oneOf(['ids', 'ips'], 'ids', 'ids only alerts; ips also drops and rejects'),
    disable: itemList('rules to disable, as suricata-update\'s disable.conf lines (see below)', ruleFilterItem('disable')),
    enable: itemList('disabled rules to enable, as enable.conf lines', ruleFilterItem('enable')),
    drop: itemList('rules whose action becomes drop, as drop.conf lines', ruleFilterItem('drop')),
    modify: itemList('MATCHER "FROM" "TO": replace the regular expression FROM by TO in the rules MATCHER selects, as modify.conf lines', ruleFilterItem('modify')),
    management: textList([], 'management addresses or prefixes: never blocked, and they still reach quarantined hosts'),
    gateways: textList([], 'gateway addresses or prefixes: never blocked by an automatic response'),
    'dns-servers': textList([], 'DNS server addresses or prefixes: never blocked by an automatic response'),
    'never-block': textList([], 'more addresses or prefixes that no automatic response may block, besides management, gateways and dns-servers'),
    quarantine: section('quarantined hosts lose all traffic (nftables)', {
      sid: int(1, 1, 0xffffffff, 'sid of the gid 8100 alert written for each automatic quarantine'),
      timeout: seconds(3600, 'timeout of `kapu quarantine add` without --timeout'),
      'max-per-minute': int(10, 1, 100_000, 'automatic quarantines allowed per minute; more are refused and counted'),
      hooks: textList(['forward'], 'netfilter hooks whose traffic is blocked: forward, input, output'),
      table: text('kapu_quarantine', 'nftables table (inet family) that kapu owns for the quarantine'),
      database: text('quarantine.db', 'SQLite file of the quarantine records; a relative path is read from the log folder'),
    }),
    responses: mapList(section('one automatic response', {
      sid: required(int(0, 1, 0xffffffff, 'sid of the rule whose alerts trigger the response')),
      gid: int(1, 1, 0xffffffff, 'gid of that rule'),
      action: oneOf(['quarantine'], 'quarantine', 'what to do: quarantine the target'),
      target: oneOf(['src', 'dest'], 'src', 'which address of the alerting packet: src or dest'),
      timeout: seconds(600, 'how long the quarantine lasts'),
    }), 'automatic responses to alerts, such as `- { sid: 2100498, action: quarantine, target: src, timeout: 10m }`'),
    blocklists: mapList(section('one blocklist', {
      id: required(int(0, 1, 0xffffffff, 'sid of the gid 8100 alert written for each block by this list')),
      name: text(null, 'name shown as kapu.list in alerts; unset: the file name or URL'),
      kind: oneOf(['domain', 'url', 'ip'], 'domain', 'what the entries are: domain names, URLs (host and path prefix) or addresses and prefixes'),
      format: oneOf(['plain', 'hosts'], 'plain', 'plain: one entry a line; hosts: hosts-file lines such as `0.0.0.0 ads.example`'),
      path: text(null, 'local file of the list; a relative path is read from the folder of the config file (without -c, the current folder)'),
      url: text(null, 'http or https URL of the list, downloaded at start and on reload'),
      action: oneOf(['drop', 'nxdomain', 'sinkhole'], 'drop', 'what a blocked DNS query gets: drop, an NXDOMAIN answer, or the sinkhole address; TLS, HTTP and address matches are dropped'),
      sinkhole: textList([], 'addresses of the sinkhole answer, at most one IPv4 (A) and one IPv6 (AAAA)'),
      subdomains: bool(true, 'a domain or URL host also blocks the names below it'),
    }), 'site blocklists, such as `- { id: 1001, kind: domain, path: ads.txt, action: nxdomain }`'),
    blocklist: section('settings that all blocklists share', {
      'cache-dir': text('blocklist-cache', 'downloaded lists with their ETag and Last-Modified; a relative path is read from the log folder'),
      timeout: seconds(30, 'seconds one download may take'),
      'max-download-size': bytes('64 MiB', 64 * MIB, 'largest list body accepted from one URL'),
      'max-entries': int(1_000_000, 1, 100_000_000, 'entries one list may hold; a longer list is not loaded'),
    }),
  }),
  'rules-update': section('`kapu rules update`: rule sources and the merged ruleset', {
    sources: itemList('rule sources: a URL, a local rule file, folder or .tar.gz, or a map with url (or path) and checksum', readSourceItem),
    output: text('kapu.rules', 'merged ruleset that kapu rules update writes; a relative path is read from default-rule-path'),
    'cache-dir': text('.kapu-update-cache', 'downloads with their ETag and Last-Modified; a relative path is read from default-rule-path'),
    timeout: seconds(60, 'seconds one download may take, its checksum file apart'),
    'max-download-size': bytes('256 MiB', 256 * MIB, 'largest body accepted from one URL; a larger one fails the source'),
    ignore: textList(['*deleted.rules'], 'rule files of a folder or archive that are left out (globs)'),
  }),
});

/**
 * Top-level keys of Suricata 8's suricata.yaml that kapu does not support.
 * They are reported as "not supported, ignored" rather than as unknown keys.
 */
export const SURICATA_ONLY_KEYS = new Set([
  'suricata-version',
  'plugins',
  'heartbeat',
  'logging',
  'af-packet',
  'af-xdp',
  'dpdk',
  'pcap',
  'asn1-max-frames',
  'datasets',
  'security',
  'coredump',
  'host-mode',
  'legacy',
  'engine-analysis',
  'pcre',
  'vlan',
  'livedev',
  'host',
  'decoder',
  'mpm-algo',
  'spm-algo',
  'threading',
  'profiling',
  'nflog',
  'capture',
  'netmap',
  'pfring',
  'ipfw',
  'napatech',
  'firewall',
  'ippair',
  'luajit',
  'magic-file',
  'max-pending-packets',
  'runmode',
  'autofp-scheduler',
  'default-packet-size',
  'run-as',
  'pid-file',
  'daemon-directory',
  'umask',
  'sensor-name',
  'geoip-database',
]);
