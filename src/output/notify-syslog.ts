/**
 * Syslog notifications: each EVE event becomes one RFC 5424 message, sent
 * over UDP to a server (RFC 5426) and, or, to the local syslog socket
 * through the `logger` command (util-linux), because Node cannot open
 * unix datagram sockets itself. Sending happens in `pump`, which the
 * notifier's timer calls, never on the packet path.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG
 *   <188>1 2026-12-05T03:20:00.123Z sensor1 kapu 4242 alert - {"timestamp":...}
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { NotifyQueue } from './notify-queue.js';

/** Facility codes of RFC 5424 section 6.2.1. */
export const SYSLOG_FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** Messages sent at most per delivery round, so one round stays short. */
const MAX_MESSAGES_PER_ROUND = 1000;

/** UTF-8 byte order mark, which RFC 5424 section 6.4 puts before a MSG in UTF-8. */
const BOM = '\ufeff';

/** Settings of a SyslogSink (the notify.syslog section). */
export interface SyslogOptions {
  /** HOST:PORT or [IPV6]:PORT of a UDP server, or null. */
  server: string | null;
  /** Path of a local unix socket, or null. */
  socket: string | null;
  facility: string;
  identity: string;
  maxMessageBytes: number;
  queueSize: number;
}

/**
 * Returns the syslog severity (RFC 5424 section 6.2.1) of an EVE event:
 * alert severity 1 is critical (2), 2 error (3), 3 warning (4), higher
 * notice (5); a drop is a warning, an anomaly a notice, others info (6).
 */
export function syslogSeverityOf(eventType: string, alertSeverity: number): number {
  if (eventType === 'alert') {
    if (alertSeverity <= 1) return 2;
    if (alertSeverity === 2) return 3;
    if (alertSeverity === 3) return 4;
    return 5;
  }
  if (eventType === 'drop') return 4;
  if (eventType === 'anomaly') return 5;
  return 6;
}

/** Returns the event type and alert severity of an EVE line (0 without alert). */
export function eventFacts(line: string): { eventType: string; severity: number } {
  try {
    const event = JSON.parse(line) as { event_type?: unknown; alert?: { severity?: unknown } };
    const severity = typeof event.alert?.severity === 'number' ? event.alert.severity : 0;
    return { eventType: typeof event.event_type === 'string' ? event.event_type : 'event', severity };
  } catch {
    return { eventType: 'event', severity: 0 };
  }
}

/** Cuts `bytes` to at most `max` bytes without splitting a UTF-8 sequence. */
function cutUtf8(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** Returns `text` as a header field: printable ASCII without blanks, at most `max` characters, or `-`. */
function headerField(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/**
 * Formats one RFC 5424 message for an EVE line, cut to `maxBytes`.
 * `now` is the TIMESTAMP (the time of sending).
 */
export function formatSyslogMessage(line: string, facility: number, identity: string, now: Date, maxBytes: number, host = hostname()): Buffer {
  const { eventType, severity } = eventFacts(line);
  const pri = facility * 8 + syslogSeverityOf(eventType, severity);
  const header = `<${pri}>1 ${now.toISOString()} ${headerField(host, 255)} ${headerField(identity, 48)} ${process.pid} ${headerField(eventType, 32)} - `;
  // ASCII needs no BOM (MSG-ANY); other text is UTF-8 and gets one.
  const msg = /^[\x00-\x7f]*$/.test(line) ? line : BOM + line;
  return cutUtf8(Buffer.from(header + msg, 'utf8'), maxBytes);
}

/**
 * Parses HOST:PORT or [IPV6]:PORT. Returns the host, port and UDP socket
 * type, or a message saying what is wrong.
 */
export function parseSyslogServer(text: string): { host: string; port: number; type: 'udp4' | 'udp6' } | string {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (m === null) return `'${text}' is not HOST:PORT (use [ADDRESS]:PORT for IPv6)`;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `'${text}': port ${port} is out of range (expected 1 to 65535)`;
  const host = m[1] as string;
  return { host, port, type: isIPv6(host) ? 'udp6' : 'udp4' };
}

/** Counters of a SyslogSink. */
export interface SyslogCounters {
  sent: number;
  /** Send errors reported by the socket or the logger command. */
  errors: number;
}

/** Delivers queued EVE lines to syslog. */
export class SyslogSink {
  readonly queue: NotifyQueue;
  readonly counters: SyslogCounters;
  private readonly options: SyslogOptions;
  private readonly facility: number;
  private readonly udp: Socket | null;
  private readonly server: { host: string; port: number } | null;
  private logger: ChildProcess | null;
  /** UDP sends whose callback has not run yet. */
  private pendingSends: number;
  private isClosing: boolean;

  /** Opens the UDP socket and starts `logger` for the local socket. Throws on a bad server. */
  constructor(options: SyslogOptions) {
    this.options = options;
    this.queue = new NotifyQueue(options.queueSize);
    this.counters = { sent: 0, errors: 0 };
    this.facility = SYSLOG_FACILITIES[options.facility] ?? SYSLOG_FACILITIES['local5'] as number;
    this.udp = null;
    this.server = null;
    this.logger = null;
    this.pendingSends = 0;
    this.isClosing = false;
    if (options.server !== null && options.server !== '') {
      const parsed = parseSyslogServer(options.server);
      if (typeof parsed === 'string') throw new RangeError(`notify.syslog.server: ${parsed}`);
      this.server = { host: parsed.host, port: parsed.port };
      this.udp = createSocket(parsed.type);
      this.udp.on('error', () => this.counters.errors++);
      this.udp.unref();
    }
    if (options.socket !== null && options.socket !== '') this.startLogger(options.socket);
  }

  /** Sends up to MAX_MESSAGES_PER_ROUND queued lines. */
  pump(): void {
    const now = new Date();
    for (let i = 0; i < MAX_MESSAGES_PER_ROUND; i++) {
      const line = this.queue.peek();
      if (line === null) return;
      const message = formatSyslogMessage(line, this.facility, this.options.identity, now, this.options.maxMessageBytes);
      this.queue.shift();
      this.send(message);
    }
  }

  /** True while messages wait or UDP sends are under way. */
  get isBusy(): boolean {
    return this.queue.size > 0 || this.pendingSends > 0;
  }

  private send(message: Buffer): void {
    const udp = this.udp;
    if (udp !== null && this.server !== null && !this.isClosing) {
      this.pendingSends++;
      udp.send(message, this.server.port, this.server.host, (err) => {
        this.pendingSends--;
        if (err) this.counters.errors++;
        else this.counters.sent++;
        if (this.isClosing && this.pendingSends === 0) udp.close();
      });
    }
    const logger = this.logger;
    if (logger !== null && logger.stdin !== null && logger.exitCode === null) {
      // logger reads one message a line and takes the <PRI> prefix as the priority.
      const pri = message.subarray(0, message.indexOf('>') + 1).toString('latin1');
      const body = message.subarray(message.indexOf(' - ') + 3).toString('utf8');
      logger.stdin.write(pri + body + '\n');
      if (this.udp === null) this.counters.sent++;
    }
  }

  /** Starts `logger -u SOCKET`, which writes each line of its input as one RFC 5424 message. */
  private startLogger(socket: string): void {
    const child = spawn('logger', ['-u', socket, '--socket-errors=off', '--rfc5424', '--prio-prefix', '-t', this.options.identity, '--size', String(this.options.maxMessageBytes)], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => {
      this.counters.errors++;
      this.logger = null;
    });
    child.on('exit', () => {
      this.logger = null;
    });
    child.stdin?.on('error', () => this.counters.errors++);
    child.unref();
    // The pipe must not keep the process alive once the run is over either.
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.logger = child;
  }

  /** Closes the UDP socket once its sends are done, and ends `logger` after it has read its input. */
  close(): void {
    if (this.isClosing) return;
    this.isClosing = true;
    if (this.pendingSends === 0) this.udp?.close();
    this.logger?.stdin?.end();
  }
}
