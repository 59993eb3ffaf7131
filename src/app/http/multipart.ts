/**
 * multipart/form-data request bodies (RFC 7578, framing from RFC 2046
 * section 5.1.1): splits the decoded body into parts and reports the
 * parts that carry a file (a `filename` in their Content-Disposition),
 * as Suricata extracts uploaded files. Incremental: any split of the body
 * gives the same calls. Runs per body chunk.
 */
import { HttpEvent } from './events.js';

/** Receives the files found in a multipart body. */
export interface MultipartSink {
  onFileStart(name: Uint8Array): void;
  onFileData(bytes: Uint8Array): void;
  /** The file's part ended; `isComplete` is false when the body ended inside it. */
  onFileEnd(isComplete: boolean): void;
  onEvent(event: number): void;
}

/**
 * Bytes of one part's header section that are kept. A longer section
 * raises multipart_invalid_header and the part is skipped. kapu's own
 * bound (Suricata bounds the whole body instead).
 */
export const MAX_PART_HEADER_BYTES = 8 * 1024;

const Phase = {
  PREAMBLE: 0,
  AFTER_BOUNDARY: 1,
  HEADERS: 2,
  DATA: 3,
  EPILOGUE: 4,
} as const;

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

/** Reads the `boundary` parameter of a multipart Content-Type value, or null. */
export function multipartBoundary(contentType: string): Uint8Array | null {
  if (!/^\s*multipart\/form-data\s*;/i.test(contentType)) return null;
  const match = /;\s*boundary\s*=\s*("([^"]*)"|[^;\s]+)/i.exec(contentType);
  if (match === null) return null;
  const value = match[2] ?? match[1];
  return value.length === 0 ? null : Uint8Array.from(Buffer.from(value, 'latin1'));
}

/** Splits one multipart body into parts and reports the file parts. */
export class MultipartParser {
  private readonly sink: MultipartSink;
  /** "\r\n--" + boundary: what ends a part's data. */
  private readonly delimiter: Uint8Array;
  private phase: number;
  /** Bytes not yet handled: a possible partial delimiter, or a partial header section. */
  private pending: Uint8Array;
  private isFilePart: boolean;
  private sawFileData: boolean;

  constructor(boundary: Uint8Array, sink: MultipartSink) {
    this.sink = sink;
    this.delimiter = new Uint8Array(boundary.length + 4);
    this.delimiter.set([CR, LF, DASH, DASH], 0);
    this.delimiter.set(boundary, 4);
    this.phase = Phase.PREAMBLE;
    // The first boundary may open the body without a CRLF before it.
    this.pending = Uint8Array.of(CR, LF);
    this.isFilePart = false;
    this.sawFileData = false;
  }

  /** Feeds decoded body bytes. */
  push(bytes: Uint8Array): void {
    let data = concat(this.pending, bytes);
    this.pending = EMPTY;
    for (let rounds = 0; rounds < 100000 && data.length > 0; rounds++) {
      const rest = this.step(data);
      if (rest === null) return;
      data = rest;
    }
  }

  /**
   * Ends the body. An open file part is incomplete. A whole body
   * (`isBodyComplete`) without its final boundary is an error; a body cut
   * by a gap or the connection's end is not.
   */
  finish(isBodyComplete: boolean): void {
    if (this.phase === Phase.DATA && this.pending.length > 0 && this.isFilePart) this.emitData(this.pending);
    if (this.phase === Phase.DATA && this.isFilePart) this.endFile(false);
    if (isBodyComplete && this.phase !== Phase.EPILOGUE) this.sink.onEvent(HttpEvent.MULTIPART_GENERIC_ERROR);
    this.pending = EMPTY;
    this.phase = Phase.EPILOGUE;
  }

  /** Handles the start of `data`; returns the unhandled rest, or null when it is kept in `pending`. */
  private step(data: Uint8Array): Uint8Array | null {
    switch (this.phase) {
      case Phase.PREAMBLE:
      case Phase.DATA: {
        const at = indexOf(data, this.delimiter);
        if (at < 0) {
          // Keep a tail that could be the start of the delimiter.
          const keep = Math.min(data.length, this.delimiter.length - 1);
          if (this.phase === Phase.DATA && this.isFilePart) this.emitData(data.subarray(0, data.length - keep));
          this.pending = data.slice(data.length - keep);
          return null;
        }
        if (this.phase === Phase.DATA && this.isFilePart) {
          this.emitData(data.subarray(0, at));
          this.endFile(true);
        }
        this.phase = Phase.AFTER_BOUNDARY;
        return data.subarray(at + this.delimiter.length);
      }
      case Phase.AFTER_BOUNDARY: {
        // "--" closes the body; otherwise the rest of the line (transport
        // padding) ends with CRLF and a part's headers follow.
        if (data.length < 2) {
          this.pending = data.slice();
          return null;
        }
        if (data[0] === DASH && data[1] === DASH) {
          this.phase = Phase.EPILOGUE;
          return EMPTY;
        }
        const lineEnd = data.indexOf(LF);
        if (lineEnd < 0) {
          this.pending = data.slice();
          return null;
        }
        this.phase = Phase.HEADERS;
        return data.subarray(lineEnd + 1);
      }
      case Phase.HEADERS:
        return this.headers(data);
      default:
        return EMPTY;
    }
  }

  private headers(data: Uint8Array): Uint8Array | null {
    const end = indexOf(data, HEADER_END);
    const isEmptySection = data.length >= 2 && data[0] === CR && data[1] === LF;
    if (end < 0 && !isEmptySection) {
      if (data.length > MAX_PART_HEADER_BYTES) {
        this.sink.onEvent(HttpEvent.MULTIPART_INVALID_HEADER);
        this.isFilePart = false;
        this.phase = Phase.DATA;
        return data.subarray(data.length);
      }
      this.pending = data.slice();
      return null;
    }
    const sectionEnd = isEmptySection ? 0 : end;
    const bodyStart = isEmptySection ? 2 : end + HEADER_END.length;
    const name = this.partFileName(data.subarray(0, sectionEnd));
    this.isFilePart = name !== null;
    this.sawFileData = false;
    if (name !== null) this.sink.onFileStart(name);
    this.phase = Phase.DATA;
    return data.subarray(bodyStart);
  }

  /** Returns the file name of a part's header section, or null when the part is no file. */
  private partFileName(section: Uint8Array): Uint8Array | null {
    let name: Uint8Array | null = null;
    for (const line of Buffer.from(section).toString('latin1').split('\r\n')) {
      if (line.length === 0) continue;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.sink.onEvent(HttpEvent.MULTIPART_INVALID_HEADER);
        continue;
      }
      if (line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
      const match = /;\s*filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)/i.exec(line.slice(colon + 1));
      if (match === null) continue;
      const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[1].trim();
      name = Uint8Array.from(Buffer.from(value, 'latin1'));
    }
    return name;
  }

  private emitData(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.sawFileData = true;
    this.sink.onFileData(bytes);
  }

  private endFile(isComplete: boolean): void {
    // A part that names a file but carries no bytes (RFC 7578 allows an
    // empty file; Suricata reports it).
    if (!this.sawFileData) this.sink.onEvent(HttpEvent.MULTIPART_NO_FILEDATA);
    this.sink.onFileEnd(isComplete);
    this.isFilePart = false;
  }
}

const EMPTY = new Uint8Array(0);
const HEADER_END = Uint8Array.of(CR, LF, CR, LF);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const last = haystack.length - needle.length;
  const first = needle[0];
  for (let i = 0; i <= last; i++) {
    if (haystack[i] !== first) continue;
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
