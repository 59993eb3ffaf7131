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
  decimal,
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
import { shadowEntryProblem } from '../policy/rule-policy.js';
import { readSourceItem } from '../update/source-spec.js';
import { DEFAULT_AMPLIFICATION_PORTS } from '../anomaly/detectors-config.js';
import { DEFAULT_ADDRESS_GROUPS as RULE_ADDRESS_GROUPS, DEFAULT_PORT_GROUPS as RULE_PORT_GROUPS } from '../detect/variables.js';

const MIB = 1024 * 1024;

/** Highest `rate` of a rate-limit response, in packets per second: above it a limit hardly limits a host. */
export const MAX_RATE_LIMIT_PPS = 10_000_000;

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

/**
 * Keeps one entry of policy.suppress or policy.rate-filter as the map it
 * is; checkPolicyConfig reports each bad key with its own path.
 */
function policyEntryItem(value: unknown): { value: unknown } | { problem: string } {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { value };
  return { problem: 'expected a map of keys, such as { sid: 2019401, track: by_src, ip: 198.51.100.7 }' };
}

/** Reads one entry of policy.shadow: a rule matcher or `virtual-patches`. */
function shadowItem(value: unknown): { value: string } | { problem: string } {
  const read = ruleFilterItem('disable')(value);
  if ('problem' in read) {
    if (typeof value !== 'string') return read;
    const problem = shadowEntryProblem(value);
    return problem === null ? { value } : { problem };
  }
  return read;
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
    'rate-limit': section('rate-limited hosts keep their traffic up to a rate (nftables, in the quarantine table)', {
      sid: int(2, 1, 0xffffffff, 'sid of the gid 8100 alert written for each automatic rate limit'),
      'max-per-minute': int(10, 1, 100_000, 'automatic rate limits allowed per minute; more are refused and counted'),
    }),
    shadow: itemList('rules that run alert-only whatever their action: sids, gid:sid, sid ranges, group:FILE globs, re:, classtype:, metadata:, or virtual-patches for the whole catalog', shadowItem),
    suppress: itemList('alerts to withhold: maps of sid, gid, and optionally track (by_src, by_dst, by_either) with ip, as threshold.config\'s suppress', policyEntryItem),
    'rate-filter': itemList('maps of sid, gid, track, count, seconds, new-action and timeout: past count matches in seconds the action becomes new-action, as threshold.config\'s rate_filter', policyEntryItem),
    responses: mapList(section('one automatic response', {
      sid: required(int(0, 1, 0xffffffff, 'sid of the rule whose alerts trigger the response')),
      gid: int(1, 1, 0xffffffff, 'gid of that rule'),
      action: oneOf(['quarantine', 'rate-limit'], 'quarantine', 'what to do: quarantine the target, or rate-limit it'),
      target: oneOf(['src', 'dest'], 'src', 'which address of the alerting packet: src or dest'),
      timeout: seconds(600, 'how long the quarantine or rate limit lasts'),
      rate: { ...int(0, 1, MAX_RATE_LIMIT_PPS, 'rate-limit only (required there): packets per second the target may send, and may receive'), def: null, defText: '(unset)' },
      'rate-bytes': { ...bytes('(unset)', 0, 'rate-limit only: bytes per second the target may send, and may receive; unset: no byte limit'), def: null },
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
  anomaly: section('kapu: statistical anomaly detection and network behaviour analysis (docs/config.md, anomaly)', {
    enabled: bool(false, 'run the anomaly stage: flood, reflection, scan, threshold and baseline detectors, reported as gid 8200 alerts'),
    'sample-rate': int(1, 1, 1 << 20, 'count 1 packet in N for the volume figures (packets, bytes, SYNs), which are then multiplied by N; new flows are always counted'),
    'home-networks': textList([], 'protected networks (CIDR): victims, thresholds and host baselines; empty: every address'),
    'host-groups': textMap({}, 'host groups by name, each a comma-separated list of networks, as `servers: 198.51.100.0/28, 203.0.113.5/32`'),
    'max-hosts': int(4096, 2, 1 << 22, 'destinations (victims) and home hosts tracked at once; the least recently seen is evicted'),
    'max-sources': int(4096, 1, 1 << 22, 'sources tracked at once for scans; the least recently seen is evicted'),
    interval: seconds(1, 'measuring interval in seconds of capture time; rates are counts over one interval'),
    'update-interval': seconds(60, 'seconds between update alerts of a lasting finding'),
    'end-after': seconds(5, 'seconds without confirmation after which a finding ends with a last alert'),
    'max-findings': int(256, 1, 65536, 'findings followed at once; more are counted and not reported'),
    'learn-only': bool(false, 'only learn baselines, raise no findings (what `kapu baseline learn` sets)'),
    'scan-window': seconds(60, 'window of the port scan and host sweep counts'),
    flood: section('what makes a flood and when its sources look spoofed', {
      'min-sources': int(20, 1, 1 << 24, 'a flood has at least this many distinct sources in an interval ...'),
      'max-ports': int(16, 0, 65536, '... or at most this many destination ports: one source sending to hundreds of ports is a scan'),
      'spoof-min-sources': int(100, 1, 1 << 24, 'sources are judged for spoofing from this many distinct sources on'),
      'spoof-min-net-share': decimal(0.5, 0, 1, 'sources look spoofed when their /16 networks number at least this share of them'),
    }),
    detectors: section('each detector: on or off, and its parameters', {
      'baseline-deviation': section('sid 1: a host, group or the network far from its learnt baseline', {
        enabled: bool(true, 'run the detector'),
        'z-score': decimal(4, 0, 1000, 'z-score (or robust MAD score) at or above which an interval deviates'),
        'min-delta': decimal(100, 0, 1e12, 'a deviating value also exceeds the mean by this much per second'),
        sustain: int(5, 1, 3600, 'deviating intervals in a row before an alert'),
      }),
      threshold: section('sid 2: the fixed limits of `anomaly.thresholds`', { enabled: bool(true, 'run the detector') }),
      'syn-flood': section('sid 3: TCP SYNs to one victim, handshakes not completed', {
        enabled: bool(true, 'run the detector'),
        pps: int(1000, 1, 1 << 30, 'SYNs per second to one victim'),
        'max-syn-ack-share': decimal(0.5, 0, 1, 'a flood has fewer SYN-ACKs from the victim than this share of the SYNs'),
      }),
      'udp-flood': section('sid 4: UDP datagrams to one victim', {
        enabled: bool(true, 'run the detector'),
        pps: int(1000, 1, 1 << 30, 'datagrams per second to one victim'),
      }),
      'icmp-flood': section('sid 5: ICMP messages to one victim', {
        enabled: bool(true, 'run the detector'),
        pps: int(1000, 1, 1 << 30, 'ICMP messages per second to one victim'),
      }),
      amplification: section('sid 6: responses from a reflection service port, or TCP SYN-ACKs, to one victim', {
        enabled: bool(true, 'run the detector'),
        pps: int(1000, 1, 1 << 30, 'reflected packets per second to one victim'),
        'min-reflectors': int(10, 1, 1 << 24, 'distinct sources needed'),
        ports: textList(DEFAULT_AMPLIFICATION_PORTS.map(String), 'UDP source ports of reflection services'),
      }),
      'port-scan': section('sid 7: one source, many ports of one host', {
        enabled: bool(true, 'run the detector'),
        'min-ports': int(20, 2, 65536, 'distinct destination ports within the scan window'),
        'min-target-share': decimal(0.5, 0, 1, 'share of the source\'s new flows that its top target must take'),
      }),
      'host-sweep': section('sid 8: one source, one port on many hosts', {
        enabled: bool(true, 'run the detector'),
        'min-hosts': int(20, 2, 1 << 24, 'distinct destination hosts within the scan window'),
        'min-port-share': decimal(0.5, 0, 1, 'share of the source\'s new flows that its top port must take'),
      }),
      'heavy-hitter': section('sid 9: a host with an outsized share of the traffic', {
        enabled: bool(true, 'run the detector'),
        share: decimal(0.5, 0, 1, 'share of the network\'s bytes in one interval'),
        'min-bps': int(100_000_000, 0, Number.MAX_SAFE_INTEGER, 'bits per second the host must also move'),
      }),
      'slow-scan': section('sid 10: a scan spread over a long window', {
        enabled: bool(true, 'run the detector'),
        window: seconds(3600, 'the long window'),
        'min-ports': int(100, 2, 65536, 'distinct destination ports from one source within the window'),
        'min-hosts': int(100, 2, 1 << 24, 'distinct destination hosts from one source within the window'),
      }),
    }),
    thresholds: mapList(section('fixed limits for the hosts of one group; 0 leaves a limit off', {
      group: required(text(null, 'host group name, or `any` for every home host')),
      pps: int(0, 0, Number.MAX_SAFE_INTEGER, 'packets per second received by one host'),
      bps: int(0, 0, Number.MAX_SAFE_INTEGER, 'bits per second received by one host'),
      flows: int(0, 0, Number.MAX_SAFE_INTEGER, 'new flows per second towards one host'),
      'syn-pps': int(0, 0, Number.MAX_SAFE_INTEGER, 'TCP SYNs per second received by one host'),
    }), 'fixed thresholds per host group, as `- { group: servers, pps: 20000, bps: 1000000000 }`'),
    actions: section('policy actions on findings (nftables in in-line IPS runs; other runs only count them)', {
      table: text('kapu_anomaly', 'nftables table (inet family) that kapu owns for the actions'),
      'rate-limit-pps': int(100, 1, 1 << 30, 'packets per second each rate-limited source may still send'),
      'max-per-minute': int(10, 1, 100_000, 'actions allowed per minute; more are counted and skipped'),
      rules: mapList(section('one action rule; the first rule naming a finding\'s detector applies', {
        detector: required(text(null, 'detector name, such as syn_flood, or any')),
        action: oneOf(['alert', 'rate-limit', 'drop', 'quarantine'], 'alert', 'alert: the alert only; rate-limit: limit the finding\'s single genuine source; drop: drop traffic to the victim; quarantine: quarantine the single genuine source once it completed a TCP handshake'),
        timeout: seconds(600, 'seconds the limit or drop lasts'),
      }), 'action rules, as `- { detector: port_scan, action: rate-limit, timeout: 10m }`'),
    }),
    baseline: section('learnt baselines (EWMA per host, group and the network)', {
      file: text(null, 'SQLite file of stored baselines, loaded at start; a relative path is read from the log folder; unset: none'),
      save: bool(false, 'write the learnt baselines back to `file` at the end of the run'),
      'half-life': seconds(3600, 'seconds after which an old mean weighs half'),
      'learning-period': seconds(600, 'seconds of capture time a baseline learns before it scores'),
      'min-samples': int(100, 1, 1 << 30, 'intervals a baseline learns before it scores'),
      'hour-of-week': bool(false, 'one baseline per hour of the week (168) instead of one'),
      'mad-window': int(15, 1, 255, 'recent values kept for the robust (median absolute deviation) score of flat series'),
    }),
  }),
  notify: section('kapu: administrator notifications over syslog and a webhook, sent from a timer off the packet path', {
    types: textList(['alert'], 'EVE event types that are sent: alert, drop, anomaly'),
    'min-severity': int(3, 1, 255, 'alerts of severity 1 (highest) up to this value are sent; severity is the rule\'s priority'),
    'interval-ms': int(200, 10, 60_000, 'milliseconds between delivery rounds'),
    syslog: section('RFC 5424 messages, one EVE event each', {
      enabled: bool(false, 'send notifications to syslog'),
      server: text(null, 'HOST:PORT of a syslog server, sent over UDP (RFC 5426); [IPv6]:PORT for IPv6'),
      socket: text(null, 'local syslog socket such as /dev/log, written through the logger command'),
      facility: oneOf(['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], 'local5', 'syslog facility'),
      identity: text('kapu', 'APP-NAME of each message'),
      'max-message-bytes': int(2048, 480, 65_000, 'longest message sent; longer EVE events are cut (RFC 5426 receivers take at least 480 bytes, should take 2048)'),
      'queue-size': int(1000, 1, 1_000_000, 'messages waiting at most; more are dropped and counted in notify.syslog.dropped'),
    }),
    webhook: section('a JSON POST of each EVE event', {
      enabled: bool(false, 'send notifications to the webhook'),
      url: text(null, 'http:// or https:// URL that receives the POSTs'),
      timeout: seconds(5, 'seconds one POST may take'),
      retries: int(3, 0, 100, 'retries of a failed POST (network error, 5xx or 429) before the event is dropped and counted'),
      'backoff-ms': int(500, 1, 3_600_000, 'wait before the first retry, in milliseconds; it doubles with each retry'),
      'max-backoff-ms': int(30_000, 1, 3_600_000, 'longest wait between retries, in milliseconds'),
      'rate-limit': int(10, 1, 100_000, 'POSTs per second at most'),
      'queue-size': int(1000, 1, 1_000_000, 'events waiting at most; more are dropped and counted in notify.webhook.dropped'),
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
