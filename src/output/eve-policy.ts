/**
 * kapu's gid 8100 (policy) alerts. An automatic quarantine or rate limit
 * is written as an `alert` event about the packet whose alert started it,
 * so every EVE consumer reads it. It has gid 8100, the sid of the action
 * (`policy.quarantine.sid` or `policy.rate-limit.sid`), and the evidence
 * under a top-level `kapu` object: `kapu.quarantine` or `kapu.rate_limit`
 * with the same fields, the rate limit adding its rate.
 */
import type { QuarantineEvent } from '../policy/quarantine-manager.js';
import { closeEvent, type EveContext } from './eve-header.js';
import { formatIp, jsonString, protoHasPorts, protoName } from './eve-format.js';

/** Generator id of kapu's policy alerts (blocked sites, quarantines, policy actions). */
export const POLICY_GID = 8100;

/** Message of the quarantine alert, as rule messages read. */
export const QUARANTINE_SIGNATURE = 'KAPU POLICY host quarantined';

/** Message of the rate-limit alert. */
export const RATE_LIMIT_SIGNATURE = 'KAPU POLICY host rate-limited';

/** Builds one EVE alert line (without the newline) for an automatic quarantine or rate limit. */
export function buildQuarantineAlertEvent(ctx: EveContext, event: QuarantineEvent): string {
  const p = event.evidence.packet;
  const rule = event.evidence.rule;
  const response = event.evidence.response;
  let out = '{"timestamp":"' + ctx.time.iso(p.timestampUs) + '"';
  if (p.flowId !== null) out += ',"flow_id":' + p.flowId;
  if (p.pcapCount !== 0) out += ',"pcap_cnt":' + p.pcapCount;
  out += ',"event_type":"alert"';
  const hasPorts = protoHasPorts(p.ipProto);
  out += ',"src_ip":"' + formatIp(p.srcAddr, p.ipVersion, ctx.ipv6Compress) + '"';
  if (hasPorts) out += ',"src_port":' + p.srcPort;
  out += ',"dest_ip":"' + formatIp(p.dstAddr, p.ipVersion, ctx.ipv6Compress) + '"';
  if (hasPorts) out += ',"dest_port":' + p.dstPort;
  out += ',"proto":' + jsonString(protoName(p.ipProto)) + ',"ip_v":' + p.ipVersion + ',"pkt_src":"wire/pcap"';

  const isApplied = event.error === null;
  const isLimit = event.action === 'rate-limit';
  out += ',"alert":{"action":"' + (isApplied ? 'blocked' : 'allowed') + '","gid":' + POLICY_GID + ',"signature_id":' + event.actionSid;
  out += ',"rev":1,"signature":' + jsonString(isLimit ? RATE_LIMIT_SIGNATURE : QUARANTINE_SIGNATURE) + ',"category":"","severity":1}';
  if (p.appProto !== null) out += ',"app_proto":' + jsonString(p.appProto);
  if (p.direction !== null) out += ',"direction":"' + p.direction + '"';

  out += ',"kapu":{"' + (isLimit ? 'rate_limit' : 'quarantine') + '":{"address":' + jsonString(event.address) + ',"target":"' + response.target + '"';
  out += ',"timeout":' + event.timeoutS + ',"expires":"' + ctx.time.iso(event.expiresMs * 1000) + '"';
  if (response.rate !== null) {
    out += ',"packets_per_second":' + response.rate.packetsPerS;
    if (response.rate.bytesPerS !== null) out += ',"bytes_per_second":' + response.rate.bytesPerS;
  }
  out += ',"applied":' + isApplied;
  if (event.error !== null) out += ',"error":' + jsonString(event.error);
  out += '},"trigger":{"gid":' + rule.gid + ',"signature_id":' + rule.sid + ',"rev":' + rule.rev + ',"signature":' + jsonString(rule.msg) + '}';
  out += ',"policy":{"entry":' + jsonString(response.entry) + ',"action":"' + response.action + '","target":"' + response.target + '","timeout":' + response.timeoutS + '}';
  out += ',"evidence":{"tcp_handshake":' + event.evidence.hasHandshake + '}}';
  return closeEvent(ctx, out);
}
