/**
 * Webhook notifications: each EVE event is POSTed as JSON to a URL. One
 * POST is in flight at a time, and a token bucket lets at most
 * `rate-limit` start per second. A failed POST (network error, timeout,
 * 5xx or 429) is retried after a back-off that starts at `backoff-ms` and
 * doubles up to `max-backoff-ms`. After `retries` retries, or on another 4xx, the
 * event is dropped and counted. Events wait in a bounded queue, in order,
 * so a retry holds back the events behind it.
 */
import { NotifyQueue } from './notify-queue.js';

/** Settings of a WebhookSink (the notify.webhook section). */
export interface WebhookOptions {
  url: string;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** POSTs started per second at most. */
  rateLimit: number;
  queueSize: number;
}

/** Counters of a WebhookSink, as the stats event names them under notify.webhook. */
export interface WebhookCounters {
  sent: number;
  /** Attempts that failed and were tried again. */
  retries: number;
  /** Events given up after the last retry or a response that a retry cannot fix. */
  failed: number;
}

/** Tells whether a response status is worth a retry: 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Returns the wait in milliseconds before retry number `attempt` (1-based). */
export function backoffDelayMs(attempt: number, backoffMs: number, maxBackoffMs: number): number {
  return Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
}

/** Delivers queued EVE lines to a webhook. */
export class WebhookSink {
  readonly queue: NotifyQueue;
  readonly counters: WebhookCounters;
  private readonly options: WebhookOptions;
  private isInFlight: boolean;
  /** Time before which the head event waits (a back-off), in milliseconds since the epoch. */
  private retryAtMs: number;
  private tokens: number;
  private tokensAtMs: number;
  private isClosed: boolean;

  constructor(options: WebhookOptions) {
    this.options = options;
    this.queue = new NotifyQueue(options.queueSize);
    this.counters = { sent: 0, retries: 0, failed: 0 };
    this.isInFlight = false;
    this.retryAtMs = 0;
    this.tokens = options.rateLimit;
    this.tokensAtMs = Date.now();
    this.isClosed = false;
  }

  /** True while a POST is in flight or events wait. */
  get isBusy(): boolean {
    return this.isInFlight || this.queue.size > 0;
  }

  /** Starts the POST of the head event when none is in flight, its back-off has passed and the rate allows. */
  pump(): void {
    if (this.isClosed || this.isInFlight) return;
    const line = this.queue.peek();
    if (line === null) return;
    const now = Date.now();
    if (now < this.retryAtMs) return;

    // Token bucket: rateLimit tokens a second, holding at most one second's worth.
    const rate = this.options.rateLimit;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAtMs) * rate) / 1000);
    this.tokensAtMs = now;
    if (this.tokens < 1) return;
    this.tokens -= 1;

    this.isInFlight = true;
    void this.post(line).then((outcome) => this.finish(outcome));
  }

  /** POSTs one event; returns 'ok', 'retry' or 'fail'. */
  private async post(line: string): Promise<'ok' | 'retry' | 'fail'> {
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: line,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      // The body is not used; reading it frees the connection.
      await response.arrayBuffer();
      if (response.ok) return 'ok';
      return isRetryableStatus(response.status) ? 'retry' : 'fail';
    } catch {
      // A network error or the timeout.
      return 'retry';
    }
  }

  private finish(outcome: 'ok' | 'retry' | 'fail'): void {
    this.isInFlight = false;
    if (outcome === 'ok') {
      this.queue.shift();
      this.counters.sent++;
    } else {
      const attempts = this.queue.countHeadAttempt();
      if (outcome === 'fail' || attempts > this.options.retries) {
        this.queue.shift();
        this.counters.failed++;
      } else {
        this.counters.retries++;
        this.retryAtMs = Date.now() + backoffDelayMs(attempts, this.options.backoffMs, this.options.maxBackoffMs);
      }
    }
    // The next event goes without waiting for the next round when the rate allows.
    this.pump();
  }

  /** Stops starting POSTs; one in flight still completes. */
  close(): void {
    this.isClosed = true;
  }
}
