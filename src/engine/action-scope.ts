/**
 * Whether a drop, reject or pass rule acts on the whole flow or on the packet
 * that matched, as Suricata 7 and 8 decide it from the signature's type:
 *
 * - IP-only rules (addresses, ports and protocol only), app-layer rules and
 *   stream rules act on the flow, so later packets of a dropped flow are
 *   dropped with reason `flow drop` without inspection, and later packets of
 *   a passed flow are not inspected.
 * - Packet rules (header keywords, decoder events, payload content) act on
 *   the matching packet alone. A payload rule on TCP acts on the flow when
 *   it matched reassembled stream data; the pipeline checks that per match.
 */
import { PKT_DATA } from '../detect/keywords/pkt-data.js';
import { ProtoKind, protoKindOf } from '../detect/rule-group.js';
import type { Signature } from '../detect/signature.js';

const flowScopes = new WeakMap<Signature, boolean>();

function computeFlowScope(sig: Signature): boolean {
  const kind = protoKindOf(sig.proto);
  if (kind === ProtoKind.APP || kind === ProtoKind.TCP_STREAM) return true;
  for (const inspection of sig.buffers) {
    if (inspection.buffer !== PKT_DATA) return true;
  }
  return sig.packetMatches.length === 0 && sig.buffers.length === 0 && sig.flowFlags === 0;
}

/** Tells whether a drop, reject or pass by `sig` applies to the flow rather than only the packet. */
export function isFlowScopedAction(sig: Signature): boolean {
  let scope = flowScopes.get(sig);
  if (scope === undefined) {
    scope = computeFlowScope(sig);
    flowScopes.set(sig, scope);
  }
  return scope;
}
