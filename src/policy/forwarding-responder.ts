/**
 * The alert responder of a worker thread: alerts that a response
 * (quarantine or rate limit) names become plain-data requests for the main
 * thread, whose QuarantineManager decides them, as it decides its own in
 * one thread. The handshake fact travels in the evidence.
 */
import type { Flow } from '../flow/flow.js';
import type { Packet } from '../core/packet.js';
import type { Signature } from '../detect/signature.js';
import type { AlertResponder } from './alert-responder.js';
import { quarantineRequestOf, responsesBySidOf, type QuarantineEvidence, type QuarantineResponse } from './quarantine-manager.js';

/** One quarantine or rate-limit request sent from a worker to the main thread; evidence.response names the action. */
export interface ForwardedQuarantine {
  type: 'quarantine';
  target: Uint8Array;
  evidence: QuarantineEvidence;
}

export class ForwardingResponder implements AlertResponder {
  private readonly responsesBySid: Map<number, QuarantineResponse[]>;

  /** `send` posts a request to the main thread (parentPort.postMessage). */
  constructor(
    responses: readonly QuarantineResponse[],
    private readonly send: (request: ForwardedQuarantine) => void,
  ) {
    this.responsesBySid = responsesBySidOf(responses);
  }

  onAlert(p: Packet, flow: Flow | null, sig: Signature): void {
    if (!this.responsesBySid.has(sig.sid)) return;
    const request = quarantineRequestOf(this.responsesBySid, p, flow, sig);
    if (request !== null) this.send({ type: 'quarantine', target: request.target, evidence: request.evidence });
  }
}
