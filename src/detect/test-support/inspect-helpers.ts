/**
 * Helpers for inspection tests: run a rule body's pkt_data chain over a
 * payload given as text (one byte per character) or as bytes.
 */
import { InspectContext } from '../inspect-context.js';
import { inspectBuffer, prepareInspection } from '../inspect.js';
import type { Signature } from '../signature.js';
import { mustBuildSignature } from './signature-builder.js';

/** Encodes text as Latin-1: each character is one byte. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Runs the signature's pkt_data chain over the payload. */
export function inspectSignature(sig: Signature, payload: Uint8Array | string, ctx = new InspectContext()): boolean {
  const bytes = typeof payload === 'string' ? latin1Bytes(payload) : payload;
  const chain = sig.buffers.find((b) => b.buffer === 'pkt_data');
  if (chain === undefined) return true;
  const unsupported = prepareInspection(chain.matches);
  if (unsupported !== null) throw new Error(`cannot inspect keyword ${unsupported}`);
  ctx.beginPacket();
  // Place the payload inside a larger buffer, as in a captured frame, so
  // that offsets relative to `start` are exercised.
  const frame = new Uint8Array(bytes.length + 7);
  frame.set(bytes, 5);
  return inspectBuffer(chain.matches, frame, 5, bytes.length, ctx);
}

/** Builds a signature from option text and runs it over the payload. */
export function inspectRule(body: string, payload: Uint8Array | string, ctx = new InspectContext()): boolean {
  return inspectSignature(mustBuildSignature(body), payload, ctx);
}
