/**
 * Settings of the flow table, named after suricata.yaml's `flow` and
 * `flow-timeouts` sections, with Suricata 8's defaults: the timeouts are
 * those of the suricata.yaml that Suricata 8 ships, the sizes are the
 * engine's built-in defaults.
 */
import { defaultStreamConfig, type StreamConfig } from '../stream/tcp-session.js';
import { StreamException } from '../stream/reassembly.js';

/** Timeouts of one protocol, in seconds of capture time since the flow's last packet. */
export interface FlowTimeouts {
  /** `new`: flows that are not established (TCP handshake not complete, or one-way traffic). */
  newS: number;
  /** `established`. */
  establishedS: number;
  /** `closed`: TCP flows after FIN/FIN or RST. */
  closedS: number;
  /** `emergency-new`, `emergency-established`, `emergency-closed`: used while the memcap is reached. */
  emergencyNewS: number;
  emergencyEstablishedS: number;
  emergencyClosedS: number;
}

/**
 * Policy names of `flow.memcap-policy`: the action on a packet that needs
 * a new flow when the flow memcap is reached and no flow can be freed. The flow memcap
 * policy applies to the packet only, so drop-flow acts as drop-packet and
 * pass-flow as pass-packet.
 */
export type ExceptionPolicyName =
  | 'auto'
  | 'ignore'
  | 'drop-packet'
  | 'drop-flow'
  | 'pass-packet'
  | 'pass-flow'
  | 'bypass'
  | 'reject';

export interface FlowConfig {
  /** `flow.memcap` in bytes (default 32 MiB). Flows are counted at FLOW_BYTES_ESTIMATE each. */
  memcapBytes: number;
  /** `flow.hash-size`: number of hash buckets (default 65536). */
  hashSize: number;
  /** `flow.prealloc`: flows allocated at start and kept for reuse (default 10000). */
  prealloc: number;
  /**
   * `flow.emergency-recovery`, in percent (default 30): emergency mode ends
   * once the memory in use falls below (100 - this) percent of the memcap.
   */
  emergencyRecoveryPercent: number;
  /** `flow.memcap-policy` (default auto, or the `exception-policy` master switch). */
  memcapPolicy: ExceptionPolicyName;
  /**
   * `stream.midstream-policy` (default auto): the policy for a packet that
   * would start a TCP session without a handshake. See resolveMidstreamAction.
   */
  midstreamPolicy: ExceptionPolicyName;
  /** True in IPS (in-line) mode, which `auto` and the drop policies depend on. */
  isIps: boolean;
  /** `flow-timeouts.default`, `.tcp`, `.udp`, `.icmp`. */
  timeoutsDefault: FlowTimeouts;
  timeoutsTcp: FlowTimeouts;
  timeoutsUdp: FlowTimeouts;
  timeoutsIcmp: FlowTimeouts;
  /** The `stream` settings that session tracking reads. */
  stream: StreamConfig;
}

/** Returns a FlowConfig with Suricata 8's defaults. */
export function defaultFlowConfig(): FlowConfig {
  return {
    memcapBytes: 32 * 1024 * 1024,
    hashSize: 65536,
    prealloc: 10000,
    emergencyRecoveryPercent: 30,
    memcapPolicy: 'auto',
    midstreamPolicy: 'auto',
    isIps: false,
    timeoutsDefault: {
      newS: 30,
      establishedS: 300,
      closedS: 0,
      emergencyNewS: 10,
      emergencyEstablishedS: 100,
      emergencyClosedS: 0,
    },
    timeoutsTcp: {
      newS: 60,
      establishedS: 600,
      closedS: 60,
      emergencyNewS: 5,
      emergencyEstablishedS: 100,
      emergencyClosedS: 10,
    },
    // suricata.yaml gives UDP and ICMP no closed timeouts; they never reach closed.
    timeoutsUdp: {
      newS: 30,
      establishedS: 300,
      closedS: 0,
      emergencyNewS: 10,
      emergencyEstablishedS: 100,
      emergencyClosedS: 0,
    },
    timeoutsIcmp: {
      newS: 30,
      establishedS: 300,
      closedS: 0,
      emergencyNewS: 10,
      emergencyEstablishedS: 100,
      emergencyClosedS: 0,
    },
    stream: defaultStreamConfig(),
  };
}

/** Outcome of the flow memcap policy for the current packet, read by the pipeline. */
export const ExceptionAction = {
  /** No exception: the packet got a flow. */
  NONE: 0,
  /** The limit was hit and ignored: the packet goes on without a flow. */
  IGNORE: 1,
  DROP_PACKET: 2,
  PASS_PACKET: 3,
  BYPASS: 4,
  REJECT: 5,
} as const;

/**
 * Policy names in counter form, by ExceptionAction value. Suricata's stats
 * have no `ignore` counter; collectFlowStats (flow-stats.ts) writes the
 * memcap policy counters as Suricata names them.
 */
export const EXCEPTION_ACTION_COUNTER_NAMES: readonly string[] = [
  '',
  'ignore',
  'drop_packet',
  'pass_packet',
  'bypass',
  'reject',
];

/**
 * Resolves `flow.memcap-policy` to the ExceptionAction applied to packets.
 * `auto` is drop-packet in IPS mode and ignore in IDS mode; in IDS mode no
 * packet can be dropped, so the drop policies become ignore.
 */
export function resolveMemcapAction(policy: ExceptionPolicyName, isIps: boolean): number {
  switch (policy) {
    case 'auto':
      return isIps ? ExceptionAction.DROP_PACKET : ExceptionAction.IGNORE;
    case 'ignore':
      return ExceptionAction.IGNORE;
    case 'drop-packet':
    case 'drop-flow':
      return isIps ? ExceptionAction.DROP_PACKET : ExceptionAction.IGNORE;
    case 'pass-packet':
    case 'pass-flow':
      return ExceptionAction.PASS_PACKET;
    case 'bypass':
      return ExceptionAction.BYPASS;
    case 'reject':
      return ExceptionAction.REJECT;
  }
}

/**
 * Returns why `stream.midstream-policy` cannot be `policy` in this mode, or
 * null when it can. As in Suricata 8, the policy acts on whole flows, so
 * drop-packet and pass-packet are invalid. With `stream.midstream` on,
 * sessions are picked up, so only ignore and pass-flow (and auto) are
 * valid. drop-flow needs IPS mode.
 */
export function midstreamPolicyProblem(policy: ExceptionPolicyName, isIps: boolean, isMidstreamEnabled: boolean): string | null {
  if (policy === 'drop-packet' || policy === 'pass-packet') {
    return `stream.midstream-policy: '${policy}' is not valid, because the policy applies to whole flows (use drop-flow, pass-flow, reject, bypass, ignore or auto)`;
  }
  if (isMidstreamEnabled && policy !== 'auto' && policy !== 'ignore' && policy !== 'pass-flow') {
    return `stream.midstream-policy: '${policy}' is not valid while stream.midstream is true (use pass-flow, ignore or auto)`;
  }
  if (!isIps && policy === 'drop-flow') {
    return `stream.midstream-policy: 'drop-flow' is not valid in IDS mode (use reject, pass-flow, bypass, ignore or auto)`;
  }
  return null;
}

/**
 * Resolves `stream.midstream-policy` to the StreamException applied to a
 * packet that would start a session without a handshake. `auto` is
 * drop-flow in IPS mode while `stream.midstream` is false, and ignore
 * otherwise. In IDS mode nothing is dropped, so reject acts as ignore.
 * Call midstreamPolicyProblem first: invalid combinations resolve to ignore.
 */
export function resolveMidstreamAction(policy: ExceptionPolicyName, isIps: boolean, isMidstreamEnabled: boolean): number {
  if (midstreamPolicyProblem(policy, isIps, isMidstreamEnabled) !== null) return StreamException.IGNORE;
  switch (policy) {
    case 'auto':
      return isIps && !isMidstreamEnabled ? StreamException.DROP_FLOW : StreamException.IGNORE;
    case 'drop-flow':
      return StreamException.DROP_FLOW;
    case 'reject':
      return isIps ? StreamException.REJECT : StreamException.IGNORE;
    case 'pass-flow':
      return StreamException.PASS_FLOW;
    case 'bypass':
      return StreamException.BYPASS;
    default:
      return StreamException.IGNORE;
  }
}
