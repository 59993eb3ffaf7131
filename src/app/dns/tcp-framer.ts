/**
 * DNS over TCP framing (RFC 1035 section 4.2.2): each message follows a
 * 2-byte length. DnsTcpFramer splits one direction of the stream into
 * whole messages across any segment boundaries.
 */
import { DnsStatus } from './parser.js';

/**
 * Splits one direction of a DNS-over-TCP stream into messages. Bytes of a
 * message split over segments are kept in `buffer` until it is whole.
 */
export class DnsTcpFramer {
  /** Bytes of the message being assembled, length prefix excluded. */
  buffer: Uint8Array;
  /** Bytes of the current message (or of its prefix) held so far. */
  filled: number;
  /** Length of the current message, or -1 while its prefix is incomplete. */
  messageBytes: number;
  /** First byte of a prefix split over two calls, or -1. */
  prefixHigh: number;

  constructor() {
    this.buffer = new Uint8Array(512);
    this.filled = 0;
    this.messageBytes = -1;
    this.prefixHigh = -1;
  }

  /**
   * Consumes bytes and calls `sink.onDnsMessage` for every whole message.
   * Returns OK when the input ended on a message boundary, else NEED_MORE
   * (`missingBytes()` then gives the count).
   */
  feed(bytes: Uint8Array, start: number, length: number, sink: DnsMessageSink): number {
    let pos = start;
    const end = start + length;
    while (pos < end) {
      if (this.messageBytes < 0) {
        if (this.prefixHigh < 0) {
          if (end - pos >= 2) {
            this.beginMessage(((bytes[pos] << 8) | bytes[pos + 1]));
            pos += 2;
            if (sink.onMessageStart !== undefined) sink.onMessageStart(pos, Math.max(0, this.messageBytes));
          } else {
            this.prefixHigh = bytes[pos++];
          }
        } else {
          this.beginMessage((this.prefixHigh << 8) | bytes[pos++]);
          this.prefixHigh = -1;
          if (sink.onMessageStart !== undefined) sink.onMessageStart(pos, Math.max(0, this.messageBytes));
        }
        continue;
      }

      const want = this.messageBytes - this.filled;
      if (this.filled === 0 && end - pos >= want) {
        // The whole message is in this input: parse it in place.
        sink.onDnsMessage(bytes, pos, want);
        pos += want;
        this.messageBytes = -1;
        continue;
      }
      const take = Math.min(want, end - pos);
      this.buffer.set(bytes.subarray(pos, pos + take), this.filled);
      this.filled += take;
      pos += take;
      if (this.filled === this.messageBytes) {
        sink.onDnsMessage(this.buffer, 0, this.messageBytes);
        this.messageBytes = -1;
        this.filled = 0;
      }
    }
    return this.messageBytes < 0 && this.prefixHigh < 0 ? DnsStatus.OK : DnsStatus.NEED_MORE;
  }

  /** Bytes still needed to finish the current message (0 on a boundary). */
  missingBytes(): number {
    if (this.prefixHigh >= 0) return 1;
    if (this.messageBytes < 0) return 0;
    return this.messageBytes - this.filled;
  }

  /** Drops a partial message, as after a gap in the stream. */
  reset(): void {
    this.filled = 0;
    this.messageBytes = -1;
    this.prefixHigh = -1;
  }

  private beginMessage(messageBytes: number): void {
    this.messageBytes = messageBytes;
    this.filled = 0;
    if (this.buffer.length < messageBytes) {
      let size = this.buffer.length;
      while (size < messageBytes) size *= 2;
      this.buffer = new Uint8Array(Math.min(size, 65535));
    }
    if (messageBytes === 0) this.messageBytes = -1;
  }
}

/** Receiver of whole messages from DnsTcpFramer. */
export interface DnsMessageSink {
  onDnsMessage(bytes: Uint8Array, start: number, length: number): void;
  /** A message of `length` bytes begins at `bytes[index]`, after its length prefix. */
  onMessageStart?(index: number, length: number): void;
}
