/**
 * The policy stage's hook into the packet path: the pipeline hands every
 * alert it writes to the responder, which acts when the alert's rule has
 * an automatic response (policy.responses). QuarantineManager is one.
 */
import type { Packet } from '../core/packet.js';
import type { Signature } from '../detect/signature.js';
import type { Flow } from '../flow/flow.js';

export interface AlertResponder {
  /** Takes each alert the pipeline writes. It runs on the packet path, so it does only cheap checks there and defers the rest. */
  onAlert(p: Packet, flow: Flow | null, sig: Signature): void;
  /** Adds the responder's counters to `out` under their stats names. */
  collectCounters?(out: Map<string, number>): void;
}
