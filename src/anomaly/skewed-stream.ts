/** A fixed skewed stream of (key, weight) pairs for the heavy-hitter tests. */

/**
 * A skewed stream: keys 1..5 send 1000, 500, 300, 200 and 100 packets, and
 * keys 1000..1999 one packet each, interleaved round-robin so the heavy
 * keys are evicted and re-enter while the summary is full.
 */
export function skewedStream(): Array<[number, number]> {
  const remaining = new Map<number, number>([[1, 1000], [2, 500], [3, 300], [4, 200], [5, 100]]);
  const stream: Array<[number, number]> = [];
  let singleton = 1000;
  while (remaining.size > 0 || singleton < 2000) {
    for (const [key, left] of remaining) {
      stream.push([key, 1]);
      if (left === 1) remaining.delete(key);
      else remaining.set(key, left - 1);
    }
    if (singleton < 2000) stream.push([singleton++, 1]);
  }
  return stream;
}
