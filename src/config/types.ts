/**
 * The typed configuration that loadConfig returns. Property names are the
 * kapu.yaml keys in camelCase (`stream.reassembly.depth` is
 * `config.stream.reassembly.depth`); byte sizes are bytes, durations are
 * seconds.
 */
import type { RuleSourceSpec } from '../update/source-spec.js';

export type ExceptionPolicy =
  | 'auto'
  | 'drop-packet'
  | 'drop-flow'
  | 'pass-packet'
  | 'pass-flow'
  | 'bypass'
  | 'reject'
  | 'reject-both'
  | 'ignore';

export interface FlowTimeouts {
  new: number;
  established: number;
  /** Absent for UDP and ICMP, which have no closed state. */
  closed?: number;
  bypassed: number;
  emergencyNew: number;
  emergencyEstablished: number;
  emergencyClosed?: number;
  emergencyBypassed: number;
}

export interface AlertTypeConfig {
  enabled: boolean;
  /** `payload`: the packet or stream payload in base64 (EVE `payload`). */
  payload: boolean;
  /** `payload-printable`: the payload with unprintable bytes as `.` (EVE `payload_printable`). */
  payloadPrintable: boolean;
  /** `payload-length`: EVE `payload_length`. */
  payloadLength: boolean;
  /** Largest stream payload logged, in bytes. */
  payloadBufferSize: number;
  /** `packet`: the whole packet in base64 (EVE `packet` and `packet_info`). */
  packet: boolean;
  /** `metadata`: rule metadata, the flow object and app-layer fields. */
  metadata: boolean;
  taggedPackets: boolean;
  verdict: boolean;
}

export interface AnomalyTypeConfig {
  enabled: boolean;
  decode: boolean;
  stream: boolean;
  applayer: boolean;
  packethdr: boolean;
}

export interface DropTypeConfig {
  enabled: boolean;
  /** `alerts`: add the alert that caused the drop. */
  alerts: boolean;
  /** `all` logs every dropped packet, `start` only the first per flow. */
  flows: 'all' | 'start';
  verdict: boolean;
}

export interface StatsTypeConfig {
  enabled: boolean;
  totals: boolean;
  threads: boolean;
  deltas: boolean;
}

/** Options of the http event type. */
export interface HttpTypeConfig {
  /** `extended`: add http_refer, http_method, protocol, status, redirect and length to http events. */
  extended: boolean;
  /** `dump-all-headers`: log the request headers, the response headers, or both. */
  dumpAllHeaders: 'none' | 'request' | 'response' | 'both';
}

/** The eve-log `dns` type's options. */
export interface DnsTypeConfig {
  /** EVE dns format: 3 writes one event per message, 2 one per query and one per response. */
  version: 2 | 3;
  /** `requests`: log DNS requests (queries). */
  requests: boolean;
  /** `responses`: log DNS responses (answers). */
  responses: boolean;
  /** `formats`: answer lists written, `detailed` (one item per record) and `grouped` (rdata by type). */
  formats: string[];
}

export interface EveTypesConfig {
  alert: AlertTypeConfig;
  anomaly: AnomalyTypeConfig;
  drop: DropTypeConfig;
  flow: { enabled: boolean };
  stats: StatsTypeConfig;
  /** Protocol event types that are listed (http, dns, tls, ...); kapu does not produce them yet. */
  protocols: string[];
  /** Options of the http type when it is listed; absent when it is not. */
  http?: HttpTypeConfig;
  /** `files: force-hash`: digests (md5, sha1, sha256) computed for every file and logged in fileinfo. */
  filesForceHash: string[];
  /** Options of the `dns` type; absent when `dns` is not listed with options. */
  dns?: DnsTypeConfig;
  /** Options of the `tls` event type. */
  tls: TlsTypeConfig;
}

/** Options of the `tls` event type, as Suricata 8 reads them. */
export interface TlsTypeConfig {
  /** `extended`: add serial, fingerprint, sni, version, validity dates and the other extended fields. */
  extended: boolean;
  /** `custom`: the field names to write instead of the basic or extended set, or null when absent. */
  custom: string[] | null;
}

export interface EveLogConfig {
  enabled: boolean;
  filetype: 'regular';
  filename: string;
  communityId: boolean;
  communityIdSeed: number;
  ethernet: boolean;
  /** `ipv6-compress`: write IPv6 addresses compressed (RFC 5952) instead of Suricata's full form. */
  ipv6Compress: boolean;
  /** `pcap-file`: name the capture file in each event (`pcap_filename`). */
  pcapFile: boolean;
  types: EveTypesConfig;
}

export interface OutputsConfig {
  fast: { enabled: boolean; filename: string; append: boolean };
  /** Every eve-log entry, in order (Suricata allows several). */
  eveLogs: EveLogConfig[];
  stats: { enabled: boolean; filename: string; append: boolean; totals: boolean; threads: boolean };
}

export interface KapuConfig {
  vars: { addressGroups: Record<string, string>; portGroups: Record<string, string> };
  defaultRulePath: string;
  ruleFiles: string[];
  classificationFile: string;
  referenceConfigFile: string;
  thresholdFile: string | null;
  defaultLogDir: string;
  outputs: OutputsConfig;
  stats: {
    enabled: boolean;
    interval: number;
    decoderEvents: boolean;
    decoderEventsPrefix: string;
    streamEvents: boolean;
    exceptionPolicy: { perAppProtoErrors: boolean };
  };
  pcapFile: { checksumChecks: 'auto' | 'yes' | 'no' };
  unixCommand: { enabled: 'auto' | 'yes' | 'no'; filename: string };
  nfq: { mode: 'accept'; failOpen: boolean; queueMaxlen: number; gso: boolean };
  stream: {
    memcap: number;
    checksumValidation: boolean;
    inline: 'auto' | 'yes' | 'no';
    midstream: boolean;
    midstreamPolicy: ExceptionPolicy;
    memcapPolicy: ExceptionPolicy;
    asyncOneside: boolean;
    reassembly: {
      memcap: number;
      depth: number;
      memcapPolicy: ExceptionPolicy;
      toserverChunkSize: number;
      toclientChunkSize: number;
      randomizeChunkSize: boolean;
      urgent: { policy: 'inline' | 'drop' | 'oob' | 'gap'; oobLimitPolicy: 'inline' | 'drop' | 'gap' };
    };
  };
  flow: {
    memcap: number;
    hashSize: number;
    prealloc: number;
    emergencyRecovery: number;
    memcapPolicy: ExceptionPolicy;
  };
  flowTimeouts: { default: FlowTimeouts; tcp: FlowTimeouts; udp: FlowTimeouts; icmp: FlowTimeouts };
  defrag: {
    memcap: number;
    hashSize: number;
    trackers: number;
    maxFrags: number;
    prealloc: boolean;
    timeout: number;
    memcapPolicy: ExceptionPolicy;
  };
  actionOrder: string[];
  packetAlertMax: number;
  exceptionPolicy: ExceptionPolicy;
  detect: {
    profile: 'low' | 'medium' | 'high' | 'custom';
    inspectionRecursionLimit: number;
    /** `guess-applayer-tx`: alerts of rules without app-layer keywords carry the flow's only live transaction. */
    guessApplayerTx: boolean;
    thresholds: { hashSize: number; memcap: number };
  };
  appLayer: { protocols: Record<string, unknown>; errorPolicy: ExceptionPolicy };
  hostOsPolicy: Record<string, string[]>;
  /** kapu's catalog of virtual patches: `path` null means the catalog shipped with kapu. */
  virtualPatches: { enabled: boolean; path: string | null; stateFile: string };
  policy: PolicyConfig;
  anomaly: AnomalyConfig;
  notify: NotifyConfig;
  rulesUpdate: {
    sources: RuleSourceSpec[];
    output: string;
    cacheDir: string;
    /** Seconds. */
    timeout: number;
    /** Bytes. */
    maxDownloadSize: number;
    ignore: string[];
  };
}

/** One `policy.responses` entry. */
export interface ResponseConfig {
  sid: number;
  gid: number;
  action: 'quarantine' | 'rate-limit';
  target: 'src' | 'dest';
  /** Seconds. */
  timeout: number;
  /** Packets per second of a rate limit; null for a quarantine. */
  rate: number | null;
  /** Bytes per second of a rate limit, or null for none. */
  rateBytes: number | null;
}

/** kapu's `policy` section. */
export interface PolicyConfig {
  mode: 'ids' | 'ips';
  /** Rule filters (suricata-update's matchers), applied in the order disable, enable, drop, modify. */
  disable: string[];
  enable: string[];
  drop: string[];
  modify: string[];
  management: string[];
  gateways: string[];
  dnsServers: string[];
  neverBlock: string[];
  quarantine: {
    sid: number;
    /** Seconds. */
    timeout: number;
    maxPerMinute: number;
    hooks: string[];
    table: string;
    database: string;
  };
  rateLimit: {
    sid: number;
    maxPerMinute: number;
  };
  /** Rule matchers, or `virtual-patches`, of the rules that run alert-only. */
  shadow: string[];
  /** Maps as written; src/policy/policy-exceptions.ts compiles them into threshold entries. */
  suppress: Record<string, unknown>[];
  rateFilter: Record<string, unknown>[];
  responses: ResponseConfig[];
  blocklists: BlocklistConfig[];
  blocklist: {
    cacheDir: string;
    /** Seconds. */
    timeout: number;
    /** Bytes. */
    maxDownloadSize: number;
    maxEntries: number;
  };
}

/** One `policy.blocklists` entry. */
export interface BlocklistConfig {
  id: number;
  name: string | null;
  kind: 'domain' | 'url' | 'ip';
  format: 'plain' | 'hosts';
  path: string | null;
  url: string | null;
  action: 'drop' | 'nxdomain' | 'sinkhole';
  sinkhole: string[];
  subdomains: boolean;
}

/** One `anomaly.detectors` entry; the detectors' own parameters vary. */
interface DetectorSwitch {
  enabled: boolean;
}

/** kapu's `anomaly` section (docs/config.md). Durations are seconds. */
export interface AnomalyConfig {
  enabled: boolean;
  sampleRate: number;
  homeNetworks: string[];
  hostGroups: Record<string, string>;
  maxHosts: number;
  maxSources: number;
  interval: number;
  updateInterval: number;
  endAfter: number;
  maxFindings: number;
  learnOnly: boolean;
  scanWindow: number;
  flood: { minSources: number; maxPorts: number; spoofMinSources: number; spoofMinNetShare: number };
  detectors: {
    baselineDeviation: DetectorSwitch & { zScore: number; minDelta: number; sustain: number };
    threshold: DetectorSwitch;
    synFlood: DetectorSwitch & { pps: number; maxSynAckShare: number };
    udpFlood: DetectorSwitch & { pps: number };
    icmpFlood: DetectorSwitch & { pps: number };
    amplification: DetectorSwitch & { pps: number; minReflectors: number; ports: string[] };
    portScan: DetectorSwitch & { minPorts: number; minTargetShare: number };
    hostSweep: DetectorSwitch & { minHosts: number; minPortShare: number };
    heavyHitter: DetectorSwitch & { share: number; minBps: number };
    slowScan: DetectorSwitch & { window: number; minPorts: number; minHosts: number };
  };
  thresholds: Array<{ group: string; pps: number; bps: number; flows: number; synPps: number }>;
  actions: {
    table: string;
    rateLimitPps: number;
    maxPerMinute: number;
    rules: Array<{ detector: string; action: 'alert' | 'rate-limit' | 'drop' | 'quarantine'; timeout: number }>;
  };
  baseline: {
    file: string | null;
    save: boolean;
    halfLife: number;
    learningPeriod: number;
    minSamples: number;
    hourOfWeek: boolean;
    madWindow: number;
  };
}

/** kapu's `notify` section: administrator notifications. */
export interface NotifyConfig {
  /** EVE event types sent: alert, drop, anomaly. */
  types: string[];
  minSeverity: number;
  intervalMs: number;
  syslog: {
    enabled: boolean;
    /** HOST:PORT for UDP, or null. */
    server: string | null;
    /** Local unix socket path, or null. */
    socket: string | null;
    facility: string;
    identity: string;
    maxMessageBytes: number;
    queueSize: number;
  };
  webhook: {
    enabled: boolean;
    url: string | null;
    /** Seconds. */
    timeout: number;
    retries: number;
    backoffMs: number;
    maxBackoffMs: number;
    /** POSTs per second. */
    rateLimit: number;
    queueSize: number;
  };
}
