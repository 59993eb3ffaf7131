/**
 * A bounded first-in first-out queue of EVE lines waiting for delivery to
 * one notification sink. `offer` runs where the event is written (on the
 * packet path): it stores the line in a ring slot, or counts it as dropped
 * when the queue is full, and never blocks or grows.
 */
export class NotifyQueue {
  readonly capacity: number;
  /** Lines refused because the queue was full. */
  dropped: number;
  private readonly lines: (string | null)[];
  /** Delivery attempts already made for the line in each slot. */
  private readonly attempts: Uint32Array;
  private head: number;
  private count: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.dropped = 0;
    this.lines = new Array<string | null>(capacity).fill(null);
    this.attempts = new Uint32Array(capacity);
    this.head = 0;
    this.count = 0;
  }

  /** Lines waiting. */
  get size(): number {
    return this.count;
  }

  /** Adds `line` at the tail; returns false (and counts it) when the queue is full. */
  offer(line: string): boolean {
    if (this.count === this.capacity) {
      this.dropped++;
      return false;
    }
    const slot = (this.head + this.count) % this.capacity;
    this.lines[slot] = line;
    this.attempts[slot] = 0;
    this.count++;
    return true;
  }

  /** Returns the line at the head, or null when the queue is empty. */
  peek(): string | null {
    return this.count === 0 ? null : this.lines[this.head] ?? null;
  }

  /** Delivery attempts made for the head line. */
  get headAttempts(): number {
    return this.count === 0 ? 0 : (this.attempts[this.head] as number);
  }

  /** Records one more failed attempt for the head line and returns the new count. */
  countHeadAttempt(): number {
    const n = (this.attempts[this.head] as number) + 1;
    this.attempts[this.head] = n;
    return n;
  }

  /** Removes the head line. */
  shift(): void {
    if (this.count === 0) return;
    this.lines[this.head] = null;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }
}
