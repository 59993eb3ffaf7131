/**
 * The `quarantine` action of anomaly.actions: a finding's genuine source
 * becomes a request to the run's QuarantineManager, with the finding as
 * the evidence. AnomalyActions has already checked that the source
 * completed a TCP handshake; the manager still applies the never-block
 * list and its own rate limit, and writes the gid 8100 alert.
 */
import { findingSignature, type AnomalyFinding } from '../anomaly/finding.js';
import { IpProto } from '../core/packet.js';
import type { AnomalyFirewall } from './anomaly-actions.js';
import { parsePrefix } from './quarantine-address.js';
import type { QuarantineEvidence, QuarantineManager } from './quarantine-manager.js';

/** gid of the anomaly findings. */
const ANOMALY_GID = 8200;

/** Requests the quarantine of `address` for `timeoutS` seconds because of `finding`. */
export function requestAnomalyQuarantine(manager: QuarantineManager, address: string, timeoutS: number, finding: AnomalyFinding): void {
  const parsed = parsePrefix(address);
  if (!parsed.ok) return;
  const source = parsed.prefix.bytes;
  const victim = finding.destIp !== null ? parsePrefix(finding.destIp) : null;
  const evidence: QuarantineEvidence = {
    rule: { gid: ANOMALY_GID, sid: finding.type, rev: 1, msg: findingSignature(finding) },
    response: { entry: 'anomaly.actions', gid: ANOMALY_GID, sid: finding.type, action: 'quarantine', target: 'src', timeoutS, rate: null },
    packet: {
      timestampUs: finding.timestampUs,
      flowId: null,
      pcapCount: 0,
      ipVersion: parsed.prefix.family,
      ipProto: IpProto.TCP,
      srcAddr: source,
      dstAddr: victim !== null && victim.ok ? victim.prefix.bytes : new Uint8Array(source.length),
      srcPort: 0,
      dstPort: 0,
      appProto: null,
      direction: null,
    },
    hasHandshake: true,
  };
  manager.request(source, evidence, null);
}

/** Returns `firewall` with quarantine requests going to `manager`. */
export function withQuarantine(firewall: AnomalyFirewall, manager: QuarantineManager): AnomalyFirewall {
  return {
    limitSource: (address, timeoutS) => firewall.limitSource(address, timeoutS),
    dropVictim: (address, timeoutS) => firewall.dropVictim(address, timeoutS),
    quarantineSource: (address, timeoutS, finding) => requestAnomalyQuarantine(manager, address, timeoutS, finding),
  };
}
