/**
 * Exponentially weighted mean and variance per metric series, in typed
 * arrays, with optional hour-of-week baselines, a learning period and a
 * z-score with a robust fallback.
 *
 * Weight of a new value. With a half-life H seconds of capture time and a
 * gap dt seconds since the series' last value in the slot, the new value
 * weighs alpha = 1 - 2^(-dt / H): after H seconds of values the old mean
 * counts for half. So values arriving at uneven spacing are weighted by the
 * time they stand for, not by their number. A gap longer than `maxGapS`
 * (capture paused, or an hour slot that only receives values once a week)
 * counts as `maxGapS`, so an outage does not erase what was learnt. A gap
 * of zero or less (two values at one timestamp, time running backwards)
 * counts as `sampleIntervalS`.
 *
 * Update (the incremental form of a weighted mean and variance):
 *   diff = x - mean
 *   mean' = mean + alpha * diff
 *   var'  = (1 - alpha) * (var + alpha * diff^2)
 * The first value of a slot sets mean = x and var = 0.
 *
 * Score. z = (x - mean) / sqrt(var), taken before x is added. While a slot
 * has fewer than `minSamples` values, or less than `minLearningS` seconds
 * have passed since its first value, there is no score (NaN). When the
 * standard deviation is at most `nearZeroStdDev` (a flat series, where a
 * tiny change would give a huge z), the score falls back to the median
 * absolute deviation of the series' last `madWindow` values:
 *   z = (x - median) / (1.4826 * MAD)
 * where 1.4826 = 1 / Phi^-1(3/4) makes MAD estimate the standard deviation
 * of normal data. When the MAD is also 0 the score is 0 for x equal to the
 * median and +/-Infinity otherwise, so detectors pair the score with an
 * absolute floor of their own.
 *
 * Hour-of-week slots. With `hourOfWeek`, each series has 168 baselines,
 * slot 0 = Monday 00:00 to 01:00 and slot 167 = Sunday 23:00 to 24:00 in
 * the time zone `utcOffsetS` seconds east of UTC. Each slot learns on its
 * own. The MAD window is one per series, shared by its slots.
 */

/** Slots per series with hour-of-week baselines: 7 days of 24 hours. */
export const HOURS_PER_WEEK = 168;
/** 1 / Phi^-1(3/4): scales a median absolute deviation to a standard deviation for normal data. */
export const MAD_TO_STD_DEV = 1.4826;
/** Largest MAD window accepted. The median is found by insertion sort, which suits small windows. */
export const MAX_MAD_WINDOW = 255;

const SECONDS_PER_HOUR = 3600;
/** The Unix epoch fell on a Thursday: 72 hours after Monday 00:00. */
const EPOCH_HOURS_AFTER_MONDAY = 72;

/** Settings of an EwmaBank. Times are seconds of capture time. */
export interface EwmaConfig {
  /** Seconds after which an old mean weighs half. */
  halfLifeS: number;
  /** Expected spacing of values; a gap of 0 or less counts as this. */
  sampleIntervalS: number;
  /** Longer gaps count as this many seconds. */
  maxGapS: number;
  /** Values a slot needs before it gives a score. */
  minSamples: number;
  /** Seconds since a slot's first value before it gives a score. */
  minLearningS: number;
  /** One baseline per hour of the week (168 slots) instead of one. */
  hourOfWeek: boolean;
  /** Time zone of the hour-of-week slots, in seconds east of UTC. */
  utcOffsetS: number;
  /** Recent values kept per series for the MAD fallback. */
  madWindow: number;
  /** Standard deviations at or below this use the MAD fallback. */
  nearZeroStdDev: number;
}

/** Defaults: 1 hour half-life over 1 s values, learning for 100 values and 10 minutes, no hour-of-week slots. */
export function defaultEwmaConfig(): EwmaConfig {
  return {
    halfLifeS: 3600,
    sampleIntervalS: 1,
    maxGapS: 60,
    minSamples: 100,
    minLearningS: 600,
    hourOfWeek: false,
    utcOffsetS: 0,
    madWindow: 15,
    nearZeroStdDev: 1e-9,
  };
}

/** Returns the weight 1 - 2^(-dt / H) of a value that stands for `gapS` seconds. */
export function alphaForGap(gapS: number, halfLifeS: number): number {
  return 1 - Math.pow(2, -gapS / halfLifeS);
}

/** Returns the hour-of-week slot (0 = Monday 00:00) of a Unix time in seconds, in the zone `utcOffsetS` east of UTC. */
export function hourOfWeekSlot(timeS: number, utcOffsetS: number): number {
  const hours = Math.floor((timeS + utcOffsetS) / SECONDS_PER_HOUR) + EPOCH_HOURS_AFTER_MONDAY;
  return ((hours % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK;
}

/** The stored state of one slot of one series, as baseline-store.ts saves it. */
export interface EwmaSlotState {
  mean: number;
  variance: number;
  count: number;
  firstUpdateS: number;
  lastUpdateS: number;
}

/** `seriesCount` EWMA series, each with 1 or 168 slots. `update` and `zScore` allocate nothing. */
export class EwmaBank {
  readonly config: EwmaConfig;
  readonly seriesCount: number;
  readonly slotsPerSeries: number;
  private readonly means: Float64Array;
  private readonly variances: Float64Array;
  private readonly counts: Float64Array;
  private readonly firstUpdatesS: Float64Array;
  private readonly lastUpdatesS: Float64Array;
  /** Last `madWindow` values of each series, a ring; `recentNext` is the next write and `recentFill` the values held. */
  private readonly recent: Float64Array;
  private readonly recentNext: Uint16Array;
  private readonly recentFill: Uint16Array;
  private readonly scratch: Float64Array;

  constructor(config: EwmaConfig, seriesCount: number) {
    checkEwmaConfig(config);
    if (!Number.isInteger(seriesCount) || seriesCount < 1) {
      throw new RangeError(`EWMA series count ${seriesCount} is invalid (expected a positive integer)`);
    }
    this.config = config;
    this.seriesCount = seriesCount;
    this.slotsPerSeries = config.hourOfWeek ? HOURS_PER_WEEK : 1;
    const slots = seriesCount * this.slotsPerSeries;
    this.means = new Float64Array(slots);
    this.variances = new Float64Array(slots);
    this.counts = new Float64Array(slots);
    this.firstUpdatesS = new Float64Array(slots);
    this.lastUpdatesS = new Float64Array(slots);
    this.recent = new Float64Array(seriesCount * config.madWindow);
    this.recentNext = new Uint16Array(seriesCount);
    this.recentFill = new Uint16Array(seriesCount);
    this.scratch = new Float64Array(config.madWindow);
  }

  /** Returns the baseline slot that covers capture time `timeS`: always 0 without hour-of-week slots. */
  slotAt(timeS: number): number {
    return this.config.hourOfWeek ? hourOfWeekSlot(timeS, this.config.utcOffsetS) : 0;
  }

  /** Adds value `value` observed at `timeS` to `series`. */
  update(series: number, value: number, timeS: number): void {
    const at = series * this.slotsPerSeries + this.slotAt(timeS);
    this.pushRecent(series, value);

    if (this.counts[at] === 0) {
      this.means[at] = value;
      this.variances[at] = 0;
      this.counts[at] = 1;
      this.firstUpdatesS[at] = timeS;
      this.lastUpdatesS[at] = timeS;
      return;
    }

    let gapS = timeS - this.lastUpdatesS[at];
    if (gapS <= 0) gapS = this.config.sampleIntervalS;
    if (gapS > this.config.maxGapS) gapS = this.config.maxGapS;
    const alpha = alphaForGap(gapS, this.config.halfLifeS);
    const diff = value - this.means[at];
    this.means[at] += alpha * diff;
    this.variances[at] = (1 - alpha) * (this.variances[at] + alpha * diff * diff);
    this.counts[at]++;
    if (timeS > this.lastUpdatesS[at]) this.lastUpdatesS[at] = timeS;
  }

  /**
   * Tells whether the slot covering `timeS` has learnt long enough to
   * score: `minSamples` values, over at least `minLearningS` seconds from
   * its first value to its last one or to `timeS`, whichever is later. The
   * span up to the last value counts on its own, so a baseline learnt from
   * recordings of one period still scores a recording made before it.
   */
  isReady(series: number, timeS: number): boolean {
    const at = series * this.slotsPerSeries + this.slotAt(timeS);
    const learntUntilS = Math.max(timeS, this.lastUpdatesS[at]);
    return this.counts[at] >= this.config.minSamples && learntUntilS - this.firstUpdatesS[at] >= this.config.minLearningS;
  }

  /** Scores `value` at `timeS` against `series`'s baseline (see the file comment); NaN while learning. */
  zScore(series: number, value: number, timeS: number): number {
    if (!this.isReady(series, timeS)) return NaN;
    const at = series * this.slotsPerSeries + this.slotAt(timeS);
    const stdDev = Math.sqrt(this.variances[at]);
    if (stdDev > this.config.nearZeroStdDev) return (value - this.means[at]) / stdDev;
    return this.robustZScore(series, value);
  }

  /** Scores `value` by the median absolute deviation of the series' recent values. */
  robustZScore(series: number, value: number): number {
    const filled = this.recentFill[series];
    if (filled === 0) return NaN;
    const base = series * this.config.madWindow;
    for (let i = 0; i < filled; i++) this.scratch[i] = this.recent[base + i];
    const median = sortedMedian(this.scratch, filled);
    for (let i = 0; i < filled; i++) this.scratch[i] = Math.abs(this.recent[base + i] - median);
    const spread = sortedMedian(this.scratch, filled) * MAD_TO_STD_DEV;
    const diff = value - median;
    if (spread > 0) return diff / spread;
    if (diff === 0) return 0;
    return diff > 0 ? Infinity : -Infinity;
  }

  /** Copies one slot's state into `out` (for storage). */
  readSlot(series: number, slot: number, out: EwmaSlotState): EwmaSlotState {
    const at = series * this.slotsPerSeries + slot;
    out.mean = this.means[at];
    out.variance = this.variances[at];
    out.count = this.counts[at];
    out.firstUpdateS = this.firstUpdatesS[at];
    out.lastUpdateS = this.lastUpdatesS[at];
    return out;
  }

  /** Sets one slot's state (when loading stored baselines). */
  writeSlot(series: number, slot: number, state: EwmaSlotState): void {
    const at = series * this.slotsPerSeries + slot;
    this.means[at] = state.mean;
    this.variances[at] = state.variance;
    this.counts[at] = state.count;
    this.firstUpdatesS[at] = state.firstUpdateS;
    this.lastUpdatesS[at] = state.lastUpdateS;
  }

  /** Forgets everything about `series` (its slot in a host table was reused). */
  clearSeries(series: number): void {
    const start = series * this.slotsPerSeries;
    const end = start + this.slotsPerSeries;
    this.means.fill(0, start, end);
    this.variances.fill(0, start, end);
    this.counts.fill(0, start, end);
    this.firstUpdatesS.fill(0, start, end);
    this.lastUpdatesS.fill(0, start, end);
    this.recentNext[series] = 0;
    this.recentFill[series] = 0;
  }

  private pushRecent(series: number, value: number): void {
    const window = this.config.madWindow;
    this.recent[series * window + this.recentNext[series]] = value;
    this.recentNext[series] = (this.recentNext[series] + 1) % window;
    if (this.recentFill[series] < window) this.recentFill[series]++;
  }
}

/** Sorts the first `n` entries of `values` in place (insertion sort) and returns their median. */
function sortedMedian(values: Float64Array, n: number): number {
  for (let i = 1; i < n; i++) {
    const v = values[i];
    let j = i - 1;
    while (j >= 0 && values[j] > v) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = v;
  }
  const middle = n >> 1;
  return n % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

/** Throws a RangeError naming the first invalid setting of `config`. */
export function checkEwmaConfig(config: EwmaConfig): void {
  const positive: Array<[string, number]> = [
    ['halfLifeS', config.halfLifeS],
    ['sampleIntervalS', config.sampleIntervalS],
    ['maxGapS', config.maxGapS],
  ];
  for (const [name, value] of positive) {
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(`EWMA ${name} ${value} is invalid (expected a positive number of seconds)`);
    }
  }
  if (!Number.isInteger(config.minSamples) || config.minSamples < 1) {
    throw new RangeError(`EWMA minSamples ${config.minSamples} is invalid (expected a positive integer)`);
  }
  if (!(config.minLearningS >= 0)) {
    throw new RangeError(`EWMA minLearningS ${config.minLearningS} is invalid (expected 0 or more seconds)`);
  }
  if (!Number.isInteger(config.madWindow) || config.madWindow < 1 || config.madWindow > MAX_MAD_WINDOW) {
    throw new RangeError(`EWMA madWindow ${config.madWindow} is invalid (expected an integer 1..${MAX_MAD_WINDOW})`);
  }
  if (!(config.nearZeroStdDev >= 0)) {
    throw new RangeError(`EWMA nearZeroStdDev ${config.nearZeroStdDev} is invalid (expected 0 or more)`);
  }
}
