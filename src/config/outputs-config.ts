/**
 * The `outputs` section: a sequence of one-key maps (`- fast: {...}`,
 * `- eve-log: {...}`, `- stats: {...}`) as in suricata.yaml. Inside an
 * eve-log, `types` is a sequence whose items are a bare type name (`- flow`)
 * or a one-key map with options (`- alert: {payload: yes}`).
 */
import type { ConfNode } from './conf-tree.js';
import { accepted, bool, bytes, defaultOf, int, oneOf, section, text, textList } from './schema-desc.js';
import type { MapDesc } from './schema-desc.js';
import { nearestKey } from './nearest-key.js';
import { SchemaReader } from './read-config.js';
import { parseBoolean } from './values.js';
import type { DnsTypeConfig, EveLogConfig, EveTypesConfig, HttpTypeConfig, OutputsConfig } from './types.js';

const ALERT_DESC = section('alert events', {
  enabled: bool(true, 'write alert events'),
  payload: bool(false, 'payload in base64 (payload)'),
  'payload-printable': bool(false, 'payload with unprintable bytes as dots (payload_printable)'),
  'payload-length': bool(false, 'payload length (payload_length)'),
  'payload-buffer-size': bytes('4 KiB', 4096, 'largest stream payload logged'),
  packet: bool(false, 'the whole packet in base64 (packet, packet_info)'),
  metadata: accepted('rule metadata, flow and app-layer fields: yes/no or a map'),
  'tagged-packets': bool(true, 'log packets tagged by the tag keyword'),
  verdict: bool(false, 'the verdict object (what happens to the packet)'),
  reference: accepted('rule references (accepted, not written yet)'),
  'http-body': accepted('accepted, not used yet'),
  'http-body-printable': accepted('accepted, not used yet'),
  'websocket-payload': accepted('accepted, not used yet'),
  'websocket-payload-printable': accepted('accepted, not used yet'),
  xff: accepted('accepted, not used yet'),
  http: accepted('older option, accepted'),
  tls: accepted('older option, accepted'),
  ssh: accepted('older option, accepted'),
  smtp: accepted('older option, accepted'),
  dnp3: accepted('older option, accepted'),
});

const ANOMALY_DESC = section('anomaly events', {
  enabled: bool(true, 'write anomaly events'),
  types: section('which anomalies', {
    decode: bool(false, 'decoder events'),
    stream: bool(false, 'stream events'),
    applayer: bool(true, 'app-layer parser events'),
  }),
  packethdr: bool(false, 'packet header in base64'),
});

const DROP_DESC = section('drop events', {
  enabled: bool(true, 'write drop events'),
  alerts: bool(false, 'add the alert that caused the drop'),
  flows: oneOf(['all', 'start'], 'start', 'all dropped packets, or the first per flow'),
  verdict: bool(false, 'the verdict object'),
});

const STATS_TYPE_DESC = section('stats events', {
  enabled: bool(true, 'write stats events'),
  totals: bool(true, 'counters of all threads merged'),
  threads: bool(false, 'counters per thread'),
  deltas: bool(false, 'change since the last stats event, as NAME_delta'),
  'null-values': accepted('accepted, not used'),
});

const FLOW_TYPE_DESC = section('flow events', { enabled: bool(true, 'write flow events') });

const HTTP_TYPE_DESC = section('http events', {
  enabled: bool(true, 'write http events'),
  extended: bool(false, 'add http_refer, http_method, protocol, status, redirect and length'),
  'dump-all-headers': oneOf(['none', 'request', 'response', 'both'], 'none', 'log the request headers, the response headers, or both'),
  custom: accepted('header names to log (accepted, not used yet)'),
});

const DNS_TYPE_DESC = section('dns events', {
  enabled: bool(true, 'write dns events'),
  version: int(3, 2, 3, 'format: 3 writes one event per message, 2 one per query and one per response'),
  requests: bool(true, 'log requests (queries)'),
  responses: bool(true, 'log responses (answers)'),
  formats: textList(['detailed', 'grouped'], 'answer lists written: detailed (one item per record), grouped (rdata by record type)'),
  types: accepted('record types to log (accepted, every type is logged)'),
});

/** Answer formats that the dns type's `formats` option takes. */
const DNS_ANSWER_FORMATS = ['detailed', 'grouped'];
const TLS_TYPE_DESC = section('tls events', {
  enabled: bool(true, 'write tls events'),
  extended: bool(false, 'add serial, fingerprint, sni, version, validity dates, ALPNs and subjectaltname'),
  custom: accepted('list of tls fields to write instead (subject, issuer, sni, certificate, chain, ...)'),
  'session-resumption': accepted('accepted, not used yet'),
});

/** Field names that the tls `custom` list takes (Suricata 8). */
export const TLS_CUSTOM_FIELDS = [
  'subject', 'issuer', 'session_resumed', 'serial', 'fingerprint', 'sni', 'version', 'not_before', 'not_after',
  'certificate', 'chain', 'ja3', 'ja3s', 'ja4', 'subjectaltname', 'client', 'client_certificate', 'client_chain',
  'client_alpns', 'server_alpns', 'client_handshake', 'server_handshake',
];

/** Protocol event types Suricata 8 writes; kapu accepts them in `types` and will produce them later. */
export const PROTOCOL_EVENT_TYPES = [
  'http', 'dns', 'mdns', 'tls', 'files', 'smtp', 'websocket', 'ftp', 'ftp-data', 'rdp', 'nfs', 'smb', 'tftp',
  'ike', 'dcerpc', 'krb5', 'bittorrent-dht', 'snmp', 'rfb', 'sip', 'quic', 'ldap', 'pop3', 'imap', 'arp',
  'dhcp', 'ssh', 'mqtt', 'http2', 'doh2', 'pgsql', 'modbus', 'dnp3', 'enip', 'template', 'frame', 'netflow',
  'metadata', 'ntp', 'llmnr',
];

const EVE_DESC = section('an EVE JSON log', {
  enabled: bool(true, 'write this log'),
  filetype: oneOf(['regular'], 'regular', 'only regular files are supported'),
  filename: text('eve.json', 'file name, relative to default-log-dir'),
  'community-id': bool(false, 'community_id field (accepted, not written yet)'),
  'community-id-seed': int(0, 0, 65535, 'community id seed'),
  ethernet: bool(false, 'ether object with the MAC addresses of packet events'),
  'pcap-file': bool(false, 'pcap_filename field naming the capture file'),
  'ipv6-compress': bool(false, 'write IPv6 addresses in compressed form (2001:db8::1)'),
  metadata: accepted('accepted; flow variables (flowbits, flowvars, flowints) and traffic tags are always written'),
  xff: accepted('accepted, not used yet'),
  prefix: accepted('accepted, not used'),
  threaded: accepted('accepted, not used'),
  'buffer-size': accepted('accepted, not used'),
  types: accepted('event types, read by outputs-config.ts'),
});

const FAST_DESC = section('fast.log', {
  enabled: bool(true, 'write fast.log'),
  filename: text('fast.log', 'file name, relative to default-log-dir'),
  append: bool(true, 'append to an existing file'),
  filetype: oneOf(['regular'], 'regular', 'only regular files are supported'),
});

const STATS_LOG_DESC = section('stats.log', {
  enabled: bool(false, 'write stats.log (accepted, not written yet)'),
  filename: text('stats.log', 'file name'),
  append: bool(true, 'append to an existing file'),
  totals: bool(true, 'counters of all threads merged'),
  threads: bool(false, 'counters per thread'),
  'null-values': accepted('accepted, not used'),
});

/** Outputs of Suricata 8 that kapu does not write; listing them enabled gives a warning. */
const UNSUPPORTED_OUTPUTS = new Set([
  'unified2-alert', 'http-log', 'tls-log', 'tls-store', 'dns-log', 'pcap-log', 'alert-debug', 'alert-prelude',
  'syslog', 'drop', 'file-store', 'file-log', 'tcp-data', 'http-body-data', 'lua', 'eve-log-redis',
]);

const OUTPUT_NAMES = ['fast', 'eve-log', 'stats'];

/**
 * The outputs of Suricata 8's stock suricata.yaml that kapu reads, in the
 * same order, used when kapu.yaml has no `outputs` key. Keeping the stock
 * positions lets `--set outputs.1.eve-log.types.2.anomaly...` address the
 * same node as it does in Suricata.
 */
export const DEFAULT_OUTPUTS_YAML = `outputs:
  - fast:
      enabled: yes
      filename: fast.log
      append: yes
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - alert:
            tagged-packets: yes
        - frame:
            enabled: no
        - anomaly:
            enabled: yes
        - http:
            extended: yes
        - dns
        - mdns
        - tls:
            extended: yes
        - files:
            force-magic: no
        - smtp
        - websocket
        - ftp
        - rdp
        - nfs
        - smb
        - tftp
        - ike
        - dcerpc
        - krb5
        - bittorrent-dht
        - snmp
        - rfb
        - sip
        - quic
        - ldap
        - pop3
        - arp:
            enabled: no
        - dhcp:
            enabled: yes
            extended: no
        - ssh
        - mqtt
        - http2
        - doh2
        - pgsql:
            enabled: no
        - stats:
            totals: yes
            threads: no
            deltas: no
        - flow
`;

/** Returns the event types of Suricata 8's stock eve-log (where drop is commented out). */
export function defaultEveTypes(): EveTypesConfig {
  const protocols = PROTOCOL_EVENT_TYPES.filter((p) => !['arp', 'pgsql', 'frame', 'netflow', 'metadata', 'ftp-data', 'imap', 'modbus', 'dnp3', 'enip', 'template', 'ntp', 'llmnr'].includes(p));
  return {
    alert: defaultOf(ALERT_DESC) as EveTypesConfig['alert'] & { metadata: boolean },
    anomaly: flattenAnomaly(defaultOf(ANOMALY_DESC) as Record<string, unknown>),
    drop: { ...(defaultOf(DROP_DESC) as EveTypesConfig['drop']), enabled: false },
    flow: { enabled: true },
    stats: defaultOf(STATS_TYPE_DESC) as EveTypesConfig['stats'],
    protocols,
    filesForceHash: [],
    // The stock suricata.yaml sets `extended: yes` for tls and http.
    tls: { extended: true, custom: null },
    http: { extended: true, dumpAllHeaders: 'none' },
  };
}

/** Reads the `outputs` sequence. */
export function readOutputs(reader: SchemaReader, node: ConfNode): OutputsConfig {
  const out: OutputsConfig = {
    fast: { ...(defaultOf(FAST_DESC) as OutputsConfig['fast']), enabled: false },
    eveLogs: [],
    stats: defaultOf(STATS_LOG_DESC) as OutputsConfig['stats'],
  };
  if (node.kind === 'scalar' && node.value === null) return out;
  if (node.kind !== 'seq') {
    reader.error(node, 'outputs', 'expected a sequence of outputs (- fast: ..., - eve-log: ...)');
    return out;
  }
  node.items.forEach((item, i) => {
    const entry = singleKey(reader, item, `outputs.${i}`);
    if (entry === null) return;
    const [name, options] = entry;
    const path = `outputs.${i}.${name}`;
    if (name === 'fast') {
      out.fast = reader.read(FAST_DESC, options, path) as OutputsConfig['fast'];
    } else if (name === 'eve-log') {
      out.eveLogs.push(readEveLog(reader, options, path));
    } else if (name === 'stats') {
      out.stats = reader.read(STATS_LOG_DESC, options, path) as OutputsConfig['stats'];
    } else if (UNSUPPORTED_OUTPUTS.has(name)) {
      if (isEnabled(options)) reader.warning(item, path, 'output not supported by kapu, ignored');
    } else {
      const nearest = nearestKey(name, OUTPUT_NAMES);
      reader.warning(item, path, `unknown output, ignored (nearest known output: ${nearest})`);
    }
  });
  return out;
}

function readEveLog(reader: SchemaReader, node: ConfNode | undefined, path: string): EveLogConfig {
  const base = reader.read(EVE_DESC, node, path) as Record<string, unknown>;
  delete base['types'];
  const typesNode = node?.kind === 'map' ? node.entries.get('types') : undefined;
  const types = typesNode === undefined ? defaultEveTypes() : readEveTypes(reader, typesNode, `${path}.types`);
  return { ...(base as unknown as EveLogConfig), types: fixAlertMetadata(types) };
}

function readEveTypes(reader: SchemaReader, node: ConfNode, path: string): EveTypesConfig {
  const types: EveTypesConfig = {
    alert: { ...(defaultOf(ALERT_DESC) as EveTypesConfig['alert']), enabled: false },
    anomaly: { ...flattenAnomaly(defaultOf(ANOMALY_DESC) as Record<string, unknown>), enabled: false },
    drop: { ...(defaultOf(DROP_DESC) as EveTypesConfig['drop']), enabled: false },
    flow: { enabled: false },
    stats: { ...(defaultOf(STATS_TYPE_DESC) as EveTypesConfig['stats']), enabled: false },
    protocols: [],
    filesForceHash: [],
    tls: { extended: false, custom: null },
  };
  if (node.kind === 'scalar' && node.value === null) return types;
  if (node.kind !== 'seq') {
    reader.error(node, path, 'expected a sequence of event types');
    return types;
  }
  node.items.forEach((item, i) => {
    const entry = item.kind === 'scalar' && item.value !== null ? ([item.value, undefined] as const) : singleKey(reader, item, `${path}.${i}`);
    if (entry === null) return;
    const [name, options] = entry;
    const itemPath = `${path}.${i}.${name}`;
    switch (name) {
      case 'alert':
        types.alert = reader.read(ALERT_DESC, options, itemPath) as EveTypesConfig['alert'];
        break;
      case 'anomaly':
        types.anomaly = flattenAnomaly(reader.read(ANOMALY_DESC, options, itemPath) as Record<string, unknown>);
        break;
      case 'drop':
        types.drop = reader.read(DROP_DESC, options, itemPath) as EveTypesConfig['drop'];
        break;
      case 'flow':
        types.flow = reader.read(FLOW_TYPE_DESC, options, itemPath) as EveTypesConfig['flow'];
        break;
      case 'stats':
        types.stats = reader.read(STATS_TYPE_DESC, options, itemPath) as EveTypesConfig['stats'];
        break;
      case 'http': {
        const http = reader.read(HTTP_TYPE_DESC, options, itemPath) as { enabled: boolean; extended: boolean; dumpAllHeaders: HttpTypeConfig['dumpAllHeaders'] };
        if (!http.enabled) break;
        types.protocols.push(name);
        types.http = { extended: http.extended, dumpAllHeaders: http.dumpAllHeaders };
        break;
      }
      case 'dns':
        types.dns = readDnsType(reader, options, itemPath);
        if (isEnabled(options)) types.protocols.push(name);
        break;
      case 'tls':
        types.tls = readTlsType(reader, options, itemPath);
        if (isEnabled(options)) types.protocols.push(name);
        break;
      default:
        if (PROTOCOL_EVENT_TYPES.includes(name)) {
          if (isEnabled(options)) types.protocols.push(name);
          if (name === 'files' && isEnabled(options)) types.filesForceHash = readForceHash(reader, options, `${itemPath}.force-hash`);
        } else {
          const nearest = nearestKey(name, ['alert', 'anomaly', 'drop', 'flow', 'stats', ...PROTOCOL_EVENT_TYPES]);
          reader.warning(item, itemPath, `unknown event type, ignored (nearest known type: ${nearest})`);
        }
    }
  });
  return types;
}

/** Reads the `dns` type's options and checks each answer format name. */
function readDnsType(reader: SchemaReader, options: ConfNode | undefined, path: string): DnsTypeConfig {
  const raw = reader.read(DNS_TYPE_DESC, options, path) as Record<string, unknown>;
  const formats = raw['formats'] as string[];
  const formatsNode = options?.kind === 'map' ? options.entries.get('formats') : undefined;
  for (const format of formats) {
    if (!DNS_ANSWER_FORMATS.includes(format) && formatsNode !== undefined) {
      reader.error(formatsNode, `${path}.formats`, `'${format}' is not an answer format (expected detailed or grouped)`);
    }
  }
  return {
    version: raw['version'] as 2 | 3,
    requests: raw['requests'] as boolean,
    responses: raw['responses'] as boolean,
    formats: formats.filter((f) => DNS_ANSWER_FORMATS.includes(f)),
  };
}

/**
 * Reads the tls event options: `extended` and the `custom` field list.
 * Unknown custom field names are warnings and are left out.
 */
function readTlsType(reader: SchemaReader, options: ConfNode | undefined, path: string): EveTypesConfig['tls'] {
  const read = reader.read(TLS_TYPE_DESC, options, path) as { extended: boolean };
  const customNode = options?.kind === 'map' ? options.entries.get('custom') : undefined;
  if (customNode === undefined) return { extended: read.extended, custom: null };
  const names = customNode.kind === 'seq' ? customNode.items.map((item) => item.value) : [customNode.value];
  const custom: string[] = [];
  for (const name of names) {
    if (name !== null && TLS_CUSTOM_FIELDS.includes(name)) custom.push(name);
    else reader.warning(customNode, `${path}.custom`, `'${String(name)}' is not a tls field, ignored (expected one of ${TLS_CUSTOM_FIELDS.join(', ')})`);
  }
  return { extended: read.extended, custom };
}

/** Splits a one-key map item into its name and options; reports other shapes. */
function singleKey(reader: SchemaReader, item: ConfNode, path: string): [string, ConfNode | undefined] | null {
  if (item.kind === 'scalar' && item.value !== null) return [item.value, undefined];
  if (item.kind !== 'map' || item.entries.size === 0) {
    reader.error(item, path, 'expected one name with its options (- name: {...})');
    return null;
  }
  const [name, options] = item.entries.entries().next().value as [string, ConfNode];
  if (item.entries.size > 1) {
    // `- files:` followed by options at its own indentation: YAML makes them
    // siblings of the name. Suricata reads the first key as the name too.
    const others = [...item.entries.keys()].slice(1).join(', ');
    reader.warning(item, `${path}.${name}`, `${others}: not indented under '${name}', ignored`);
  }
  return [name, options];
}

/** Digests that `force-hash` of the `files` event type may name. */
const FORCE_HASH_NAMES = ['md5', 'sha1', 'sha256'];

/** Reads `files: force-hash`, a list or one name. An unknown name gets a warning and is skipped. */
function readForceHash(reader: SchemaReader, options: ConfNode | undefined, path: string): string[] {
  const node = options?.kind === 'map' ? options.entries.get('force-hash') : undefined;
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return [];
  const items = node.kind === 'seq' ? node.items : [node];
  const names: string[] = [];
  for (const item of items) {
    const name = item.kind === 'scalar' && item.value !== null ? item.value.trim().toLowerCase() : '';
    if (FORCE_HASH_NAMES.includes(name)) {
      if (!names.includes(name)) names.push(name);
    } else {
      reader.warning(item, path, `'${item.value ?? ''}' is not a hash name, ignored (allowed: ${FORCE_HASH_NAMES.join(', ')})`);
    }
  }
  return names;
}

function isEnabled(options: ConfNode | undefined): boolean {
  const enabled = options?.kind === 'map' ? options.entries.get('enabled') : undefined;
  if (enabled === undefined || enabled.value === null) return true;
  return parseBoolean(enabled.value) !== false;
}

function flattenAnomaly(raw: Record<string, unknown>): EveTypesConfig['anomaly'] {
  const kinds = raw['types'] as { decode: boolean; stream: boolean; applayer: boolean };
  return {
    enabled: raw['enabled'] as boolean,
    decode: kinds.decode,
    stream: kinds.stream,
    applayer: kinds.applayer,
    packethdr: raw['packethdr'] as boolean,
  };
}

/**
 * Turns the alert `metadata` option into a boolean: absent or `yes` keeps
 * the metadata (Suricata's default), `no` drops it, and a map keeps it
 * unless every entry in it is `no`.
 */
function fixAlertMetadata(types: EveTypesConfig): EveTypesConfig {
  const raw = types.alert.metadata as unknown;
  let metadata = true;
  if (typeof raw === 'string') metadata = parseBoolean(raw) !== false;
  else if (raw !== null && typeof raw === 'object' && Object.keys(raw).length > 0) {
    metadata = Object.values(raw as Record<string, unknown>).some((v) => typeof v !== 'string' || parseBoolean(v) !== false);
  }
  types.alert.metadata = metadata;
  return types;
}

/** Descriptors of the outputs section, for docs/config.md. */
export const OUTPUT_DESCS: Record<string, MapDesc> = {
  fast: FAST_DESC,
  'eve-log': EVE_DESC,
  'eve-log types alert': ALERT_DESC,
  'eve-log types anomaly': ANOMALY_DESC,
  'eve-log types drop': DROP_DESC,
  'eve-log types http': HTTP_TYPE_DESC,
  'eve-log types stats': STATS_TYPE_DESC,
  'eve-log types dns': DNS_TYPE_DESC,
  stats: STATS_LOG_DESC,
};
