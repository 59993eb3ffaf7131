/**
 * SSH transport parser (RFC 4253): the identification line ("banner")
 * `SSH-protoversion-softwareversion SP comments CR LF` of section 4.2, then
 * the binary packets of section 6 up to SSH_MSG_NEWKEYS, after which the
 * direction is encrypted and nothing more is parsed. Input may be split at
 * any byte; a partial line or packet header is kept here.
 *
 *   binary packet: | packet_length u32 | padding_length u8 | payload ... | padding | mac |
 */
import { SshEvent } from './events.js';

export const SshStatus = {
  OK: 0,
  NEED_MORE: 1,
  INVALID: 2,
} as const;

/** Message numbers that the parser acts on (RFC 4253 section 12). */
export const SshMessage = {
  KEXINIT: 20,
  NEWKEYS: 21,
} as const;

/**
 * Maximum length of the identification line kept, CR LF included, in bytes.
 * RFC 4253 section 4.2 allows 255 characters. A longer line is cut here, ssh.long_banner is
 * raised, and the rest of the line is skipped.
 */
export const MAX_SSH_BANNER_BYTES = 255;

/**
 * Maximum number of lines a server may send before its identification line
 * (RFC 4253 section 4.2 allows such lines from the server only). Past this,
 * the stream is not SSH: ssh.invalid_banner is raised and parsing stops.
 */
export const MAX_SSH_PRE_BANNER_LINES = 16;

/**
 * Maximum packet_length accepted, in bytes. RFC 4253 section 6.1 requires support
 * for 35000-byte packets; OpenSSH accepts up to 256 KiB. A larger value,
 * or one below 5, raises ssh.invalid_record and parsing stops.
 */
export const MAX_SSH_PACKET_BYTES = 256 * 1024;

/**
 * Maximum KEXINIT payload kept for HASSH, in bytes. OpenSSH's KEXINIT is
 * about 1.5 KB; a larger one is skipped and gets no HASSH.
 */
export const MAX_SSH_KEXINIT_BYTES = 64 * 1024;

/** The identification line of one side. */
export interface SshBanner {
  /** `2.0` or `1.99` (the compatibility version of section 5.1). */
  protoVersion: Uint8Array;
  /** The software version: up to the first space. */
  softwareVersion: Uint8Array;
  /** Text after the first space, or an empty array. */
  comments: Uint8Array;
}

/** Receiver of what the parser finds. */
export interface SshSink {
  onBanner(banner: SshBanner): void;
  /** A binary packet header; `headerIndex` is its position in the bytes being parsed (negative when it began in an earlier chunk). */
  onPacket(messageCode: number, packetBytes: number, headerIndex: number): void;
  /** The KEXINIT payload after its message code: `bytes[0, length)`, valid only during the call. */
  onKexInit(bytes: Uint8Array, length: number): void;
  onEncrypted(): void;
  onEvent(event: number): void;
}

const PHASE_BANNER = 0;
const PHASE_PACKETS = 1;
const PHASE_ENCRYPTED = 2;
const PHASE_BROKEN = 3;

/** The parser of one direction. */
export class SshParser {
  readonly isServer: boolean;
  phase: number;
  /** Bytes of the current line held so far (at most MAX_SSH_BANNER_BYTES). */
  readonly line: Uint8Array;
  lineFilled: number;
  /** True while skipping the rest of an over-long line. */
  isSkippingLine: boolean;
  preBannerLines: number;
  /** Header bytes (packet_length and padding_length and the message code) held so far. */
  readonly header: Uint8Array;
  headerFilled: number;
  /** Bytes of the current packet still to skip, MAC included. */
  packetLeft: number;
  /** Binary packets parsed so far. */
  packets: number;
  /** KEXINIT payload bytes still to copy into `kexInit`, and those copied. */
  kexInitLeft: number;
  kexInitFilled: number;
  kexInit: Uint8Array;

  constructor(isServer: boolean) {
    this.isServer = isServer;
    this.phase = PHASE_BANNER;
    this.line = new Uint8Array(MAX_SSH_BANNER_BYTES);
    this.lineFilled = 0;
    this.isSkippingLine = false;
    this.preBannerLines = 0;
    this.header = new Uint8Array(6);
    this.headerFilled = 0;
    this.packetLeft = 0;
    this.packets = 0;
    this.kexInitLeft = 0;
    this.kexInitFilled = 0;
    this.kexInit = new Uint8Array(0);
  }

  /** Parses the next bytes of the direction. */
  feed(bytes: Uint8Array, start: number, length: number, sink: SshSink): number {
    let pos = start;
    const end = start + length;
    while (pos < end) {
      if (this.phase === PHASE_BANNER) pos = this.feedBanner(bytes, pos, end, sink);
      else if (this.phase === PHASE_PACKETS) pos = this.feedPacket(bytes, pos, end, sink);
      else break;
    }
    if (this.phase === PHASE_BROKEN) return SshStatus.INVALID;
    return this.lineFilled === 0 && this.headerFilled === 0 && this.packetLeft === 0 ? SshStatus.OK : SshStatus.NEED_MORE;
  }

  /** True once NEWKEYS was seen in this direction. */
  get isEncrypted(): boolean {
    return this.phase === PHASE_ENCRYPTED;
  }

  /** Stops parsing after a gap: packet boundaries are lost. */
  markGap(): void {
    if (this.phase !== PHASE_ENCRYPTED) this.phase = PHASE_BROKEN;
  }

  private feedBanner(bytes: Uint8Array, pos: number, end: number, sink: SshSink): number {
    while (pos < end) {
      const b = bytes[pos++];
      if (b === 0x0a) {
        this.endLine(sink);
        return pos;
      }
      if (this.isSkippingLine) continue;
      if (this.lineFilled === MAX_SSH_BANNER_BYTES) {
        sink.onEvent(SshEvent.LONG_BANNER);
        this.isSkippingLine = true;
        continue;
      }
      this.line[this.lineFilled++] = b;
    }
    return pos;
  }

  private endLine(sink: SshSink): void {
    let n = this.lineFilled;
    if (n > 0 && this.line[n - 1] === 0x0d) n--;
    this.lineFilled = 0;
    this.isSkippingLine = false;
    const line = this.line.subarray(0, n);
    const isBanner = n >= 4 && line[0] === 0x53 && line[1] === 0x53 && line[2] === 0x48 && line[3] === 0x2d;
    if (!isBanner) {
      // RFC 4253 section 4.2: the server may send other lines first; the
      // client sends its identification line first.
      if (!this.isServer || ++this.preBannerLines > MAX_SSH_PRE_BANNER_LINES) {
        sink.onEvent(SshEvent.INVALID_BANNER);
        this.phase = PHASE_BROKEN;
      }
      return;
    }
    const banner = parseBannerLine(line);
    if (banner === null) {
      sink.onEvent(SshEvent.INVALID_BANNER);
      this.phase = PHASE_BROKEN;
      return;
    }
    sink.onBanner(banner);
    this.phase = PHASE_PACKETS;
  }

  private feedPacket(bytes: Uint8Array, pos: number, end: number, sink: SshSink): number {
    if (this.kexInitLeft > 0) {
      const take = Math.min(this.kexInitLeft, end - pos);
      this.kexInit.set(bytes.subarray(pos, pos + take), this.kexInitFilled);
      this.kexInitFilled += take;
      this.kexInitLeft -= take;
      this.packetLeft -= take;
      if (this.kexInitLeft === 0) sink.onKexInit(this.kexInit, this.kexInitFilled);
      return pos + take;
    }
    if (this.packetLeft > 0) {
      const skip = Math.min(this.packetLeft, end - pos);
      this.packetLeft -= skip;
      return pos + skip;
    }
    while (this.headerFilled < 6 && pos < end) this.header[this.headerFilled++] = bytes[pos++];
    if (this.headerFilled < 6) return pos;
    this.headerFilled = 0;

    const h = this.header;
    const packetBytes = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
    const paddingBytes = h[4];
    // RFC 4253 section 6: packet_length counts padding_length, payload and
    // padding, so the padding must fit inside it with a message code.
    if (packetBytes < 5 || packetBytes > MAX_SSH_PACKET_BYTES || paddingBytes + 1 >= packetBytes) {
      sink.onEvent(SshEvent.INVALID_RECORD);
      this.phase = PHASE_BROKEN;
      return pos;
    }
    const code = h[5];
    this.packets++;
    sink.onPacket(code, packetBytes, pos - 6);
    // Two header bytes past packet_length are read already; no MAC runs
    // before NEWKEYS takes effect.
    this.packetLeft = packetBytes - 2;
    const payloadBytes = packetBytes - 1 - paddingBytes - 1;
    if (code === SshMessage.KEXINIT && payloadBytes > 0 && payloadBytes <= MAX_SSH_KEXINIT_BYTES) {
      if (this.kexInit.length < payloadBytes) this.kexInit = new Uint8Array(payloadBytes);
      this.kexInitLeft = payloadBytes;
      this.kexInitFilled = 0;
    }
    if (code === SshMessage.NEWKEYS) {
      this.phase = PHASE_ENCRYPTED;
      sink.onEncrypted();
    }
    return pos;
  }
}

/**
 * Splits `SSH-protoversion-softwareversion[ SP comments]` (CR LF removed).
 * Returns null when a part is missing.
 */
export function parseBannerLine(line: Uint8Array): SshBanner | null {
  const dash = line.indexOf(0x2d, 4);
  if (dash <= 4) return null;
  const protoVersion = line.slice(4, dash);
  const rest = line.subarray(dash + 1);
  const space = rest.indexOf(0x20);
  const softwareVersion = rest.slice(0, space < 0 ? rest.length : space);
  if (softwareVersion.length === 0) return null;
  return { protoVersion, softwareVersion, comments: space < 0 ? new Uint8Array(0) : rest.slice(space + 1) };
}
