/**
 * Timestamps as Suricata writes them: EVE's ISO 8601 form
 * `2026-12-04T21:03:13.123456+0000` and fast.log's `12/04/2026-21:03:13.123456`.
 *
 * Suricata formats both in local time (localtime_r and strftime `%z`), so
 * the offset is that of the TZ environment variable, or of the system zone
 * (/etc/localtime) when TZ is unset, or UTC when neither exists. Node
 * resolves the local zone the same way, so kapu's timestamps match
 * Suricata's on the same machine. `TimestampFormatter` can also be fixed to
 * an offset, which tests use.
 */

const MICROS_PER_SECOND = 1_000_000;

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function pad6(n: number): string {
  const s = String(n);
  return '000000'.slice(s.length) + s;
}

/** Formats an offset in minutes east of UTC as `+HHMM` or `-HHMM`. */
export function formatUtcOffset(minutesEast: number): string {
  const sign = minutesEast < 0 ? '-' : '+';
  const abs = Math.abs(minutesEast);
  return sign + pad2(Math.floor(abs / 60)) + pad2(abs % 60);
}

/** The formatted date and time of one second. */
interface SecondText {
  second: number;
  isoPrefix: string;
  fastPrefix: string;
  offset: string;
}

/**
 * Formats capture timestamps. The text of the two most recent seconds is
 * kept, so events of the current second, and a flow start among them, only
 * format the microseconds.
 */
export class TimestampFormatter {
  /** Fixed offset in minutes east of UTC, or null to use the local zone. */
  private readonly fixedOffset: number | null;
  private recent: SecondText;
  private older: SecondText;

  constructor(fixedOffsetMinutes: number | null = null) {
    this.fixedOffset = fixedOffsetMinutes;
    this.recent = { second: Number.NaN, isoPrefix: '', fastPrefix: '', offset: '' };
    this.older = { second: Number.NaN, isoPrefix: '', fastPrefix: '', offset: '' };
  }

  /** Returns the EVE timestamp of `timestampUs` (microseconds since the epoch). */
  iso(timestampUs: number): string {
    const second = Math.floor(timestampUs / MICROS_PER_SECOND);
    const text = this.textOf(second);
    return text.isoPrefix + pad6(timestampUs - second * MICROS_PER_SECOND) + text.offset;
  }

  /** Returns the fast.log timestamp of `timestampUs`. */
  fast(timestampUs: number): string {
    const second = Math.floor(timestampUs / MICROS_PER_SECOND);
    return this.textOf(second).fastPrefix + pad6(timestampUs - second * MICROS_PER_SECOND);
  }

  private textOf(second: number): SecondText {
    if (this.recent.second === second) return this.recent;
    if (this.older.second === second) return this.older;
    // Reuse the older entry's object for the new second.
    const text = this.older;
    this.formatSecond(second, text);
    this.older = this.recent;
    this.recent = text;
    return text;
  }

  private formatSecond(second: number, text: SecondText): void {
    const ms = second * 1000;
    const offset = this.fixedOffset ?? -new Date(ms).getTimezoneOffset();
    // Wall-clock fields in the chosen zone, read with the UTC getters.
    const wall = new Date(ms + offset * 60_000);
    const year = wall.getUTCFullYear();
    const month = pad2(wall.getUTCMonth() + 1);
    const day = pad2(wall.getUTCDate());
    const time = pad2(wall.getUTCHours()) + ':' + pad2(wall.getUTCMinutes()) + ':' + pad2(wall.getUTCSeconds());
    text.second = second;
    text.isoPrefix = year + '-' + month + '-' + day + 'T' + time + '.';
    text.fastPrefix = month + '/' + day + '/' + year + '-' + time + '.';
    text.offset = formatUtcOffset(offset);
  }
}
