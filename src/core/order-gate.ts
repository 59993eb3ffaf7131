/**
 * State shared by every packet-processing thread (thresholds, hostbits,
 * xbits) must change in packet order, or results would depend on how
 * packets were spread over threads. Code that reads or changes such state
 * calls `enterOrderGate()` first. A single-thread run installs no gate and
 * the call returns at once; a worker thread installs one that waits until
 * every earlier packet, on every worker, is finished.
 */

/** A gate: `enter` returns when the current packet may touch shared state. */
export interface OrderGate {
  enter(): void;
}

let installed: OrderGate | null = null;

/** Installs the gate of this thread, or removes it with null. */
export function installOrderGate(gate: OrderGate | null): void {
  installed = gate;
}

/** Waits, when a gate is installed, until the current packet may touch shared state. */
export function enterOrderGate(): void {
  if (installed !== null) installed.enter();
}
