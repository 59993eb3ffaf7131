/**
 * Administrator notifications (the `notify` section): an EVE writer whose
 * lines go to the queues of a syslog sink and a webhook sink instead of a
 * file. Writing a line only stores it in each bounded queue; a timer
 * delivers the queues every `interval-ms`, so the packet path never waits
 * for a network.
 */
import type { EveLogConfig, KapuConfig, NotifyConfig } from '../config/types.js';
import { defaultEveTypes } from '../config/outputs-config.js';
import { parseSyslogServer } from './notify-syslog.js';
import type { EveLineSink } from './eve-writer.js';
import { SyslogSink } from './notify-syslog.js';
import { WebhookSink } from './notify-webhook.js';

/** Event types a notifier can send. */
export const NOTIFY_EVENT_TYPES = ['alert', 'drop', 'anomaly'] as const;

/** Tells whether the config enables a notification sink. */
export function isNotifyEnabled(config: KapuConfig): boolean {
  return config.notify.syslog.enabled || config.notify.webhook.enabled;
}

/** Returns the problems of a notify section (sinks without a destination, unknown types), one line each. */
export function notifyConfigProblems(config: NotifyConfig): string[] {
  const problems: string[] = [];
  config.types.forEach((type, i) => {
    if (!(NOTIFY_EVENT_TYPES as readonly string[]).includes(type)) problems.push(`notify.types[${i}]: '${type}' is not a notification type (expected ${NOTIFY_EVENT_TYPES.join(', ')})`);
  });
  const syslog = config.syslog;
  if (syslog.enabled && (syslog.server ?? '') === '' && (syslog.socket ?? '') === '') {
    problems.push('notify.syslog: enabled without server or socket (set notify.syslog.server to HOST:PORT or notify.syslog.socket to /dev/log)');
  }
  if ((syslog.server ?? '') !== '') {
    const parsed = parseSyslogServer(syslog.server as string);
    if (typeof parsed === 'string') problems.push(`notify.syslog.server: ${parsed}`);
  }
  const webhook = config.webhook;
  if (webhook.enabled && !/^https?:\/\/[^/\s]+/i.test(webhook.url ?? '')) {
    problems.push(`notify.webhook.url: '${webhook.url ?? ''}' is not an http:// or https:// URL`);
  }
  if (webhook.maxBackoffMs < webhook.backoffMs) {
    problems.push(`notify.webhook.max-backoff-ms: ${webhook.maxBackoffMs} is below backoff-ms ${webhook.backoffMs}`);
  }
  return problems;
}

/**
 * Returns the eve-log settings of the notifier's EVE writer: the event
 * types of notify.types, alerts without payload or packet, and drop
 * events that name their rule.
 */
export function notifyEveConfig(config: NotifyConfig): EveLogConfig {
  const types = defaultEveTypes();
  const wanted = new Set(config.types);
  types.alert = { ...types.alert, enabled: wanted.has('alert'), payload: false, payloadPrintable: false, payloadLength: false, packet: false, taggedPackets: false };
  types.drop = { ...types.drop, enabled: wanted.has('drop'), alerts: true };
  types.anomaly = { ...types.anomaly, enabled: wanted.has('anomaly') };
  types.flow = { enabled: false };
  types.stats = { ...types.stats, enabled: false };
  types.protocols = [];
  return { enabled: true, filetype: 'regular', filename: 'notify', communityId: false, communityIdSeed: 0, ethernet: false, ipv6Compress: false, pcapFile: false, types };
}

/** Sends the lines written to it to syslog and a webhook, from a timer. */
export class Notifier implements EveLineSink {
  readonly syslog: SyslogSink | null;
  readonly webhook: WebhookSink | null;
  private readonly timer: NodeJS.Timeout;

  constructor(config: NotifyConfig) {
    const s = config.syslog;
    this.syslog = s.enabled
      ? new SyslogSink({ server: s.server, socket: s.socket, facility: s.facility, identity: s.identity, maxMessageBytes: s.maxMessageBytes, queueSize: s.queueSize })
      : null;
    const w = config.webhook;
    this.webhook = w.enabled && w.url !== null
      ? new WebhookSink({ url: w.url, timeoutMs: w.timeout * 1000, retries: w.retries, backoffMs: w.backoffMs, maxBackoffMs: w.maxBackoffMs, rateLimit: w.rateLimit, queueSize: w.queueSize })
      : null;
    this.timer = setInterval(() => this.pump(), config.intervalMs);
    // The timer must not keep the process alive once the run is over.
    this.timer.unref();
  }

  /** True when any sink is enabled. */
  get isEnabled(): boolean {
    return this.syslog !== null || this.webhook !== null;
  }

  /** Queues one EVE line for every sink; a full queue counts it as dropped. */
  writeLine(line: string): void {
    this.syslog?.queue.offer(line);
    this.webhook?.queue.offer(line);
  }

  /** Runs one delivery round. */
  pump(): void {
    this.syslog?.pump();
    this.webhook?.pump();
  }

  /** Nothing to flush: the timer delivers. */
  flush(): void {}

  reopen(): void {}

  /**
   * Delivers what is queued for at most `timeoutMs` milliseconds, then
   * stops the timer and closes the sinks. What is left stays counted as
   * queued, not sent.
   */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && ((this.syslog !== null && this.syslog.isBusy) || (this.webhook !== null && this.webhook.isBusy))) {
      this.pump();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.close();
  }

  /** Stops the timer and closes the sinks. */
  close(): void {
    clearInterval(this.timer);
    this.syslog?.close();
    this.webhook?.close();
  }

  /** Adds the notify.* counters for the stats event. */
  collectCounters(out: Map<string, number>): void {
    const syslog = this.syslog;
    if (syslog !== null) {
      out.set('notify.syslog.sent', syslog.counters.sent);
      out.set('notify.syslog.errors', syslog.counters.errors);
      out.set('notify.syslog.dropped', syslog.queue.dropped);
      out.set('notify.syslog.queued', syslog.queue.size);
    }
    const webhook = this.webhook;
    if (webhook !== null) {
      out.set('notify.webhook.sent', webhook.counters.sent);
      out.set('notify.webhook.retries', webhook.counters.retries);
      out.set('notify.webhook.failed', webhook.counters.failed);
      out.set('notify.webhook.dropped', webhook.queue.dropped);
      out.set('notify.webhook.queued', webhook.queue.size);
    }
  }
}
