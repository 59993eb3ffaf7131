/**
 * The top-level `metadata` object of EVE alert and flow events: the values
 * that keywords recorded on the flow. Only `entropy` is written so far, as
 * `"metadata":{"entropy":{"file_data":4.15}}`, the shape Suricata 8 uses.
 */
import type { Flow } from '../flow/flow.js';
import { jsonString } from './eve-format.js';

/** Returns `,"metadata":{...}` for the flow's recorded values, or '' when it has none. */
export function flowMetadataField(flow: Flow): string {
  const entropy = flow.entropyByBuffer;
  if (entropy === null || entropy.size === 0) return '';
  let out = ',"metadata":{"entropy":{';
  let isFirst = true;
  for (const [buffer, value] of entropy) {
    if (!isFirst) out += ',';
    out += jsonString(buffer) + ':' + (Number.isFinite(value) ? String(value) : '0');
    isFirst = false;
  }
  return out + '}}';
}
