/**
 * Sends the reject responses that reject.ts builds, through the native
 * addon's raw IP sockets. Without the addon (or without root) a sender that
 * sends nothing takes its place. The responses are then counted as not
 * sent, and the reason is logged once, when the sender opens.
 */
import { loadNativeAddon, type NativeRawSender } from '../capture/native-addon.js';

/** Sender of reject responses, one IP packet at a time. */
export interface RejectSender {
  /** Sends bytes [0, length) of `packet`, a whole IPv4 or IPv6 packet. Returns 0, or an errno when it was not sent. */
  send(packet: Uint8Array, length: number): number;
  /** Releases the sockets; later sends fail. */
  close(): void;
}

/** ENOSYS, the errno that a sender without raw sockets returns for every send. */
export const SEND_UNAVAILABLE_ERRNO = 38;

/** The logger calls that openRejectSender makes (pino's shape). */
export interface RejectSenderLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Writes reject-sender warnings to stderr as kapu's warning lines. */
export const STDERR_REJECT_LOG: RejectSenderLog = {
  warn(fields, message) {
    process.stderr.write(`kapu: warning: ${message} (${JSON.stringify(fields)})\n`);
  },
};

export interface RejectSenderOptions {
  /** Send through this interface only; default: the routing table picks it. */
  interfaceName?: string;
  /** Path of the native addon; default: the one that scripts/build-native.js builds. */
  addonPath?: string;
}

/** A sender over the addon's raw IPv4 and IPv6 sockets. */
export class RawRejectSender implements RejectSender {
  private readonly native: NativeRawSender;

  /** Opens the sockets. Throws when the addon lacks RawSender or neither socket opens (root or CAP_NET_RAW is needed). */
  constructor(options: RejectSenderOptions = {}) {
    const addon = options.addonPath !== undefined ? loadNativeAddon(options.addonPath) : loadNativeAddon();
    if (addon.RawSender === undefined) throw new Error('the native addon has no RawSender: rebuild it with node scripts/build-native.js');
    this.native = new addon.RawSender(options.interfaceName !== undefined ? { interfaceName: options.interfaceName } : {});
  }

  send(packet: Uint8Array, length: number): number {
    return this.native.send(packet, length);
  }

  close(): void {
    this.native.close();
  }
}

/** A sender that sends nothing, for a run where raw sockets are not available. */
export class UnavailableRejectSender implements RejectSender {
  /** Reason that nothing can be sent, as logged when the sender opened. */
  readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }

  send(_packet: Uint8Array, _length: number): number {
    return SEND_UNAVAILABLE_ERRNO;
  }

  close(): void {}
}

/**
 * Opens a RawRejectSender, or, when the addon or the raw sockets are not
 * available, logs the reason once on `log` and returns an
 * UnavailableRejectSender. Never throws.
 */
export function openRejectSender(log: RejectSenderLog | null, options: RejectSenderOptions = {}): RejectSender {
  try {
    return new RawRejectSender(options);
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] as string) : String(error);
    if (log !== null) log.warn({ reason }, 'reject responses will not be sent');
    return new UnavailableRejectSender(reason);
  }
}
