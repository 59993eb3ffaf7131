/**
 * Shared shapes of the payload inspection: the numeric kind of each
 * InspectionMatch, and the per-thread scratch state that the inspection
 * engine (inspect.ts) and the payload keywords read and write.
 */
import { Buffer } from 'node:buffer';
import type { Flow } from '../flow/flow.js';
import type { DetectThreadContext, InspectionMatch } from './signature.js';

/** Kinds of payload InspectionMatch, for a switch in the inspection loop. */
export const MatchKind = {
  CONTENT: 1,
  PCRE: 2,
  ISDATAAT: 3,
  BYTE_TEST: 4,
  BYTE_JUMP: 5,
  BYTE_EXTRACT: 6,
  BYTE_MATH: 7,
  BSIZE: 8,
  ENTROPY: 9,
} as const;

/** Highest MatchKind value, so kinds outside the payload keywords are recognised. */
export const MAX_MATCH_KIND = MatchKind.ENTROPY;

/** An InspectionMatch that the inspection engine can run. */
export interface PayloadMatch extends InspectionMatch {
  readonly kind: number;
  /** True for keywords whose position is relative to the previous match. */
  readonly isRelative: boolean;
}

/**
 * Steps of the inspection of one buffer for one signature before it gives
 * up, as Suricata's detect.inspection-recursion-limit (default 3000). Each
 * keyword tried, including retries of a content at its next occurrence,
 * counts one step. At the limit the buffer does not match and
 * InspectContext.recursionLimitHits rises.
 */
export const DEFAULT_INSPECTION_RECURSION_LIMIT = 3000;

/**
 * Variables of byte_extract and byte_math in one signature. Suricata keeps
 * them in a per-signature table of the same kind; more is a rule error.
 */
export const MAX_BYTE_VARIABLES = 64;

/** Inspection results: 1 matched, 0 no match, -1 no match and stop retrying. */
export const InspectResult = {
  MATCH: 1,
  NO_MATCH: 0,
  DISCONTINUE: -1,
} as const;

/**
 * Scratch state of one detection thread, reused from packet to packet.
 * `bufferOffset` is the end of the previous match in the current buffer,
 * the base of relative keywords.
 */
export class InspectContext implements DetectThreadContext {
  byteVars: Float64Array;
  bufferOffset: number;
  recursionCount: number;
  recursionLimit: number;
  /** Times an inspection stopped at the recursion limit. */
  recursionLimitHits: number;
  /** Raised once per packet; keys the Latin-1 text cache below. */
  packetSerial: number;
  /** The flow being inspected, or null, for keywords that record values on it (`entropy`). */
  flow: Flow | null;

  private latin1Bytes: Uint8Array | null;
  private latin1Start: number;
  private latin1Length: number;
  private latin1Serial: number;
  private latin1Text: string;

  constructor(recursionLimit = DEFAULT_INSPECTION_RECURSION_LIMIT) {
    this.byteVars = new Float64Array(MAX_BYTE_VARIABLES);
    this.bufferOffset = 0;
    this.recursionCount = 0;
    this.recursionLimit = recursionLimit;
    this.recursionLimitHits = 0;
    this.packetSerial = 1;
    this.flow = null;
    this.latin1Bytes = null;
    this.latin1Start = 0;
    this.latin1Length = 0;
    this.latin1Serial = 0;
    this.latin1Text = '';
  }

  /** Starts a new packet: cached per-packet views become stale. */
  beginPacket(): void {
    this.packetSerial++;
  }

  /**
   * Returns the buffer as a Latin-1 string, one character per byte, so
   * that RE2 matches bytes 0x80 to 0xff as the code points of equal value.
   * The text is built once per buffer per packet.
   */
  latin1(bytes: Uint8Array, start: number, length: number): string {
    if (
      this.latin1Bytes === bytes &&
      this.latin1Start === start &&
      this.latin1Length === length &&
      this.latin1Serial === this.packetSerial
    ) {
      return this.latin1Text;
    }
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('latin1');
    this.latin1Bytes = bytes;
    this.latin1Start = start;
    this.latin1Length = length;
    this.latin1Serial = this.packetSerial;
    this.latin1Text = text;
    return text;
  }
}
