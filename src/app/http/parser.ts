/**
 * HTTP/1.x message framing for one direction of a connection: start line,
 * header fields (with obs-fold), and the body by Content-Length, chunked
 * coding (RFC 9112 section 7.1) or connection close. The parser has no
 * notion of flows or transactions. It hands each part to a sink, and the
 * sink chooses the body framing when the header section ends, because for
 * responses that depends on the request (HEAD, CONNECT).
 *
 * The parser is incremental: any split of the stream gives the same calls,
 * because partial lines are kept in a growing line buffer. It never throws
 * on input: a malformed part becomes an event through `sink.onEvent`.
 */
import { HttpEvent } from './events.js';

/** Body framing of the current message. */
export const BodyMode = {
  /** No body: the message ends with its header section. */
  NONE: 0,
  /** Content-Length bytes follow. */
  LENGTH: 1,
  /** Chunked transfer coding. */
  CHUNKED: 2,
  /** The body runs until the connection closes. */
  CLOSE: 3,
  /** The connection now carries another protocol (CONNECT, Upgrade): bytes are skipped. */
  TUNNEL: 4,
  /** An interim (1xx) response: no body, and the next line starts the next response at once. */
  INTERIM: 5,
} as const;

/** Parser states. */
const State = {
  START_LINE: 0,
  HEADERS: 1,
  BODY_LENGTH: 2,
  CHUNK_SIZE: 3,
  CHUNK_DATA: 4,
  CHUNK_DATA_END: 5,
  TRAILERS: 6,
  BODY_CLOSE: 7,
  TUNNEL: 8,
  /**
   * After a response body, while more bytes of the same read follow: as
   * libhtp, each following line that is no status line is more body of
   * that response ("\r\n" after a Content-Length body, for one).
   * NOTE: such a line is body only when it arrives in the same read as
   * the body's end, so the records depend on how the stream is split,
   * as Suricata's do.
   */
  FINALIZE: 9,
} as const;

/**
 * Maximum length in bytes of a start line or header field, libhtp's hard
 * field limit.
 * Past it the line is cut at this length and the sink gets
 * request_field_too_long or response_field_too_long.
 * Config: app-layer.protocols.http.libhtp.default-config.field-limit.
 */
export const DEFAULT_FIELD_LIMIT_BYTES = 18000;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

/** Receives the parts of messages, in stream order. */
export interface HttpMessageSink {
  /**
   * A start line without its terminator; `isBareLf` is true when it ended
   * with LF alone. Returns false when the sink took the line as something
   * else (body data), so the parser waits for a start line again.
   */
  onStartLine(direction: number, line: Uint8Array, isBareLf: boolean): boolean;
  /**
   * One header field (folded lines joined by one space), as the raw bytes
   * of the line without the terminator. `isFolded` marks a joined field;
   * `isTrailer` a field of the chunked trailer section.
   */
  onHeaderField(direction: number, line: Uint8Array, isFolded: boolean, isTrailer: boolean): void;
  /** The raw bytes of one header line as received, terminator included, for http.header.raw. */
  onRawHeaderLine(direction: number, line: Uint8Array, start: number, length: number): void;
  /**
   * The header section ended. Returns the BodyMode and, for LENGTH, sets
   * the length through `parser.bodyLength`.
   */
  onHeadersEnd(direction: number, parser: HttpMessageParser): number;
  onBodyData(direction: number, bytes: Uint8Array, start: number, length: number): void;
  /** `length` bytes of the body are missing (a stream gap); the body goes on after them. */
  onBodyGap(direction: number, length: number): void;
  /** The message is complete (body included). */
  onMessageEnd(direction: number): void;
  onEvent(direction: number, event: number): void;
}

/** Frames the messages of one direction. */
export class HttpMessageParser {
  readonly direction: number;
  /** Body bytes still expected in LENGTH mode, set by the sink in onHeadersEnd. */
  bodyLength: number;
  /** Field limit in bytes (DEFAULT_FIELD_LIMIT_BYTES unless configured). */
  fieldLimit: number;
  /**
   * Stream positions for app-layer frames: the owner sets `indexBase` (the
   * stream offset of bytes[0] of the input) before `parse`. During the sink's
   * callbacks, `messageStart` is the offset of the current start line's
   * first byte and `position` the offset after the last byte read.
   */
  indexBase: number;
  messageStart: number;
  position: number;
  private sink: HttpMessageSink;
  private state: number;
  private line: Uint8Array;
  private lineLength: number;
  private isLineTruncated: boolean;
  /** A header field waiting to see whether the next line folds into it. */
  private pending: Uint8Array;
  private pendingLength: number;
  private hasPending: boolean;
  private isPendingFolded: boolean;
  private chunkRemaining: number;
  private sawHeaderField: boolean;
  private afterBareLf: number;
  /** True when a CR after a bare LF was taken as part of the line end. */
  private afterLfCr: boolean;
  /** The response line held while afterBareLf is HELD_START. */
  private held: Uint8Array;
  private isHeldBareLf: boolean;
  /** The held blank line (its byte and LF) while afterBareLf is BLANK. */
  private blank: Uint8Array;

  constructor(direction: number, sink: HttpMessageSink, fieldLimit = DEFAULT_FIELD_LIMIT_BYTES) {
    this.direction = direction;
    this.sink = sink;
    this.fieldLimit = fieldLimit;
    this.bodyLength = 0;
    this.indexBase = 0;
    this.messageStart = 0;
    this.position = 0;
    this.state = State.START_LINE;
    this.line = new Uint8Array(256);
    this.lineLength = 0;
    this.isLineTruncated = false;
    this.pending = new Uint8Array(256);
    this.pendingLength = 0;
    this.hasPending = false;
    this.isPendingFolded = false;
    this.chunkRemaining = 0;
    this.sawHeaderField = false;
    this.afterBareLf = AfterBareLf.NONE;
    this.afterLfCr = false;
    this.held = EMPTY_LINE;
    this.isHeldBareLf = false;
    this.blank = Uint8Array.of(SP, LF);
  }

  /** True while the parser is between messages (nothing of the next one seen). */
  get isIdle(): boolean {
    return this.state === State.START_LINE && this.lineLength === 0;
  }

  /** True while the parser reads a header section. */
  get isHeaderSection(): boolean {
    return this.state === State.HEADERS;
  }

  /** True when the current body runs until the connection closes. */
  get isBodyUntilClose(): boolean {
    return this.state === State.BODY_CLOSE;
  }

  /** Switches to reading a body until close without a start line (HTTP/0.9 responses). */
  startBodyUntilClose(): void {
    this.state = State.BODY_CLOSE;
  }

  /** Leaves the tunnel state: the next bytes start a new message (a refused CONNECT). */
  resume(): void {
    if (this.state === State.TUNNEL) this.state = State.START_LINE;
  }

  /**
   * Feeds bytes[start, start+length). Returns how many bytes were used:
   * all of them, except when the message switched the direction to a
   * tunnel, where the parser stops at the tunnel's first byte.
   */
  parse(bytes: Uint8Array, start: number, length: number): number {
    const end = start + length;
    let at = start;
    while (at < end) {
      if (this.afterBareLf !== AfterBareLf.NONE) at = this.resolveBareLf(bytes, at);
      switch (this.state) {
        case State.START_LINE:
        case State.HEADERS:
        case State.CHUNK_SIZE:
        case State.CHUNK_DATA_END:
        case State.TRAILERS:
          at = this.readLine(bytes, at, end);
          break;
        case State.BODY_LENGTH: {
          const n = Math.min(this.bodyLength, end - at);
          if (n > 0) this.sink.onBodyData(this.direction, bytes, at, n);
          this.bodyLength -= n;
          at += n;
          this.position = this.indexBase + at;
          if (this.bodyLength === 0) this.endMessage();
          break;
        }
        case State.CHUNK_DATA: {
          const n = Math.min(this.chunkRemaining, end - at);
          if (n > 0) this.sink.onBodyData(this.direction, bytes, at, n);
          this.chunkRemaining -= n;
          at += n;
          if (this.chunkRemaining === 0) this.state = State.CHUNK_DATA_END;
          break;
        }
        case State.BODY_CLOSE:
          this.sink.onBodyData(this.direction, bytes, at, end - at);
          at = end;
          break;
        case State.FINALIZE:
          at = this.readFinalizeLine(bytes, at, end);
          break;
        default:
          return at - start;
      }
    }
    // The read ends here, so a response that waited for the next line is complete.
    if (this.state === State.FINALIZE && this.lineLength === 0) this.completeMessage();
    return length;
  }

  /**
   * Skips `length` missing bytes of a body: a Content-Length body or
   * chunk counts them as read, and a body until close goes on. Returns
   * how many of the bytes fell into a body (0 outside one, where the
   * parser cannot know where the next message starts).
   */
  skipGap(length: number): number {
    if (this.state === State.FINALIZE) this.completeMessage();
    switch (this.state) {
      case State.BODY_LENGTH: {
        const n = Math.min(length, this.bodyLength);
        this.sink.onBodyGap(this.direction, n);
        this.bodyLength -= n;
        // No bytes of this read follow the gap, so the message is complete.
        if (this.bodyLength === 0) this.completeMessage();
        return n;
      }
      case State.CHUNK_DATA: {
        const n = Math.min(length, this.chunkRemaining);
        this.sink.onBodyGap(this.direction, n);
        this.chunkRemaining -= n;
        if (this.chunkRemaining === 0) this.state = State.CHUNK_DATA_END;
        return n;
      }
      case State.BODY_CLOSE:
        this.sink.onBodyGap(this.direction, length);
        return length;
      default:
        return 0;
    }
  }

  /**
   * Reads one line after a response body. A line that is no status line
   * (libhtp's test, as in isStatusLineStart) is more body. A status line
   * completes the response and starts the next one.
   */
  private readFinalizeLine(bytes: Uint8Array, at: number, end: number): number {
    let i = at;
    while (i < end && bytes[i] !== LF) i++;
    const stop = i < end ? i + 1 : end;
    this.appendLine(bytes, at, stop - at);
    if (i === end) return end;
    if (!isStatusLineStart(this.line, this.lineLength)) {
      const n = this.lineLength;
      this.lineLength = 0;
      this.isLineTruncated = false;
      this.sink.onBodyData(this.direction, this.line, 0, n);
      return stop;
    }
    this.completeMessage();
    this.completeLine();
    return stop;
  }

  /**
   * Ends the direction. A body that runs until close is complete now. A
   * start line cut short by the close is still handed on: a request line
   * then raises request_line_incomplete, and a response line can be the
   * first line of an HTTP/0.9 body.
   */
  finish(): void {
    this.settleHeld();
    if (this.state === State.FINALIZE) {
      // A last line cut short by the close is body unless it starts a status line.
      const n = this.lineLength;
      if (n > 0 && !isStatusLineStart(this.line, n)) {
        this.lineLength = 0;
        this.sink.onBodyData(this.direction, this.line, 0, n);
      }
      this.completeMessage();
    }
    if (this.state === State.BODY_CLOSE) {
      this.endMessage();
    } else if (this.state === State.START_LINE && this.lineLength > 0) {
      this.completeLine();
      this.settleHeld();
      const isStarted = this.isHeaderSection;
      if (this.direction === 0 && isStarted) this.sink.onEvent(this.direction, HttpEvent.REQUEST_LINE_INCOMPLETE);
      if (this.isBodyUntilClose) this.endMessage();
    } else if (this.state === State.HEADERS && (this.afterBareLf === AfterBareLf.BLANK || this.afterBareLf === AfterBareLf.EMPTY)) {
      const length = this.afterBareLf === AfterBareLf.BLANK ? 2 : 0;
      this.afterBareLf = AfterBareLf.NONE;
      this.headerLine(this.blank, length, 0);
    } else if (this.state === State.HEADERS && this.hasPending) {
      this.flushPending();
    } else if (this.state === State.CHUNK_SIZE && this.lineLength > 0) {
      // A chunk-size line cut short by the close is body when it has no
      // hex digits, as any invalid size.
      const length = this.lineLength;
      this.lineLength = 0;
      this.chunkSizeLine(this.line, length);
      if (this.isBodyUntilClose) this.endMessage();
    }
    // No next line comes after the close.
    if (this.state === State.FINALIZE) this.completeMessage();
  }

  /** Hands on a response line held for the next byte, as no more bytes come. */
  settleHeld(): void {
    if (this.afterBareLf !== AfterBareLf.HELD_START) return;
    this.afterBareLf = AfterBareLf.NONE;
    this.startLine(this.held, this.isHeldBareLf);
    this.held = EMPTY_LINE;
  }

  private startLine(line: Uint8Array, isBareLf: boolean): void {
    this.sawHeaderField = false;
    if (this.sink.onStartLine(this.direction, line, isBareLf)) this.state = State.HEADERS;
  }

  /** Settles a response line held for the next byte. */
  private resolveBareLf(bytes: Uint8Array, at: number): number {
    const after = this.afterBareLf;
    this.afterBareLf = AfterBareLf.NONE;
    if (after === AfterBareLf.HELD_START) {
      if (bytes[at] !== 0x48) this.startLine(this.held, this.isHeldBareLf);
      this.held = EMPTY_LINE;
      return at;
    }
    if (this.state !== State.HEADERS) return at;
    if (after === AfterBareLf.SKIP_CR) {
      if (bytes[at] !== CR) return at;
      this.afterLfCr = true;
      return at + 1;
    }
    if (after === AfterBareLf.EMPTY) {
      if (bytes[at] !== CR && bytes[at] !== LF) this.headerLine(this.blank, 0, 0);
      return at;
    }
    this.headerLine(this.blank, 2, bytes[at] === LF ? 1 : 0);
    return at;
  }

  /** Accumulates one line; returns the offset after what was consumed. */
  private readLine(bytes: Uint8Array, at: number, end: number): number {
    if (this.state === State.START_LINE && this.lineLength === 0) this.messageStart = this.indexBase + at;
    let i = at;
    while (i < end && bytes[i] !== LF) i++;
    const stop = i < end ? i + 1 : end;
    this.appendLine(bytes, at, stop - at);
    if (i === end) return end;
    this.position = this.indexBase + stop;
    this.completeLine();
    return stop;
  }

  private appendLine(bytes: Uint8Array, at: number, n: number): void {
    const room = this.fieldLimit + 2 - this.lineLength;
    let take = n;
    if (take > room) {
      take = Math.max(0, room);
      if (!this.isLineTruncated) {
        this.isLineTruncated = true;
        this.sink.onEvent(this.direction, this.direction === 0 ? HttpEvent.REQUEST_FIELD_TOO_LONG : HttpEvent.RESPONSE_FIELD_TOO_LONG);
      }
    }
    if (this.lineLength + take > this.line.length) {
      const grown = new Uint8Array(Math.max(this.line.length * 2, this.lineLength + take));
      grown.set(this.line.subarray(0, this.lineLength));
      this.line = grown;
    }
    this.line.set(bytes.subarray(at, at + take), this.lineLength);
    this.lineLength += take;
  }

  /** Handles one whole line (terminator included in this.line). */
  private completeLine(): void {
    const raw = this.line;
    const rawLength = this.lineLength;
    let contentLength = rawLength;
    if (contentLength > 0 && raw[contentLength - 1] === LF) contentLength--;
    const isBareLf = contentLength === 0 || raw[contentLength - 1] !== CR;
    if (!isBareLf) contentLength--;
    this.lineLength = 0;
    this.isLineTruncated = false;

    if (this.direction === 1 && (this.state === State.START_LINE || this.state === State.HEADERS) && indexOfCr(raw, contentLength) >= 0) {
      this.splitAtCr(raw, rawLength, contentLength);
      return;
    }
    switch (this.state) {
      case State.START_LINE:
        // RFC 9112 section 2.2: empty lines before a request line are ignored.
        if (contentLength === 0) return;
        if (this.direction === 1 && !isStatusLineStart(raw, contentLength) && !isBlankLine(raw, contentLength)) {
          // libhtp drops a response line that is no status line when the
          // next line starts with 'H'; that needs the next byte.
          this.held = raw.slice(0, contentLength);
          this.isHeldBareLf = isBareLf;
          this.afterBareLf = AfterBareLf.HELD_START;
          return;
        }
        this.startLine(raw.slice(0, contentLength), isBareLf);
        return;
      case State.HEADERS:
      case State.TRAILERS:
        if (this.afterLfCr) {
          this.afterLfCr = false;
          if (contentLength === 0 && !isBareLf) {
            // "\n\r\r\n": the end of the section unless CR or LF follows.
            this.afterBareLf = AfterBareLf.EMPTY;
            return;
          }
        }
        if (this.direction === 1 && isBareLf) {
          // libhtp also ends a response header line at "\n\r", and a line
          // of one SP or HT ends the section unless LF follows. Both need
          // the next byte.
          this.afterBareLf = contentLength === 1 && (raw[0] === SP || raw[0] === HT) ? AfterBareLf.BLANK : AfterBareLf.SKIP_CR;
          if (this.afterBareLf === AfterBareLf.BLANK) {
            this.blank[0] = raw[0];
            return;
          }
        }
        this.headerLine(raw, rawLength, contentLength);
        return;
      case State.CHUNK_SIZE:
        this.chunkSizeLine(raw, contentLength);
        return;
      case State.CHUNK_DATA_END:
        // The CRLF after chunk data. As libhtp, anything before the LF
        // is dropped.
        this.state = State.CHUNK_SIZE;
        return;
    }
  }

  /**
   * Splits a response start or header line at each lone CR. libhtp ends lines
   * at a lone CR too, so each part is a line of its own. Parts that are
   * empty or blank are dropped (they never end the header section).
   */
  private splitAtCr(raw: Uint8Array, rawLength: number, contentLength: number): void {
    if (this.state === State.HEADERS) this.sink.onRawHeaderLine(this.direction, raw, 0, rawLength);
    let from = 0;
    while (from <= contentLength) {
      let to = from;
      while (to < contentLength && raw[to] !== CR) to++;
      let isBlank = true;
      for (let k = from; k < to && isBlank; k++) isBlank = raw[k] === SP || raw[k] === HT;
      if (!isBlank) {
        const part = raw.slice(from, to);
        if (this.state === State.START_LINE) {
          this.sawHeaderField = false;
          if (this.sink.onStartLine(this.direction, part, false)) this.state = State.HEADERS;
        } else if (this.state === State.HEADERS) {
          this.headerPart(part);
        } else if (this.state === State.BODY_CLOSE) {
          this.sink.onBodyData(this.direction, raw, from, Math.min(to + 1, rawLength) - from);
        }
      }
      from = to + 1;
    }
  }

  /** One header line part without terminator, already recorded raw. */
  private headerPart(part: Uint8Array): void {
    const first = part[0];
    if ((first === SP || first === HT) && this.hasPending && !isFieldAfterBlanks(part, part.length)) {
      let from = 0;
      while (from < part.length && (part[from] === SP || part[from] === HT)) from++;
      this.appendPending(SP);
      for (let i = from; i < part.length; i++) this.appendPending(part[i]);
      this.isPendingFolded = true;
      return;
    }
    if (this.hasPending) this.flushPending();
    this.setPending(part, part.length);
  }

  private headerLine(raw: Uint8Array, rawLength: number, contentLength: number): void {
    const isTrailer = this.state === State.TRAILERS;
    if (!isTrailer) this.sink.onRawHeaderLine(this.direction, raw, 0, rawLength);
    if (contentLength === 0) {
      if (this.hasPending) this.flushPending();
      if (isTrailer) {
        this.endMessage();
        return;
      }
      this.headersEnd();
      return;
    }
    const first = raw[0];
    if ((first === SP || first === HT) && this.direction === 1 && isFieldAfterBlanks(raw, contentLength)) {
      // libhtp reads an indented response line of the form "name: value"
      // as a field of its own, not as a continuation.
      if (this.hasPending) this.flushPending();
      let from = 0;
      while (raw[from] === SP || raw[from] === HT) from++;
      this.setPending(raw.subarray(from, contentLength), contentLength - from);
      return;
    }
    if (first === 0 && this.direction === 1 && this.hasPending) {
      // libhtp folds a response line that starts with NUL into the field
      // before it ("Transfer-Encoding:" then "\0chunked").
      this.appendPending(SP);
      for (let i = 0; i < contentLength; i++) this.appendPending(raw[i]);
      this.isPendingFolded = true;
      return;
    }
    if (first === SP || first === HT) {
      if (!this.hasPending) {
        // A folded line with no field before it (RFC 9112 section 5.2).
        this.sink.onEvent(this.direction, this.direction === 0 ? HttpEvent.INVALID_REQUEST_FIELD_FOLDING : HttpEvent.INVALID_RESPONSE_FIELD_FOLDING);
        if (!this.sawHeaderField) {
          this.setPending(raw, contentLength);
          return;
        }
      }
      // obs-fold: the continuation joins the field with one space.
      let from = 0;
      while (from < contentLength && (raw[from] === SP || raw[from] === HT)) from++;
      this.appendPending(SP);
      for (let i = from; i < contentLength; i++) this.appendPending(raw[i]);
      this.isPendingFolded = true;
      return;
    }
    if (this.hasPending) this.flushPending();
    this.setPending(raw, contentLength);
  }

  private setPending(raw: Uint8Array, length: number): void {
    this.pendingLength = 0;
    for (let i = 0; i < length; i++) this.appendPending(raw[i]);
    this.hasPending = true;
    this.isPendingFolded = false;
  }

  private appendPending(c: number): void {
    if (this.pendingLength === this.pending.length) {
      const grown = new Uint8Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    this.pending[this.pendingLength++] = c;
  }

  private flushPending(): void {
    this.hasPending = false;
    this.sawHeaderField = true;
    this.sink.onHeaderField(this.direction, this.pending.slice(0, this.pendingLength), this.isPendingFolded, this.state === State.TRAILERS);
  }

  private headersEnd(): void {
    this.bodyLength = 0;
    const mode = this.sink.onHeadersEnd(this.direction, this);
    switch (mode) {
      case BodyMode.LENGTH:
        if (this.bodyLength > 0) this.state = State.BODY_LENGTH;
        else this.endMessage();
        return;
      case BodyMode.CHUNKED:
        this.state = State.CHUNK_SIZE;
        return;
      case BodyMode.CLOSE:
        this.state = State.BODY_CLOSE;
        return;
      case BodyMode.TUNNEL:
        this.sink.onMessageEnd(this.direction);
        this.state = State.TUNNEL;
        return;
      case BodyMode.INTERIM:
        this.completeMessage();
        return;
      default:
        this.endMessage();
    }
  }

  /**
   * Reads a chunk-size line the way libhtp does, which is looser than
   * RFC 9112 section 7.1: leading CR, LF, SP, HT, VT and FF are skipped,
   * an empty line is ignored (the next line is read as the size), and
   * whatever follows the hex digits is dropped. A ';' there raises the
   * chunk extension event. A line without hex digits, or a size past
   * 2^31-1, is invalid, so the rest of the direction is body until close.
   */
  private chunkSizeLine(raw: Uint8Array, length: number): void {
    let i = 0;
    while (i < length && isChunkControl(raw[i])) i++;
    if (i === length) return;
    let size = 0;
    let digits = 0;
    for (; i < length && size <= MAX_CHUNK_SIZE; i++) {
      const d = hexDigit(raw[i]);
      if (d < 0) break;
      size = size * 16 + d;
      digits++;
    }
    if (digits > 0 && i < length) {
      for (let k = i; k < length; k++) {
        if (raw[k] === 0x3b) {
          this.sink.onEvent(this.direction, this.direction === 0 ? HttpEvent.REQUEST_CHUNK_EXTENSION : HttpEvent.RESPONSE_CHUNK_EXTENSION);
          break;
        }
      }
    }
    if (digits === 0 || size > MAX_CHUNK_SIZE) {
      this.sink.onEvent(this.direction, this.direction === 0 ? HttpEvent.INVALID_REQUEST_CHUNK_LEN : HttpEvent.INVALID_RESPONSE_CHUNK_LEN);
      this.state = State.BODY_CLOSE;
      if (length > 0) this.sink.onBodyData(this.direction, raw, 0, length);
      return;
    }
    if (size === 0) {
      this.state = State.TRAILERS;
      return;
    }
    this.chunkRemaining = size;
    this.state = State.CHUNK_DATA;
  }

  /** Ends a message. A response waits in FINALIZE for the next line of the same read. */
  private endMessage(): void {
    if (this.direction === 1) {
      this.state = State.FINALIZE;
      return;
    }
    this.completeMessage();
  }

  private completeMessage(): void {
    this.state = State.START_LINE;
    this.sink.onMessageEnd(this.direction);
  }
}

/** Tells whether an indented line contains a field: a name right before a colon after the SP and HT bytes. */
function isFieldAfterBlanks(line: Uint8Array, length: number): boolean {
  let i = 0;
  while (i < length && (line[i] === SP || line[i] === HT)) i++;
  const nameStart = i;
  while (i < length && line[i] !== 0x3a && line[i] !== SP && line[i] !== HT) i++;
  return i > nameStart && i < length && line[i] === 0x3a;
}

/**
 * Tells whether a response line is a status line for libhtp: "HTTP" in
 * any case after optional whitespace and NUL bytes. Otherwise the
 * response has no status line and all of it is body.
 */
export function isStatusLineStart(line: Uint8Array, length = line.length): boolean {
  let i = 0;
  while (i < length && (line[i] === 0 || line[i] === SP || (line[i] >= HT && line[i] <= CR))) i++;
  if (length - i < 4) return false;
  return (line[i] & 0xdf) === 0x48 && (line[i + 1] & 0xdf) === 0x54 && (line[i + 2] & 0xdf) === 0x54 && (line[i + 3] & 0xdf) === 0x50;
}

const EMPTY_LINE = new Uint8Array(0);

function isBlankLine(line: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (line[i] !== SP && (line[i] < HT || line[i] > CR)) return false;
  return true;
}

/** Returns the index of the first CR in line[0, length), or -1. */
function indexOfCr(line: Uint8Array, length: number): number {
  for (let i = 0; i < length; i++) if (line[i] === CR) return i;
  return -1;
}

/** Pending decisions on a response line that need the next byte. */
const AfterBareLf = {
  NONE: 0,
  /** A CR next is part of the line end. */
  SKIP_CR: 1,
  /** The line was one SP or HT: it ends the section unless an LF is next. */
  BLANK: 2,
  /** An empty line after "\n\r": it ends the section unless CR or LF is next. */
  EMPTY: 3,
  /** A response line that is no status line: dropped when 'H' is next. */
  HELD_START: 4,
} as const;

/** Largest chunk size libhtp accepts (2^31 - 1). */
const MAX_CHUNK_SIZE = 0x7fffffff;

/** Bytes libhtp skips before a chunk size. */
function isChunkControl(c: number): boolean {
  return c === CR || c === LF || c === SP || c === HT || c === 0x0b || c === 0x0c;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Parts of a request line, as views into it. */
export interface RequestLine {
  method: Uint8Array;
  /** The request target, or null when the line is a method alone. */
  uri: Uint8Array | null;
  /** The protocol, or null when missing (HTTP/0.9 form). */
  protocol: Uint8Array | null;
  /** True when leading whitespace preceded the method. */
  hasLeadingWhitespace: boolean;
  /** True when whitespace other than SP followed the method. */
  hasMethodDelimiterNonSpace: boolean;
  /** True when only whitespace other than SP separated the target from the protocol. */
  hasUriDelimiterNonSpace: boolean;
}

function isSpaceLike(c: number): boolean {
  return c === SP || c === HT || c === 0x0b || c === 0x0c || c === CR || c === LF;
}

/**
 * Splits a request line as libhtp does in Suricata 8, where spaces in the
 * target are allowed: the method runs to the first whitespace, and the
 * target to the last space of the rest, after which comes the protocol.
 * Without a space there, other whitespace (a tab) splits target and
 * protocol, and without any, the whole rest is the target (HTTP/0.9 form).
 */
export function parseRequestLine(line: Uint8Array): RequestLine {
  const len = line.length;
  let i = 0;
  while (i < len && isSpaceLike(line[i])) i++;
  const hasLeadingWhitespace = i > 0;
  const methodStart = i;
  while (i < len && !isSpaceLike(line[i])) i++;
  const method = line.subarray(methodStart, i);
  let hasMethodDelimiterNonSpace = false;
  while (i < len && isSpaceLike(line[i])) {
    if (line[i] !== SP) hasMethodDelimiterNonSpace = true;
    i++;
  }
  const result: RequestLine = {
    method, uri: null, protocol: null, hasLeadingWhitespace, hasMethodDelimiterNonSpace, hasUriDelimiterNonSpace: false,
  };
  let end = len;
  while (end > i && isSpaceLike(line[end - 1])) end--;
  if (i === end) return result;

  let split = lastIndexWhere(line, i, end, false);
  if (split < 0) {
    split = lastIndexWhere(line, i, end, true);
    if (split >= 0) result.hasUriDelimiterNonSpace = true;
  }
  if (split < 0) {
    result.uri = line.subarray(i, end);
    return result;
  }
  let uriEnd = split;
  while (uriEnd > i && isSpaceLike(line[uriEnd - 1])) uriEnd--;
  result.uri = line.subarray(i, uriEnd);
  result.protocol = line.subarray(split + 1, end);
  return result;
}

/** Returns the last index in [from, to) holding SP (or any whitespace when `anySpace`), or -1. */
function lastIndexWhere(line: Uint8Array, from: number, to: number, anySpace: boolean): number {
  for (let k = to - 1; k >= from; k--) {
    if (anySpace ? isSpaceLike(line[k]) : line[k] === SP) return k;
  }
  return -1;
}

/** Parts of a status line. `code` is -1 when the status code is not three digits. */
export interface StatusLine {
  protocol: Uint8Array;
  statusText: Uint8Array;
  code: number;
  message: Uint8Array;
}

/** Splits a status line (RFC 9112 section 4) into protocol, status code and reason phrase. */
export function parseStatusLine(line: Uint8Array): StatusLine {
  const len = line.length;
  let i = 0;
  while (i < len && isSpaceLike(line[i])) i++;
  const protoStart = i;
  while (i < len && !isSpaceLike(line[i])) i++;
  const protocol = line.subarray(protoStart, i);
  while (i < len && isSpaceLike(line[i])) i++;
  const codeStart = i;
  while (i < len && !isSpaceLike(line[i])) i++;
  const statusText = line.subarray(codeStart, i);
  let code = -1;
  if (statusText.length === 3) {
    const a = statusText[0] - 0x30;
    const b = statusText[1] - 0x30;
    const c = statusText[2] - 0x30;
    if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9) code = a * 100 + b * 10 + c;
  }
  while (i < len && (line[i] === SP || line[i] === HT)) i++;
  let end = len;
  while (end > i && isSpaceLike(line[end - 1])) end--;
  return { protocol, statusText, code, message: line.subarray(i, end) };
}

/** Parts of a header field line. */
export interface HeaderField {
  name: Uint8Array;
  value: Uint8Array;
  /** False when the line has no colon: the whole line is the name. */
  hasColon: boolean;
  /** True when the name is empty, has whitespace before the colon, or bytes outside RFC 9110 tchar. */
  isNameInvalid: boolean;
}

const TCHAR: Uint8Array = buildTcharTable();

function buildTcharTable(): Uint8Array {
  const t = new Uint8Array(256);
  const extra = "!#$%&'*+-.^_`|~";
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const ch of extra) t[ch.charCodeAt(0)] = 1;
  return t;
}

/**
 * Splits `name: value`. Leading and trailing whitespace is removed from
 * the value, and whitespace between the name and the colon from the name.
 */
export function parseHeaderField(line: Uint8Array): HeaderField {
  const len = line.length;
  let colon = 0;
  while (colon < len && line[colon] !== 0x3a) colon++;
  if (colon === len) {
    let end = len;
    while (end > 0 && isSpaceLike(line[end - 1])) end--;
    return { name: line.subarray(0, end), value: line.subarray(len, len), hasColon: false, isNameInvalid: true };
  }
  let nameEnd = colon;
  let isNameInvalid = colon === 0;
  while (nameEnd > 0 && (line[nameEnd - 1] === SP || line[nameEnd - 1] === HT)) {
    nameEnd--;
    isNameInvalid = true;
  }
  for (let i = 0; i < nameEnd; i++) {
    if (TCHAR[line[i]] === 0) {
      isNameInvalid = true;
      break;
    }
  }
  let v = colon + 1;
  while (v < len && isSpaceLike(line[v])) v++;
  let end = len;
  while (end > v && isSpaceLike(line[end - 1])) end--;
  return { name: line.subarray(0, nameEnd), value: line.subarray(v, end), hasColon: true, isNameInvalid };
}
