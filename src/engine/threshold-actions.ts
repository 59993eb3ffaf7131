/**
 * Records, per packet, what the threshold engine decided for each matching
 * signature, so the policy stage can apply the actions of matches that
 * raised no alert. The detection engine queues only the signatures that
 * alert, but in Suricata a suppressed or limited drop rule still drops.
 * A rate_filter also replaces the rule's action: a new action of pass
 * removes the alert, and drop or reject drops the packet with reason
 * `threshold detection_filter`.
 */
import type { Flow } from '../flow/flow.js';
import type { Packet } from '../core/packet.js';
import type { ThresholdHook } from '../detect/detect-engine.js';
import { Action, type Signature } from '../detect/signature.js';
import { enterOrderGate } from '../core/order-gate.js';
import type { ThresholdEngine } from '../detect/threshold.js';
import type { RateFilterEntry, SuppressEntry } from '../detect/threshold-config.js';

/**
 * Matches recorded per packet. Further matches of the same packet are not
 * recorded, so their thresholded actions (not their alerts) are lost, and
 * `overflowCount` counts them.
 */
export const MAX_RECORDED_MATCHES = 64;

/** The threshold hook of the detection engine: calls the ThresholdEngine and records its decision. */
export class ThresholdActionRecorder implements ThresholdHook {
  readonly thresholds: ThresholdEngine;
  /** Matching signatures of the current packet, in evaluation order; `count` are valid. */
  readonly sigs: (Signature | null)[];
  /** 1 when the match raised an alert. */
  readonly alerted: Uint8Array;
  /** 1 when the rule's action applies to the packet (ThresholdEngine.applyAction). */
  readonly applyAction: Uint8Array;
  /** The rate_filter's new action (ActionId), or -1 for the rule's own. */
  readonly actionOverride: Int8Array;
  /** The rate_filter entry behind `actionOverride`, or null. */
  readonly rateFilters: (RateFilterEntry | null)[];
  /** The suppress entry that withheld the alert, or null. */
  readonly suppressions: (SuppressEntry | null)[];
  count: number;
  overflowCount: number;

  constructor(thresholds: ThresholdEngine) {
    this.thresholds = thresholds;
    this.sigs = new Array<Signature | null>(MAX_RECORDED_MATCHES).fill(null);
    this.alerted = new Uint8Array(MAX_RECORDED_MATCHES);
    this.applyAction = new Uint8Array(MAX_RECORDED_MATCHES);
    this.actionOverride = new Int8Array(MAX_RECORDED_MATCHES);
    this.rateFilters = new Array<RateFilterEntry | null>(MAX_RECORDED_MATCHES).fill(null);
    this.suppressions = new Array<SuppressEntry | null>(MAX_RECORDED_MATCHES).fill(null);
    this.count = 0;
    this.overflowCount = 0;
  }

  /** Forgets the matches of the previous packet. */
  clear(): void {
    for (let i = 0; i < this.count; i++) {
      this.sigs[i] = null;
      this.rateFilters[i] = null;
      this.suppressions[i] = null;
    }
    this.count = 0;
  }

  /**
   * Returns whether `sig` raises an alert, as the ThresholdEngine decides,
   * except that a rate_filter turning the match into a pass raises none.
   */
  shouldAlert(sig: Signature, p: Packet, flow: Flow | null): boolean {
    const thresholds = this.thresholds;
    // Threshold state is shared between worker threads, so it changes in packet order.
    enterOrderGate();
    let isAlert = thresholds.shouldAlert(sig, p, flow);
    let override = thresholds.actionOverride;
    if (override === Action.PASS) isAlert = false;
    // A shadowed rule only alerts, so a rate filter cannot make it block either.
    const note = sig.policyNote;
    if (override >= 0 && override !== Action.PASS && note != null && note.shadowedAction >= 0) override = Action.ALERT;
    const i = this.count;
    if (i === MAX_RECORDED_MATCHES) {
      this.overflowCount++;
      return isAlert;
    }
    this.sigs[i] = sig;
    this.alerted[i] = isAlert ? 1 : 0;
    this.applyAction[i] = thresholds.applyAction ? 1 : 0;
    this.actionOverride[i] = override;
    this.rateFilters[i] = thresholds.rateFilterApplied;
    this.suppressions[i] = thresholds.suppressApplied;
    this.count = i + 1;
    return isAlert;
  }

  /** Returns the index of `sig` among the recorded matches, or -1. */
  indexOf(sig: Signature): number {
    for (let i = 0; i < this.count; i++) {
      if (this.sigs[i] === sig) return i;
    }
    return -1;
  }
}
