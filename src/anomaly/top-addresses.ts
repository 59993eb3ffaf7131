/**
 * Frequent addresses per row (a victim, a scanner), by the Misra-Gries
 * summary with k counters a row: an address already held gains its weight;
 * a new one takes a free counter; with none free, every counter loses the
 * smallest count among them and the weight, and emptied counters are freed
 * (the new address takes one if its weight is left over). Each count is a
 * lower bound of the address's true count, short by at most total / (k + 1),
 * so an address with more than 1 / (k + 1) of the row's weight is always held.
 *
 * Addresses are stored as four 32-bit words (IPv4 in word 0) and a version
 * byte, in typed arrays; `add` allocates nothing.
 */
import { formatIpv6Groups } from './host-table.js';

/** Formats an address stored as four words at `at` (IPv4 in the first) as text. */
export function formatAddressWords(ipVersion: number, words: Uint32Array, at: number): string {
  if (ipVersion === 4) {
    const a = words[at];
    return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) groups.push(words[at + i] >>> 16, words[at + i] & 0xffff);
  return formatIpv6Groups(groups);
}

/** Misra-Gries summaries of `rows` rows with `k` address counters each. */
export class TopAddressBank {
  readonly rows: number;
  readonly k: number;
  private readonly versions: Uint8Array;
  private readonly words: Uint32Array;
  private readonly counts: Float64Array;

  constructor(rows: number, k: number) {
    this.rows = rows;
    this.k = k;
    this.versions = new Uint8Array(rows * k);
    this.words = new Uint32Array(rows * k * 4);
    this.counts = new Float64Array(rows * k);
  }

  /** Adds `weight` for the address (IPv4 as a number, IPv6 as 16 bytes) in `row`. */
  add(row: number, ipVersion: number, addr4: number, addr: Uint8Array, weight: number): void {
    const base = row * this.k;
    let free = -1;
    for (let i = base; i < base + this.k; i++) {
      if (this.counts[i] === 0) {
        if (free < 0) free = i;
        continue;
      }
      if (this.isSame(i, ipVersion, addr4, addr)) {
        this.counts[i] += weight;
        return;
      }
    }
    if (free >= 0) {
      this.store(free, ipVersion, addr4, addr, weight);
      return;
    }

    let smallest = Infinity;
    for (let i = base; i < base + this.k; i++) if (this.counts[i] < smallest) smallest = this.counts[i];
    const cut = Math.min(smallest, weight);
    for (let i = base; i < base + this.k; i++) this.counts[i] -= cut;
    if (weight > cut) {
      for (let i = base; i < base + this.k; i++) {
        if (this.counts[i] === 0) {
          this.store(i, ipVersion, addr4, addr, weight - cut);
          return;
        }
      }
    }
  }

  /** Returns the counter index (row * k + i) of the largest count in `row`, or -1 when the row is empty. */
  topIndex(row: number): number {
    let best = -1;
    for (let i = row * this.k; i < (row + 1) * this.k; i++) {
      if (this.counts[i] > 0 && (best < 0 || this.counts[i] > this.counts[best])) best = i;
    }
    return best;
  }

  /** Returns the count of counter `index`. */
  countAt(index: number): number {
    return this.counts[index];
  }

  /** Returns the address of counter `index` as text. */
  addressAt(index: number): string {
    return formatAddressWords(this.versions[index], this.words, index * 4);
  }

  /** Returns the held addresses of `row` with their counts, largest first (allocates; for reports). */
  list(row: number): Array<{ ip: string; count: number }> {
    const out: Array<{ ip: string; count: number }> = [];
    for (let i = row * this.k; i < (row + 1) * this.k; i++) {
      if (this.counts[i] > 0) out.push({ ip: this.addressAt(i), count: this.counts[i] });
    }
    return out.sort((a, b) => b.count - a.count);
  }

  /** Empties `row`. */
  clear(row: number): void {
    this.counts.fill(0, row * this.k, (row + 1) * this.k);
  }

  private isSame(i: number, ipVersion: number, addr4: number, addr: Uint8Array): boolean {
    if (this.versions[i] !== ipVersion) return false;
    const w = i * 4;
    if (ipVersion === 4) return this.words[w] === addr4 >>> 0;
    for (let j = 0; j < 4; j++) {
      const word = ((addr[j * 4] << 24) | (addr[j * 4 + 1] << 16) | (addr[j * 4 + 2] << 8) | addr[j * 4 + 3]) >>> 0;
      if (this.words[w + j] !== word) return false;
    }
    return true;
  }

  private store(i: number, ipVersion: number, addr4: number, addr: Uint8Array, weight: number): void {
    this.versions[i] = ipVersion;
    const w = i * 4;
    if (ipVersion === 4) {
      this.words[w] = addr4 >>> 0;
      this.words[w + 1] = 0;
      this.words[w + 2] = 0;
      this.words[w + 3] = 0;
    } else {
      for (let j = 0; j < 4; j++) {
        this.words[w + j] = ((addr[j * 4] << 24) | (addr[j * 4 + 1] << 16) | (addr[j * 4 + 2] << 8) | addr[j * 4 + 3]) >>> 0;
      }
    }
    this.counts[i] = weight;
  }
}
