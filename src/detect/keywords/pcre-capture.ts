/**
 * Captures of `pcre` into variables, as Suricata stores them. A capture
 * group names its variable in one of two ways:
 *
 *   pcre:"/(?P<flow_ua>[^\r\n]+)/"        the group's name: scope, `_`, variable
 *   pcre:"/(\w+)\/(\d+)/, flow:product,flow:version"   a list after the flags,
 *                                          one `scope:variable` per group in order
 *
 * Scopes are `flow` (the flow keeps the value, EVE writes it in
 * metadata.flowvars), `pkt` and `alert`. A capture is stored only when the
 * whole rule matched, by a PostMatcher that the pcre setup adds.
 */
import type { Packet } from '../../core/packet.js';
import type { Flow } from '../../flow/flow.js';
import type { PostMatcher, SignatureBuilder } from '../signature.js';

export const CaptureScope = {
  FLOW: 0,
  PKT: 1,
  ALERT: 2,
} as const;

const SCOPE_BY_NAME: Readonly<Record<string, number>> = { flow: CaptureScope.FLOW, pkt: CaptureScope.PKT, alert: CaptureScope.ALERT };

/** One capture group that a rule stores in a variable. */
export interface PcreCapture {
  /** 1-based index of the group for a listed capture, or 0 for a named group. */
  readonly group: number;
  /** Name of the group for a named capture, or null. */
  readonly groupName: string | null;
  readonly scope: number;
  /** Variable name as the rule writes it. */
  readonly name: string;
  /** Variable id of a flow capture (kind 'flowvar'), else -1. */
  readonly id: number;
}

/** A capture list or group name that cannot be used, with the reason. */
export interface CaptureProblem {
  message: string;
}

/**
 * Parses the capture list after the flags (`flow:key, pkt:value`) into
 * captures of groups 1, 2, ... Returns a problem for an entry without a
 * known scope or a name.
 */
export function parseCaptureList(text: string, b: SignatureBuilder): PcreCapture[] | CaptureProblem {
  const captures: PcreCapture[] = [];
  const entries = text.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = (entries[i] as string).trim();
    const colon = entry.indexOf(':');
    const scope = colon > 0 ? SCOPE_BY_NAME[entry.slice(0, colon)] : undefined;
    const name = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (scope === undefined || name === '') {
      return { message: `capture '${entry}' is not of the form flow:NAME, pkt:NAME or alert:NAME` };
    }
    captures.push(captureOf(i + 1, null, scope, name, b));
  }
  return captures;
}

/** Returns the captures of named groups `(?P<flow_NAME>...)`, `(?P<pkt_NAME>...)` and `(?P<alert_NAME>...)`. */
export function namedCaptures(pattern: string, b: SignatureBuilder): PcreCapture[] {
  const captures: PcreCapture[] = [];
  const named = /\(\?P?<(flow|pkt|alert)_([A-Za-z0-9_.-]+)>/g;
  for (let m = named.exec(pattern); m !== null; m = named.exec(pattern)) {
    const scope = SCOPE_BY_NAME[m[1] as string] as number;
    captures.push(captureOf(0, `${m[1]}_${m[2]}`, scope, m[2] as string, b));
  }
  return captures;
}

function captureOf(group: number, groupName: string | null, scope: number, name: string, b: SignatureBuilder): PcreCapture {
  const id = scope === CaptureScope.FLOW ? b.variableId('flowvar', name) : -1;
  return { group, groupName, scope, name, id };
}

/**
 * Copies the values of `captures` from a regex match into `out` (null for
 * a group that took part in no match).
 */
export function copyCaptures(captures: readonly PcreCapture[], found: RegExpExecArray, out: (string | null)[]): void {
  for (let i = 0; i < captures.length; i++) {
    const capture = captures[i] as PcreCapture;
    const value = capture.groupName !== null ? found.groups?.[capture.groupName] : found[capture.group];
    out[i] = value ?? null;
  }
}

/** Stores the last match's flow captures on the flow once the rule matched. */
// NOTE: pkt and alert captures are parsed but not stored, so EVE has no
// metadata.pktvars for them.
export class PcreCaptureStore implements PostMatcher {
  readonly keyword = 'pcre';
  readonly captures: readonly PcreCapture[];
  /** Values of the last successful match, by capture; filled by execPcre. */
  readonly values: (string | null)[];

  constructor(captures: readonly PcreCapture[], values: (string | null)[]) {
    this.captures = captures;
    this.values = values;
  }

  apply(_p: Packet, flow: Flow | null): boolean {
    if (flow === null) return true;
    for (let i = 0; i < this.captures.length; i++) {
      const capture = this.captures[i] as PcreCapture;
      const value = this.values[i];
      if (capture.scope !== CaptureScope.FLOW || value === null || value === undefined) continue;
      if (flow.flowvars === null) flow.flowvars = new Map();
      flow.flowvars.set(capture.id, value);
    }
    return true;
  }
}
