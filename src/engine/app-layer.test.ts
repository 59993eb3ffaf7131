// End-to-end tests of the application layer: runCapture reads a small
// HTTP, DNS or TLS capture with app-layer rules, and the EVE events are
// compared with values that tshark prints for the capture or with the
// checks of the suricata-verify case it comes from (test/pcaps/SOURCES.md).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCapture } from '../cli/run.js';

const PCAPS = fileURLToPath(new URL('../../../test/pcaps/app/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kapu-app-layer-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type EveEvent = Record<string, unknown> & { event_type: string };

const CONFIG = `%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - drop:
            flows: all
        - anomaly
        - http:
            extended: yes
        - dns
        - tls:
            extended: yes
        - ssh
        - files
        - flow
`;

let caseNumber = 0;

/** Runs `pcap` (under test/pcaps/app/) in IDS mode with `rules` and returns the EVE events. */
async function run(pcap: string, rules: string, sets: string[] = [], mode: 'ids' | 'ips' = 'ids'): Promise<EveEvent[]> {
  const dir = join(scratch, String(++caseNumber));
  const logDir = join(dir, 'log');
  const rulesPath = join(scratch, `${caseNumber}.rules`);
  const configPath = join(scratch, `${caseNumber}.yaml`);
  writeFileSync(rulesPath, rules);
  writeFileSync(configPath, CONFIG);
  await runCapture({
    pcapPath: join(PCAPS, pcap),
    configPath,
    ruleFiles: [rulesPath],
    extraRuleFiles: [],
    logDir,
    checksumMode: 'none',
    sets,
    mode,
    env: {},
    quiet: true,
  });
  return readFileSync(join(logDir, 'eve.json'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EveEvent);
}

function field(e: EveEvent, path: string): unknown {
  let node: unknown = e;
  for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

function select(events: EveEvent[], match: Record<string, unknown>): EveEvent[] {
  return events.filter((e) => Object.entries(match).every(([path, value]) => field(e, path) === value));
}

test('http uri and response line alerts', async () => {
  // http-response-line (suricata-verify): one GET and its response, read
  // midstream. `tshark -r http-response-line.pcap -T fields -e frame.number
  // -e http.request.uri -e http.host` prints "1 /index.html
  // www.openinfosecfoundation.org"; the response line is in frame 2.
  const events = await run(
    'http/http-response-line.pcap',
    [
      'alert http any any -> any any (http_response_line; content:"HTTP/1.0 200 OK"; sid:1;)',
      'alert tcp any any -> any any (http_response_line; content:"200 OK"; sid:2;)',
      'alert http any any -> any any (http.uri; content:"/index.html"; sid:3;)',
      'alert http any any -> any any (http.uri; content:"/other"; sid:4;)',
      'alert tcp any any -> any any (content:"GET /index.html"; sid:5;)',
      '',
    ].join('\n'),
    ['stream.midstream=true'],
  );
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 1 }).length, 1);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 2 }).length, 1);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 4 }).length, 0);

  const uri = select(events, { event_type: 'alert', 'alert.signature_id': 3 });
  assert.equal(uri.length, 1);
  assert.equal(field(uri[0], 'tx_id'), 0);
  assert.equal(field(uri[0], 'app_proto'), 'http');
  assert.equal(field(uri[0], 'http.url'), '/index.html');
  assert.equal(field(uri[0], 'http.hostname'), 'www.openinfosecfoundation.org');

  const response = select(events, { event_type: 'alert', 'alert.signature_id': 1 })[0] as EveEvent;
  assert.equal(field(response, 'direction'), 'to_client');

  // A payload rule keeps working as before: no transaction fields.
  const payload = select(events, { event_type: 'alert', 'alert.signature_id': 5 });
  assert.equal(payload.length, 1);
  assert.equal(field(payload[0], 'tx_id'), undefined);

  const http = select(events, { event_type: 'http' });
  assert.equal(http.length, 1);
  assert.equal(field(http[0], 'http.http_method'), 'GET');
  assert.equal(field(http[0], 'http.status'), 200);
  assert.equal(field(http[0], 'http.http_user_agent'), 'This is dummy message body');
  assert.equal(select(events, { event_type: 'flow', app_proto: 'http' }).length, 1);
});

test('http alerts on arrival in-line', async () => {
  // In-line, the parser reads each packet's data as it arrives, so the
  // request alerts on frame 1 and the response on frame 2. In IDS mode
  // (above) both wait for an acknowledgement, which this capture lacks,
  // and alert when the flow ends.
  const events = await run(
    'http/http-response-line.pcap',
    [
      'alert http any any -> any any (http_response_line; content:"HTTP/1.0 200 OK"; sid:1;)',
      'alert http any any -> any any (http.uri; content:"/index.html"; sid:3;)',
      '',
    ].join('\n'),
    ['stream.midstream=true', 'stream.inline=true'],
  );
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 3, pcap_cnt: 1, tx_id: 0 }).length, 1);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 1, pcap_cnt: 2, tx_id: 0 }).length, 1);
});

test('dns z flag event and records', async () => {
  // dns/dns-z-bit (suricata-verify): a request with the Z bit set and its
  // response; the expected values are that case's checks.
  const events = await run(
    'dns/dns-z-bit.pcap',
    [
      'alert dns any any -> any any (msg:"SURICATA DNS Z flag set"; app-layer-event:dns.z_flag_set; sid:2240006; rev:2;)',
      'alert dns any any -> any any (dns.query; content:"www.google.com"; sid:7;)',
      '',
    ].join('\n'),
  );
  assert.equal(select(events, { event_type: 'dns', 'dns.type': 'request', 'dns.z': true }).length, 1);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 2240006, 'dns.z': true }).length, 1);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 7, pcap_cnt: 1, tx_id: 0 }).length, 1);

  const response = select(events, { event_type: 'dns', 'dns.type': 'response' });
  assert.equal(response.length, 1);
  assert.equal(field(response[0], 'pcap_cnt'), 2);
  assert.equal(field(response[0], 'src_ip'), '8.8.8.8');
  assert.equal(field(response[0], 'src_port'), 53);
  assert.equal(field(response[0], 'dest_port'), 42150);
  assert.equal(field(response[0], 'dns.version'), 3);
  assert.equal(field(response[0], 'dns.rcode'), 'NOERROR');
  const answers = field(response[0], 'dns.answers') as Record<string, unknown>[];
  assert.equal(answers[0]?.rdata, '142.251.32.68');
  assert.equal(answers[0]?.ttl, 58);

  assert.equal(select(events, { event_type: 'flow', app_proto: 'dns', 'flow.alerted': true }).length, 1);
});

test('tls sni alert and tls event', async () => {
  // `tshark -r tls12-client-certificate.pcap -Y tls.handshake.type==1 -T
  // fields -e frame.number -e tls.handshake.extensions_server_name` prints
  // "4 certauth.idrix.fr"; the ServerHello (frame 6) selects 0x0303. In
  // IDS mode the ClientHello is parsed when frame 5 acknowledges it and
  // inspected on the next client packet, frame 8, as Suricata does (its
  // dns/task-7018-ids-dns-keywords case shows the same timing).
  const events = await run(
    'tls/tls12-client-certificate.pcap',
    [
      'alert tls any any -> any any (tls.sni; content:"certauth.idrix.fr"; sid:10;)',
      'alert tls any any -> any any (tls.sni; content:"example.com"; sid:11;)',
      '',
    ].join('\n'),
  );
  const sni = select(events, { event_type: 'alert', 'alert.signature_id': 10 });
  assert.equal(sni.length, 1);
  assert.equal(field(sni[0], 'pcap_cnt'), 8);
  assert.equal(field(sni[0], 'tx_id'), 0);
  assert.equal(field(sni[0], 'tls.sni'), 'certauth.idrix.fr');
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 11 }).length, 0);

  const tls = select(events, { event_type: 'tls' });
  assert.equal(tls.length, 1);
  assert.equal(field(tls[0], 'tls.sni'), 'certauth.idrix.fr');
  assert.equal(field(tls[0], 'tls.version'), 'TLS 1.2');
  assert.equal(field(tls[0], 'dest_port'), 443);
  assert.equal(select(events, { event_type: 'flow', app_proto: 'tls' }).length, 1);
});

test('tls drop blocks the flow in-line', async () => {
  // In IPS mode the parser reads the ClientHello (frame 4) on arrival, the
  // drop rule blocks that packet, and every later packet of the flow is
  // dropped with the flow.
  const events = await run(
    'tls/tls12-client-certificate.pcap',
    'drop tls any any -> any any (tls.sni; content:"certauth.idrix.fr"; sid:20;)\n',
    [],
    'ips',
  );
  const alerts = select(events, { event_type: 'alert', 'alert.signature_id': 20 });
  assert.equal(alerts.length, 1);
  assert.equal(field(alerts[0], 'pcap_cnt'), 4);
  assert.equal(field(alerts[0], 'alert.action'), 'blocked');
  assert.equal(select(events, { event_type: 'drop', pcap_cnt: 4, 'drop.reason': 'rules' }).length, 1);
  assert.equal(select(events, { event_type: 'drop', pcap_cnt: 5, 'drop.reason': 'flow drop' }).length, 1);
});

test('protocol detected per direction', async () => {
  // detect-app-layer-protocol-05: the client sends an HTTP GET (frame 4)
  // to an SSH server, which replies with its banner (frame 6). Each
  // direction keeps its own protocol, and the flow's parser stays HTTP.
  const rules = [
    'alert tcp any any -> any any (flow:to_client; app-layer-protocol:http1,to_server; app-layer-protocol:ssh,to_client; sid:1;)',
    'alert tcp any any -> any any (app-layer-protocol:ssh; flow:to_client; dsize:>0; sid:2;)',
    'alert tcp any any -> any any (app-layer-protocol:ssh; flow:to_server; dsize:>0; sid:3;)',
    'alert tcp any any -> any any (app-layer-protocol:http,final; flow:to_client; dsize:>0; sid:4;)',
    'alert tcp any any -> any any (app-layer-protocol:ssh,either; flow:to_client; dsize:>0; sid:5;)',
  ].join('\n');
  const events = await run('detect/http-to-ssh-server.pcap', rules + '\n');
  // Detection only: once, on the packet that finished the server side's detection.
  const pd = select(events, { event_type: 'alert', 'alert.signature_id': 1 });
  assert.equal(pd.length, 1);
  assert.equal(field(pd[0]!, 'direction'), 'to_client');
  // Frames 6 and 8 carry server data; frame 4 is the only client data.
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 2 }).length, 2);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 3 }).length, 0);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 4 }).length, 2);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 5 }).length, 2);
  assert.equal(select(events, { event_type: 'flow', app_proto: 'http' }).length, 1);
});

test('protocol detection only rule once', async () => {
  // app-layer-protocol-prefilter: the TLS flow has client data only, so its
  // rule fires once. The HTTP flow finishes detection in each direction,
  // so its rule fires once per direction, not on every packet.
  const rules = [
    'alert tcp any any -> any any (app-layer-protocol:tls; sid:1;)',
    'alert tcp any any -> any any (app-layer-protocol:http; sid:2;)',
  ].join('\n');
  const events = await run('detect/tls-http-dns.pcap', rules + '\n');
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 1 }).length, 1);
  const http = select(events, { event_type: 'alert', 'alert.signature_id': 2 });
  assert.equal(http.length, 2);
  assert.deepEqual(http.map((e) => field(e, 'direction')).sort(), ['to_client', 'to_server']);
});

test('http response inspected when complete', async () => {
  // bug-130: the 401 response (frames 6, 8 and 10) has no Content-Length,
  // so it completes only with the server's FIN (frame 12). The HTTP parser,
  // not the PSH flag of frame 6, decides when the response stream is
  // inspected: the payload rule alerts on frame 14, the first packet to the
  // client after the response ended, and carries the response's http object.
  const rules = 'alert tcp any 80 -> any any (flow:to_client,established; content:"WWW-Authenticate|3a| "; nocase; sid:1;)\n';
  const events = await run('http/http-401-close-delimited.pcap', rules, ['detect.guess-applayer-tx=true']);
  const alerts = select(events, { event_type: 'alert', 'alert.signature_id': 1 });
  assert.equal(alerts.length, 1);
  assert.equal(field(alerts[0]!, 'pcap_cnt'), 14);
  assert.equal(field(alerts[0]!, 'http.status'), 401);
  // The session closes with frame 14, which ends both streams: the response
  // completes and is logged on that packet, not at the end of the flow.
  const http = select(events, { event_type: 'http' });
  assert.equal(http.length, 1);
  assert.equal(field(http[0]!, 'pcap_cnt'), 14);
  assert.equal(field(http[0]!, 'http.length'), 1483);
  // The file is the response body, so its event names the server as the source.
  const files = select(events, { event_type: 'fileinfo' });
  assert.equal(files.length, 1);
  assert.equal(field(files[0]!, 'src_ip'), '162.2.41.200');
  assert.equal(field(files[0]!, 'src_port'), 80);
  assert.equal(field(files[0]!, 'fileinfo.size'), 1483);
});

test('http of passed flow logged', async () => {
  // http-fin-close.pcap (suricata-verify bug-130): one GET of
  // /publication/pub.home/home.html and its 401 response with a 1483-byte
  // body. A pass rule stops detection, but the flow's transaction is
  // still parsed and logged, as Suricata does (suricata-verify ips-state-1).
  const events = await run(
    '../flow/http-fin-close.pcap',
    [
      // A rule without payload or flow options passes the whole flow (a packet
      // rule such as flow:to_server would pass only the packet it matches).
      'pass tcp any any -> any 80 (sid:1;)',
      'alert http any any -> any any (http.stat_code; content:"401"; sid:2;)',
      '',
    ].join('\n'),
  );
  assert.equal(select(events, { event_type: 'alert' }).length, 0);
  const http = select(events, { event_type: 'http' });
  assert.equal(http.length, 1);
  assert.equal(field(http[0], 'http.url'), '/publication/pub.home/home.html');
  assert.equal(field(http[0], 'http.status'), 401);
  assert.equal(field(http[0], 'http.length'), 1483);
  const flows = select(events, { event_type: 'flow', app_proto: 'http' });
  assert.equal(flows.length, 1);
  assert.equal(field(flows[0], 'flow.action'), 'pass');
});

test('http body until close ends at close', async () => {
  // http-fin-close.pcap: the 401 response has no Content-Length, so its
  // body runs until the server's FIN. The session is closed by packet 14
  // (the server's ACK of the client's FIN), where Suricata ends both
  // directions of the parser and logs the transaction (suricata-verify
  // bug-130 expects pcap_cnt 14).
  const events = await run('../flow/http-fin-close.pcap', 'alert tcp any any -> any any (content:"never-present"; sid:1;)\n');
  const http = select(events, { event_type: 'http' });
  assert.equal(http.length, 1);
  assert.equal(field(http[0], 'pcap_cnt'), 14);
  assert.equal(field(http[0], 'http.length'), 1483);
  // The server sends the response file, so it is the event's source.
  const files = select(events, { event_type: 'fileinfo' });
  assert.equal(files.length, 1);
  assert.equal(field(files[0], 'src_ip'), '162.2.41.200');
  assert.equal(field(files[0], 'src_port'), 80);
  assert.equal(field(files[0], 'dest_ip'), '10.100.0.8');
  assert.equal(field(files[0], 'fileinfo.size'), 1483);
  assert.equal(field(files[0], 'fileinfo.state'), 'CLOSED');
});
