/**
 * Parsing shared by `threshold:` and `detection_filter:`: comma-separated
 * `name value` pairs (`type limit, track by_src, count 1, seconds 60`).
 * The rate tracking itself lives in the engine; this only fills
 * Signature.threshold and Signature.detectionFilter.
 */
import type { ThresholdSpec } from '../signature.js';
import { parseMetaNumber } from './meta-number.js';

/** Largest count or seconds value: an unsigned 32-bit number. */
const MAX_THRESHOLD_VALUE = 4294967295;

const TRACKS: ReadonlySet<string> = new Set(['by_src', 'by_dst', 'by_rule', 'by_both', 'by_flow']);

/** Parses the pairs; `kinds` lists the allowed `type` values, or is empty when `type` is not taken. */
export function parseThresholdSpec(value: string, kinds: readonly string[]): ThresholdSpec | string {
  const fields = new Map<string, string>();
  for (const part of value.split(',')) {
    const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(part);
    if (m === null) return `'${part.trim()}' is not a 'name value' pair (expected ${expected(kinds)})`;
    const name = m[1].toLowerCase();
    if (fields.has(name)) return `'${name}' is given twice`;
    fields.set(name, m[2]);
  }

  for (const name of fields.keys()) {
    const known = name === 'track' || name === 'count' || name === 'seconds'
      || (kinds.length > 0 && (name === 'type' || name === 'multiplier'))
      || (kinds.length === 0 && name === 'unique_on');
    if (!known) return `'${name}' is not a known setting (expected ${expected(kinds)})`;
  }

  // Suricata 9's detection_filter counts distinct ports with unique_on.
  const uniqueOn = fields.get('unique_on');
  if (uniqueOn !== undefined && uniqueOn !== 'src_port' && uniqueOn !== 'dst_port') {
    return `unique_on '${uniqueOn}' is not valid (expected src_port or dst_port)`;
  }

  let kind = 'detection_filter';
  if (kinds.length > 0) {
    const type = fields.get('type');
    if (type === undefined) return `'type' is missing (expected ${expected(kinds)})`;
    if (!kinds.includes(type) && type !== 'backoff') return `type '${type}' is not valid (expected ${kinds.join(', ')})`;
    kind = type;
  }

  const track = fields.get('track');
  if (track === undefined) return `'track' is missing (expected ${expected(kinds)})`;
  if (!TRACKS.has(track)) return `track '${track}' is not valid (expected ${[...TRACKS].join(', ')})`;

  const countText = fields.get('count');
  if (countText === undefined) return `'count' is missing (expected ${expected(kinds)})`;
  const count = parseMetaNumber(countText, 1, MAX_THRESHOLD_VALUE);
  if (typeof count === 'string') return `count ${count}`;

  // Suricata 8: backoff alerts at matches count, count*m, count*m*m, ...
  // and takes `multiplier` in place of `seconds`.
  const multiplierText = fields.get('multiplier');
  if (kind === 'backoff') {
    if (fields.has('seconds')) return `'seconds' is not valid with type backoff (expected multiplier M)`;
    if (multiplierText === undefined) return `'multiplier' is missing (type backoff takes count N, multiplier M)`;
    const multiplier = parseMetaNumber(multiplierText, 1, MAX_THRESHOLD_VALUE);
    if (typeof multiplier === 'string') return `multiplier ${multiplier}`;
    return { kind: 'backoff', track: track as ThresholdSpec['track'], count, seconds: 0, multiplier };
  }
  if (multiplierText !== undefined) return `'multiplier' is only valid with type backoff`;

  const secondsText = fields.get('seconds');
  if (secondsText === undefined) return `'seconds' is missing (expected ${expected(kinds)})`;
  const seconds = parseMetaNumber(secondsText, 1, MAX_THRESHOLD_VALUE);
  if (typeof seconds === 'string') return `seconds ${seconds}`;

  const spec: ThresholdSpec = { kind: kind as ThresholdSpec['kind'], track: track as ThresholdSpec['track'], count, seconds };
  if (uniqueOn !== undefined) spec.uniqueOn = uniqueOn;
  return spec;
}

function expected(kinds: readonly string[]): string {
  const type = kinds.length > 0 ? `type ${kinds.join('|')}|backoff, ` : '';
  const unique = kinds.length === 0 ? ', optional unique_on src_port|dst_port' : '';
  return `${type}track by_src|by_dst|by_rule|by_both|by_flow, count N, seconds N${unique}`;
}
