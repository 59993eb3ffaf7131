import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config.js';
import { ConfigError, ErrorCode, KapuError } from '../core/errors.js';

const MIB = 1024 * 1024;

function writeConfig(text: string, name = 'kapu.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-config-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function configProblems(path: string | null, sets: string[] = []): string[] {
  try {
    loadConfig(path, sets);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, ErrorCode.CONFIG_INVALID);
    return err.problems;
  }
  assert.fail('loadConfig did not throw');
}

test('config defaults are Suricata 8 stock values', () => {
  const { config, warnings } = loadConfig(null, []);
  assert.deepEqual(warnings, []);
  // Values of Suricata 8.0's stock suricata.yaml.
  assert.equal(config.stream.memcap, 64 * MIB);
  assert.equal(config.stream.reassembly.memcap, 256 * MIB);
  assert.equal(config.stream.reassembly.depth, MIB);
  assert.equal(config.stream.midstream, false);
  assert.equal(config.stream.inline, 'auto');
  assert.equal(config.flow.memcap, 128 * MIB);
  assert.equal(config.flow.hashSize, 65536);
  assert.equal(config.flow.prealloc, 10000);
  assert.equal(config.flowTimeouts.tcp.established, 600);
  assert.equal(config.flowTimeouts.tcp.emergencyNew, 5);
  assert.equal(config.flowTimeouts.udp.new, 30);
  assert.equal(config.flowTimeouts.udp.closed, undefined);
  assert.equal(config.defrag.memcap, 32 * MIB);
  assert.equal(config.defrag.timeout, 60);
  assert.equal(config.defrag.trackers, 65535);
  assert.equal(config.pcapFile.checksumChecks, 'auto');
  assert.deepEqual(config.actionOrder, ['pass', 'drop', 'reject', 'alert']);
  assert.equal(config.packetAlertMax, 15);
  assert.equal(config.detect.profile, 'medium');
  assert.equal(config.detect.inspectionRecursionLimit, 3000);
  assert.equal(config.detect.thresholds.hashSize, 16384);
  assert.equal(config.stats.interval, 8);
  assert.equal(config.stats.decoderEvents, true);
  assert.equal(config.stats.streamEvents, false);
  assert.equal(config.vars.addressGroups['HOME_NET'], '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]');
  assert.equal(config.vars.portGroups['HTTP_PORTS'], '80');
  assert.deepEqual(config.hostOsPolicy['windows'], ['0.0.0.0/0']);
  assert.deepEqual(config.hostOsPolicy['old-linux'], []);
  assert.equal(config.thresholdFile, null);
  assert.equal(config.policy.mode, 'ids');
});

test('config default outputs match stock eve-log', () => {
  const { config } = loadConfig(null, []);
  assert.equal(config.outputs.fast.enabled, true);
  assert.equal(config.outputs.eveLogs.length, 1);
  const eve = config.outputs.eveLogs[0]!;
  assert.equal(eve.filename, 'eve.json');
  assert.equal(eve.types.alert.enabled, true);
  assert.equal(eve.types.alert.taggedPackets, true);
  assert.equal(eve.types.alert.payload, false);
  assert.equal(eve.types.alert.metadata, true);
  assert.equal(eve.types.anomaly.enabled, true);
  assert.equal(eve.types.anomaly.decode, false);
  assert.equal(eve.types.anomaly.stream, false);
  assert.equal(eve.types.anomaly.applayer, true);
  assert.equal(eve.types.drop.enabled, false);
  assert.equal(eve.types.flow.enabled, true);
  assert.equal(eve.types.stats.totals, true);
  assert.equal(eve.types.stats.deltas, false);
  assert.ok(eve.types.protocols.includes('http'));
});

test('config bad byte size names line', () => {
  const path = writeConfig(
    ['stream:', '  memcap: 64mb', '  reassembly:', '    memcap: 256mb', '    depth: 1 MiBB', ''].join('\n'),
  );
  assert.deepEqual(configProblems(path), [
    "kapu.yaml:5: stream.reassembly.depth: '1 MiBB' is not a byte size (expected a number with an optional unit kb, mb or gb)",
  ]);
});

test('config lists every invalid value', () => {
  const path = writeConfig(
    [
      'flow:',
      '  hash-size: lots',
      'stream:',
      '  midstream: maybe',
      'pcap-file:',
      '  checksum-checks: sometimes',
      'policy:',
      '  mode: firewall',
      'defrag:',
      '  trackers: 0',
      '',
    ].join('\n'),
  );
  assert.deepEqual(configProblems(path), [
    "kapu.yaml:2: flow.hash-size: 'lots' is not a whole number",
    "kapu.yaml:4: stream.midstream: 'maybe' is not a boolean (expected yes, no, true, false, on or off)",
    "kapu.yaml:6: pcap-file.checksum-checks: 'sometimes' is not allowed (expected auto, yes or no)",
    "kapu.yaml:8: policy.mode: 'firewall' is not allowed (expected ids, ips)",
    "kapu.yaml:10: defrag.trackers: '0' is out of range (expected 1 to 268435456)",
  ]);
});

test('config map where value expected', () => {
  const path = writeConfig(['stream:', '  memcap:', '    a: 1', ''].join('\n'));
  assert.deepEqual(configProblems(path), ['kapu.yaml:2: stream.memcap: expected a single value, found a map']);
});

test('config unknown key names nearest key', () => {
  const path = writeConfig(['strem:', '  memcap: 1mb', 'stream:', '  reasembly:', '    depth: 2mb', ''].join('\n'));
  const { config, warnings } = loadConfig(path, []);
  assert.deepEqual(warnings, [
    'kapu.yaml:1: strem: unknown key, ignored (nearest known key: stream)',
    'kapu.yaml:4: stream.reasembly: unknown key, ignored (nearest known key: stream.reassembly)',
  ]);
  assert.equal(config.stream.reassembly.depth, MIB);
});

test('config suricata-only key is a warning', () => {
  const path = writeConfig(['af-packet:', '  - interface: eth0', 'threading:', '  set-cpu-affinity: no', ''].join('\n'));
  const { warnings } = loadConfig(path, []);
  assert.deepEqual(warnings, [
    'kapu.yaml:1: af-packet: not supported by kapu, ignored',
    'kapu.yaml:3: threading: not supported by kapu, ignored',
  ]);
});

test('config reads suricata.yaml header and units', () => {
  const path = writeConfig(
    [
      '%YAML 1.1',
      '---',
      '',
      'vars:',
      '  address-groups:',
      '    HOME_NET: "[198.51.100.0/24]"',
      '  port-groups:',
      '    HTTP_PORTS: "[80,8080]"',
      '    ORACLE_PORTS: 1521',
      'default-log-dir: /var/log/suricata/',
      'stream:',
      '  memcap: 64 MiB',
      '  checksum-validation: yes',
      '  inline: auto',
      '  reassembly:',
      '    memcap: 256 MiB',
      '    depth: 1 MiB',
      '    toserver-chunk-size: 2560',
      'flow:',
      '  memcap: 128mb',
      'defrag:',
      '  memcap: 32 MiB',
      '  prealloc: yes',
      'flow-timeouts:',
      '  tcp:',
      '    established: 3600',
      '  udp:',
      '    new: 1m',
      'detect:',
      '  profile: high',
      '  custom-values:',
      '    toclient-groups: 3',
      'app-layer:',
      '  protocols:',
      '    tls:',
      '      enabled: yes',
      '      detection-ports:',
      '        dp: 443',
      'host-os-policy:',
      '  windows: [0.0.0.0/0]',
      '  linux: [198.51.100.0/24]',
      'stats:',
      '  enabled: off',
      'policy:',
      '  mode: IPS',
      '',
    ].join('\n'),
  );
  const { config, warnings } = loadConfig(path, []);
  assert.deepEqual(warnings, []);
  assert.equal(config.vars.addressGroups['HOME_NET'], '[198.51.100.0/24]');
  assert.equal(config.vars.addressGroups['EXTERNAL_NET'], '!$HOME_NET');
  assert.equal(config.vars.portGroups['HTTP_PORTS'], '[80,8080]');
  assert.equal(config.vars.portGroups['ORACLE_PORTS'], '1521');
  assert.equal(config.stream.memcap, 64 * MIB);
  assert.equal(config.flow.memcap, 128 * MIB);
  assert.equal(config.flowTimeouts.tcp.established, 3600);
  assert.equal(config.flowTimeouts.udp.new, 60);
  assert.equal(config.detect.profile, 'high');
  assert.deepEqual(config.appLayer.protocols, { tls: { enabled: 'yes', 'detection-ports': { dp: '443' } } });
  assert.deepEqual(config.hostOsPolicy['linux'], ['198.51.100.0/24']);
  assert.equal(config.stats.enabled, false);
  assert.equal(config.policy.mode, 'ips');
});

test('config yaml anchors and aliases', () => {
  const path = writeConfig(
    ['common: &net "[198.51.100.0/24]"', 'vars:', '  address-groups:', '    HOME_NET: *net', ''].join('\n'),
  );
  const { config, warnings } = loadConfig(path, []);
  assert.equal(config.vars.addressGroups['HOME_NET'], '[198.51.100.0/24]');
  assert.deepEqual(warnings, ['kapu.yaml:1: common: unknown key, ignored (nearest known key: flow)']);
});

test('config top-level include merges keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-include-'));
  writeFileSync(join(dir, 'extra.yaml'), ['stream:', '  midstream: true', ''].join('\n'));
  writeFileSync(join(dir, 'vars.yaml'), ['address-groups:', '  HOME_NET: "[203.0.113.0/24]"', ''].join('\n'));
  writeFileSync(
    join(dir, 'kapu.yaml'),
    ['%YAML 1.1', '---', 'include: extra.yaml', 'vars: !include vars.yaml', ''].join('\n'),
  );
  const { config } = loadConfig(join(dir, 'kapu.yaml'), []);
  assert.equal(config.stream.midstream, true);
  assert.equal(config.vars.addressGroups['HOME_NET'], '[203.0.113.0/24]');
});

test('config error in included file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-include-'));
  writeFileSync(join(dir, 'extra.yaml'), ['flow:', '  memcap: big', ''].join('\n'));
  writeFileSync(join(dir, 'kapu.yaml'), ['include:', '  - extra.yaml', '  - missing.yaml', ''].join('\n'));
  assert.deepEqual(configProblems(join(dir, 'kapu.yaml')), [
    'missing.yaml: failed to read config file (file not found)',
    "extra.yaml:2: flow.memcap: 'big' is not a byte size (expected a number with an optional unit kb, mb or gb)",
  ]);
});

test('config set overrides typed value', () => {
  const path = writeConfig(['stream:', '  reassembly:', '    depth: 1mb', ''].join('\n'));
  const { config } = loadConfig(path, ['stream.reassembly.depth=50', 'flow.memcap=1gb', 'stream.midstream=true']);
  assert.equal(config.stream.reassembly.depth, 50);
  assert.equal(config.flow.memcap, 1024 * MIB);
  assert.equal(config.stream.midstream, true);
});

test('config set creates missing maps', () => {
  const { config } = loadConfig(null, ['threshold-file=/tmp/threshold.config', 'vars.address-groups.HOME_NET=[203.0.113.0/24]']);
  assert.equal(config.thresholdFile, '/tmp/threshold.config');
  assert.equal(config.vars.addressGroups['HOME_NET'], '[203.0.113.0/24]');
  assert.equal(config.vars.addressGroups['EXTERNAL_NET'], '!$HOME_NET');
});

test('config set indexes sequences', () => {
  // The form suricata-verify's stream-depth-reached-event test uses.
  const path = writeConfig(
    [
      'outputs:',
      '  - fast:',
      '      enabled: no',
      '  - eve-log:',
      '      enabled: yes',
      '      types:',
      '        - alert',
      '        - flow',
      '        - anomaly:',
      '            enabled: yes',
      '',
    ].join('\n'),
  );
  const { config } = loadConfig(path, [
    'outputs.1.eve-log.types.2.anomaly.types.stream=yes',
    'outputs.1.eve-log.types.1.flow.enabled=no',
  ]);
  const eve = config.outputs.eveLogs[0]!;
  assert.equal(eve.types.anomaly.stream, true);
  assert.equal(eve.types.anomaly.decode, false);
  assert.equal(eve.types.flow.enabled, false);
  assert.equal(eve.types.alert.enabled, true);
  assert.equal(config.outputs.fast.enabled, false);
});

test('config set on stock outputs', () => {
  // suricata-verify stream-depth-reached-event sets this on Suricata's stock suricata.yaml.
  const { config } = loadConfig(null, ['stream.reassembly.depth=50', 'outputs.1.eve-log.types.2.anomaly.types.stream=yes']);
  const eve = config.outputs.eveLogs[0]!;
  assert.equal(eve.types.anomaly.stream, true);
  assert.equal(eve.types.anomaly.applayer, true);
  assert.equal(eve.types.flow.enabled, true);
  assert.equal(config.outputs.fast.enabled, true);
});

test('config set bad value names key', () => {
  assert.deepEqual(configProblems(null, ['stream.reassembly.depth=1 MiBB', 'nonsense']), [
    "--set 'nonsense': expected key=value",
    "--set stream.reassembly.depth: '1 MiBB' is not a byte size (expected a number with an optional unit kb, mb or gb)",
  ]);
});

test('config set unknown key warns', () => {
  const { warnings } = loadConfig(null, ['stream.reassembly.dept=5']);
  assert.deepEqual(warnings, ['--set stream.reassembly.dept: unknown key, ignored (nearest known key: stream.reassembly.depth)']);
});

test('config outputs from a verify suricata.yaml', () => {
  const path = writeConfig(
    [
      '%YAML 1.1',
      '---',
      '',
      'outputs:',
      '  - eve-log:',
      '      enabled: yes',
      '      filetype: regular',
      '      filename: eve.json',
      '      types:',
      '        - alert',
      '        - drop:',
      '            flows: all',
      '            alerts: true',
      '        - http',
      '        - anomaly',
      '        - flwo',
      '',
    ].join('\n'),
  );
  const { config, warnings } = loadConfig(path, []);
  assert.deepEqual(warnings, ['kapu.yaml:16: outputs.0.eve-log.types.4.flwo: unknown event type, ignored (nearest known type: flow)']);
  const eve = config.outputs.eveLogs[0]!;
  assert.equal(eve.types.drop.enabled, true);
  assert.equal(eve.types.drop.flows, 'all');
  assert.equal(eve.types.drop.alerts, true);
  assert.equal(eve.types.anomaly.enabled, true);
  assert.equal(eve.types.flow.enabled, false);
  assert.deepEqual(eve.types.protocols, ['http']);
  // A bare `- http` logs the basic fields only, as Suricata does.
  assert.deepEqual(eve.types.http, { extended: false, dumpAllHeaders: 'none' });
  assert.equal(config.outputs.fast.enabled, false);
});

test('config eve http options', () => {
  const lines = ['outputs:', '  - eve-log:', '      types:', '        - http:', '            extended: yes', '            dump-all-headers: both', ''];
  const { config } = loadConfig(writeConfig(lines.join('\n')), []);
  assert.deepEqual(config.outputs.eveLogs[0]!.types.http, { extended: true, dumpAllHeaders: 'both' });
  const off = ['outputs:', '  - eve-log:', '      types:', '        - http:', '            enabled: no', ''];
  const disabled = loadConfig(writeConfig(off.join('\n')), []).config.outputs.eveLogs[0]!.types;
  assert.deepEqual(disabled.protocols, []);
  assert.equal(disabled.http, undefined);
});

test('config eve filetype other than regular', () => {
  const path = writeConfig(['outputs:', '  - eve-log:', '      filetype: redis', ''].join('\n'));
  assert.deepEqual(configProblems(path), [
    "kapu.yaml:3: outputs.0.eve-log.filetype: 'redis' is not allowed (expected regular)",
  ]);
});

test('config unsupported output enabled warns', () => {
  const path = writeConfig(
    ['outputs:', '  - pcap-log:', '      enabled: yes', '  - http-log:', '      enabled: no', '  - fsat:', '      enabled: yes', ''].join('\n'),
  );
  const { warnings } = loadConfig(path, []);
  assert.deepEqual(warnings, [
    'kapu.yaml:2: outputs.0.pcap-log: output not supported by kapu, ignored',
    'kapu.yaml:6: outputs.2.fsat: unknown output, ignored (nearest known output: fast)',
  ]);
});

test('config falls back like Suricata', () => {
  const path = writeConfig(['packet-alert-max: 0', 'stream:', '  inline: true', 'pcap-file:', '  checksum-checks: no', ''].join('\n'));
  const { config, warnings } = loadConfig(path, []);
  // suricata-verify alert-max-default: an invalid value falls back to 15.
  assert.deepEqual(warnings, ["kapu.yaml:1: packet-alert-max: '0' is out of range (expected 1 to 1000), using 15"]);
  assert.equal(config.packetAlertMax, 15);
  assert.equal(config.stream.inline, 'yes');
  assert.equal(config.pcapFile.checksumChecks, 'no');
});

test('config type options not indented', () => {
  const path = writeConfig(
    ['outputs:', '  - eve-log:', '      types:', '        - files:', '          force-magic: true', '        - alert', ''].join('\n'),
  );
  const { config, warnings } = loadConfig(path, []);
  assert.deepEqual(warnings, ["kapu.yaml:4: outputs.0.eve-log.types.0.files: force-magic: not indented under 'files', ignored"]);
  assert.deepEqual(config.outputs.eveLogs[0]!.types.protocols, ['files']);
  assert.equal(config.outputs.eveLogs[0]!.types.alert.enabled, true);
});

test('config action-order checks', () => {
  const path = writeConfig(['action-order:', '  - pass', '  - alert', '  - alert', '  - dorp', ''].join('\n'));
  assert.deepEqual(configProblems(path), [
    "kapu.yaml:4: action-order: 'alert' is listed twice (expected each of pass, drop, reject and alert once)",
    "kapu.yaml:5: action-order: 'dorp' is not an action (expected pass, drop, reject and alert)",
    'kapu.yaml:1: action-order: missing drop, reject (expected each of pass, drop, reject and alert once)',
  ]);
});

test('config invalid yaml names line', () => {
  const path = writeConfig(['stream:', '  memcap: 1mb', ' bad: [', ''].join('\n'));
  const problems = configProblems(path);
  assert.equal(problems.length >= 1, true);
  assert.match(problems[0]!, /^kapu\.yaml:\d+: invalid YAML: /);
});

test('config missing file', () => {
  assert.throws(
    () => loadConfig('/nonexistent/kapu.yaml', []),
    (err: unknown) => err instanceof KapuError && err.code === ErrorCode.CONFIG_NOT_FOUND,
  );
});

test('config files force-hash list', () => {
  const path = writeConfig(
    ['outputs:', '  - eve-log:', '      types:', '        - files:', '            force-hash: [md5, SHA256, crc32]', ''].join('\n'),
  );
  const { config, warnings } = loadConfig(path, []);
  assert.deepEqual(warnings, ["kapu.yaml:5: outputs.0.eve-log.types.0.files.force-hash: 'crc32' is not a hash name, ignored (allowed: md5, sha1, sha256)"]);
  assert.deepEqual(config.outputs.eveLogs[0]!.types.filesForceHash, ['md5', 'sha256']);
});

test('config files force-hash default empty', () => {
  const { config } = loadConfig(null, []);
  assert.deepEqual(config.outputs.eveLogs[0]!.types.filesForceHash, []);
});
