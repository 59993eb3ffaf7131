/**
 * EVE output of app-layer frames (app/frames.ts): the `frame` object that
 * `frame` events and the alerts of frame rules carry, and the writer of
 * `frame` events, enabled by `- frame` in an eve-log's types.
 *
 *   "frame":{"id":2,"type":"request","direction":"toserver","stream_offset":0,
 *            "length":40,"complete":true,"payload":"R0VU...","payload_printable":"GET ...","tx_id":0}
 *
 * `stream_offset` is written for TCP frames only. A frame of unknown length
 * reports the bytes it has so far.
 */
import { Direction, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { frameTypeName, type Frame, type FlowFrames, type FrameBytes } from '../app/frames.js';
import type { EveWriter } from './eve-writer.js';
import { base64, jsonString, printableAscii, type PktSrcValue } from './eve-format.js';
import { closeEvent, openPacketEvent } from './eve-header.js';

/** Most bytes of a frame written as its payload, from its start; Suricata writes at most 4 KiB too. */
export const MAX_FRAME_PAYLOAD_BYTES = 4096;

const GAP_TEXT_ENCODER = new TextEncoder();

/**
 * Returns the first bytes of `frame` that `store` contains, up to `maxBytes`
 * of stream data, with each gap written as `[N bytes missing]` as
 * Suricata's payloads show it. Allocates; call only when writing an event.
 */
export function framePayload(frame: Frame, store: FrameBytes, maxBytes: number): Uint8Array {
  const from = Math.max(frame.offset, store.base);
  const to = Math.min(frame.end, store.end, frame.offset + maxBytes);
  if (to <= from) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let at = from;
  for (let i = 0; i < store.gapStarts.length && at < to; i++) {
    const gapStart = store.gapStarts[i] as number;
    const gapEnd = store.gapEnds[i] as number;
    if (gapEnd <= at) continue;
    if (gapStart >= to) break;
    if (gapStart > at) parts.push(store.data.subarray(at - store.base, gapStart - store.base));
    const missing = Math.min(gapEnd, to) - Math.max(gapStart, at);
    parts.push(GAP_TEXT_ENCODER.encode('[' + missing + ' bytes missing]'));
    at = Math.min(gapEnd, to);
  }
  if (at < to) parts.push(store.data.subarray(at - store.base, to - store.base));
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let written = 0;
  for (const part of parts) {
    out.set(part, written);
    written += part.length;
  }
  return out;
}

/** Returns the `"frame":{...}` text of `frame` of flow frames `frames`. */
export function frameObjectText(frame: Frame, frames: FlowFrames): string {
  const store = frames.bytes[frame.direction] as FrameBytes;
  const dataEnd = store.end;
  let out = '"frame":{"id":' + frame.id + ',"type":' + jsonString(frameTypeName(frames.appProto, frame.type));
  out += ',"direction":"' + (frame.direction === Direction.TO_SERVER ? 'toserver' : 'toclient') + '"';
  if (frames.isTcp) out += ',"stream_offset":' + frame.offset;
  const length = frame.length >= 0 ? frame.length : Math.max(0, dataEnd - frame.offset);
  out += ',"length":' + length;
  const isComplete = frame.length >= 0 && frame.offset + frame.length <= dataEnd;
  out += ',"complete":' + (isComplete ? 'true' : 'false');
  const payload = framePayload(frame, store, MAX_FRAME_PAYLOAD_BYTES);
  out += ',"payload":"' + base64(payload) + '","payload_printable":' + jsonString(printableAscii(payload));
  if (frame.txId >= 0) out += ',"tx_id":' + frame.txId;
  return out + '}';
}

/** Writes `frame` events for the frames whose inspection finished. */
export class FrameLogger {
  /** The eve-logs that list `frame` among their types. */
  readonly writers: readonly EveWriter[];

  constructor(writers: readonly EveWriter[]) {
    this.writers = writers.filter((w) => w.wantsTxEvents('frame'));
  }

  /** Tells whether any eve-log writes frame events. */
  get isEnabled(): boolean {
    return this.writers.length > 0;
  }

  /**
   * Writes one event for each frame of the packet's direction that is
   * inspected and not logged yet, stamped with packet `p`.
   */
  log(p: Packet, flow: Flow, frames: FlowFrames, pktSrc: PktSrcValue): void {
    const list = frames.frames[p.direction] as Frame[];
    for (let i = 0; i < list.length; i++) {
      const frame = list[i] as Frame;
      if (frame.isLogged || !frame.isInspected) continue;
      frame.isLogged = true;
      if (this.writers.length === 0) continue;
      const text = frameObjectText(frame, frames);
      for (const writer of this.writers) {
        const head = openPacketEvent(writer.ctx, p, flow, 'frame', pktSrc);
        writer.file.writeLine(closeEvent(writer.ctx, head + ',"app_proto":' + jsonString(flow.appProto ?? frames.appProto) + ',' + text));
        writer.counts.app++;
      }
    }
  }
}
