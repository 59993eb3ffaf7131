/**
 * TCP urgent data: a segment with the URG flag marks urgent data with its
 * urgent pointer. RFC 6093 section 3.1 reads the pointer as the offset of
 * the byte after the urgent data, and a receiver in the usual (not
 * SO_OOBINLINE) mode takes the last urgent byte, the one before the
 * pointer, out of the stream. An IPS that keeps that byte in its stream
 * inspects other data than the application reads: `GET /malic` URG `X`
 * `ious` reaches the server as `GET /malicious`.
 *
 * `stream.reassembly.urgent.policy` chooses, as in Suricata 8:
 * - inline: the byte stays stream data (the default);
 * - drop: in-line, packets with urgent data are dropped (drop reason
 *   `stream urgent`); otherwise as inline;
 * - oob: the byte is taken out of the stream, as the receiver does;
 * - gap: the byte becomes a gap in the stream.
 * After MAX_URGENT_OOB_BYTES bytes of one direction were taken out of
 * band, `urgent.oob-limit-policy` (inline, drop or gap) applies instead,
 * and stream-event:reassembly_urgent_oob_limit_reached is raised.
 */
import { TcpFlag, type Packet } from '../core/packet.js';

/** Values of `stream.reassembly.urgent.policy` and `oob-limit-policy`. */
export const UrgentPolicy = { INLINE: 0, DROP: 1, OOB: 2, GAP: 3 } as const;

/** Returns the UrgentPolicy of a config value (`inline`, `drop`, `oob`, `gap`); unknown names are inline. */
export function urgentPolicyOf(name: string): number {
  switch (name) {
    case 'drop': return UrgentPolicy.DROP;
    case 'oob': return UrgentPolicy.OOB;
    case 'gap': return UrgentPolicy.GAP;
    default: return UrgentPolicy.INLINE;
  }
}

/**
 * Bytes of one direction taken out of band before oob-limit-policy
 * applies. Suricata counts them in 16 bits, so its limit is this value.
 */
export const MAX_URGENT_OOB_BYTES = 65535;

/**
 * Returns the payload index of the urgent byte of `p`: the byte before
 * the urgent pointer (RFC 6093 section 3.1), or -1 when the packet has no
 * URG flag or the byte lies outside its payload.
 */
export function urgentByteIndex(p: Packet): number {
  if ((p.tcpFlags & TcpFlag.URG) === 0 || p.tcpUrgentPointer === 0) return -1;
  const index = p.tcpUrgentPointer - 1;
  return index < p.payloadLength ? index : -1;
}
