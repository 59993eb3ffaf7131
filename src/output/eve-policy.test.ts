import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampFormatter } from './eve-time.js';
import { buildQuarantineAlertEvent } from './eve-policy.js';
import type { QuarantineEvent } from '../policy/quarantine-manager.js';

const CTX = { time: new TimestampFormatter(0), ipsMode: true, ipv6Compress: false, ethernet: false, pcapFilename: null };
const TS_US = Date.UTC(2026, 11, 5, 3, 0, 0) * 1000 + 250;

function event(error: string | null): QuarantineEvent {
  return {
    action: 'quarantine',
    actionSid: 7,
    address: '198.51.100.2',
    timeoutS: 3,
    expiresMs: Date.UTC(2026, 11, 5, 3, 0, 3),
    error,
    evidence: {
      rule: { gid: 1, sid: 1000010, rev: 1, msg: 'lab "quarantine" trigger' },
      response: { entry: 'policy.responses.0', gid: 1, sid: 1000010, action: 'quarantine', target: 'src', timeoutS: 3, rate: null },
      hasHandshake: true,
      packet: {
        timestampUs: TS_US, flowId: 1234, pcapCount: 0, ipVersion: 4, ipProto: 6,
        srcAddr: Uint8Array.of(198, 51, 100, 2), dstAddr: Uint8Array.of(203, 0, 113, 2),
        srcPort: 40000, dstPort: 8080, appProto: 'http', direction: 'to_server',
      },
    },
  };
}

test('quarantine alert is gid 8100', () => {
  const line = buildQuarantineAlertEvent(CTX, event(null));
  assert.equal(line, '{"timestamp":"2026-12-05T03:00:00.000250+0000","flow_id":1234,"event_type":"alert","src_ip":"198.51.100.2","src_port":40000,'
    + '"dest_ip":"203.0.113.2","dest_port":8080,"proto":"TCP","ip_v":4,"pkt_src":"wire/pcap",'
    + '"alert":{"action":"blocked","gid":8100,"signature_id":7,"rev":1,"signature":"KAPU POLICY host quarantined","category":"","severity":1},'
    + '"app_proto":"http","direction":"to_server",'
    + '"kapu":{"quarantine":{"address":"198.51.100.2","target":"src","timeout":3,"expires":"2026-12-05T03:00:03.000000+0000","applied":true},'
    + '"trigger":{"gid":1,"signature_id":1000010,"rev":1,"signature":"lab \\"quarantine\\" trigger"},'
    + '"policy":{"entry":"policy.responses.0","action":"quarantine","target":"src","timeout":3},"evidence":{"tcp_handshake":true}}}');
  const parsed = JSON.parse(line) as { alert: { gid: number }; kapu: { quarantine: { address: string } } };
  assert.equal(parsed.alert.gid, 8100);
  assert.equal(parsed.kapu.quarantine.address, '198.51.100.2');
});

test('failed quarantine alert allowed', () => {
  const parsed = JSON.parse(buildQuarantineAlertEvent(CTX, event('nft could not quarantine 198.51.100.2'))) as { alert: { action: string }; kapu: { quarantine: { applied: boolean; error: string } } };
  assert.equal(parsed.alert.action, 'allowed');
  assert.equal(parsed.kapu.quarantine.applied, false);
  assert.equal(parsed.kapu.quarantine.error, 'nft could not quarantine 198.51.100.2');
});

test('rate limit alert is gid 8100', () => {
  const quarantine = event(null);
  const limit: QuarantineEvent = {
    ...quarantine,
    action: 'rate-limit',
    actionSid: 8,
    evidence: { ...quarantine.evidence, response: { ...quarantine.evidence.response, action: 'rate-limit', rate: { packetsPerS: 20, bytesPerS: 50_000 } } },
  };
  const line = buildQuarantineAlertEvent(CTX, limit);
  assert.equal(line, '{"timestamp":"2026-12-05T03:00:00.000250+0000","flow_id":1234,"event_type":"alert","src_ip":"198.51.100.2","src_port":40000,'
    + '"dest_ip":"203.0.113.2","dest_port":8080,"proto":"TCP","ip_v":4,"pkt_src":"wire/pcap",'
    + '"alert":{"action":"blocked","gid":8100,"signature_id":8,"rev":1,"signature":"KAPU POLICY host rate-limited","category":"","severity":1},'
    + '"app_proto":"http","direction":"to_server",'
    + '"kapu":{"rate_limit":{"address":"198.51.100.2","target":"src","timeout":3,"expires":"2026-12-05T03:00:03.000000+0000","packets_per_second":20,"bytes_per_second":50000,"applied":true},'
    + '"trigger":{"gid":1,"signature_id":1000010,"rev":1,"signature":"lab \\"quarantine\\" trigger"},'
    + '"policy":{"entry":"policy.responses.0","action":"rate-limit","target":"src","timeout":3},"evidence":{"tcp_handshake":true}}}');
});
