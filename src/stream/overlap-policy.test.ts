import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostOsPolicyTable, OsPolicy, isNewDataPreferred, osPolicyId } from './overlap-policy.js';
import { InsertStatus, MemoryBudget, SegmentList } from './segment-list.js';

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

/**
 * Stores `segments` in order ([offset, letters]) under `policy` and returns
 * the stream bytes of [0, length) with '.' where nothing was stored.
 */
function reassemble(policy: number, segments: [number, string][], length: number, keepFirst = false): string {
  const list = new SegmentList(new MemoryBudget(0), new MemoryBudget(0));
  const scratch = new Uint8Array(64);
  for (const [offset, letters] of segments) {
    const bytes = latin1(letters);
    assert.equal(list.insert(bytes, 0, bytes.length, offset, policy, keepFirst, scratch), InsertStatus.OK);
  }
  let out = '';
  for (let at = 0; at < length; at++) {
    const covered = list.contiguousEnd(at) > at;
    out += covered ? String.fromCharCode(list.data[at - list.dataBase] as number) : '.';
  }
  return out;
}

/*
 * One old segment "OOOO" at offsets 4..8, then one new segment of N's. The
 * new segment's place against the old one, by case:
 *
 *   offset      0123456789
 *   old             OOOO
 *   1 same/same     NNNN
 *   2 same/short    NN
 *   3 same/longer   NNNNNN
 *   4 before/short NNNN
 *   5 before/same  NNNNNN
 *   6 before/longer NNNNNNNN   (2..10)
 *   7 inside         NN        (5..7)
 *   8 after/same     NNN       (5..8)
 *   9 after/longer    NNNN     (6..10)
 *
 * The expected result of each case under each policy was worked out by hand
 * from the overlap rules in overlap-policy.ts (new data wins: N, else O).
 */
const NEW_SEGMENTS: [number, number][] = [
  [4, 8], [4, 6], [4, 10], [2, 6], [2, 8], [2, 10], [5, 7], [5, 8], [6, 10],
];
// The stream under each case when the old data wins, and when the new data wins.
const OLD_WINS = ['....OOOO..', '....OOOO..', '....OOOONN', '..NNOOOO..', '..NNOOOO..', '..NNOOOONN', '....OOOO..', '....OOOO..', '....OOOONN'];
const NEW_WINS = ['....NNNN..', '....NNOO..', '....NNNNNN', '..NNNNOO..', '..NNNNNN..', '..NNNNNNNN', '....ONNO..', '....ONNN..', '....OONNNN'];
// Who wins the overlap in cases 1 to 9, per policy.
const WINNERS: Record<string, string> = {
  first: 'OOOOOOOOO',
  last: 'NNNNNNNNN',
  bsd: 'OOONNNOOO',
  linux: 'OONNNNOOO',
  'old-linux': 'NONNNNOOO',
  solaris: 'NONONNOON',
  vista: 'OOOOOOOOO',
};
// Policies that decide as their listed twin.
const SAME_AS: Record<string, string> = {
  windows: 'bsd', macos: 'bsd', irix: 'bsd', hpux10: 'bsd', windows2k3: 'bsd', 'bsd-right': 'bsd',
  hpux11: 'solaris', 'old-solaris': 'first',
};

for (const name of [...Object.keys(WINNERS), ...Object.keys(SAME_AS)]) {
  test(`overlap policy ${name} by case`, () => {
    const policy = osPolicyId(name);
    assert.ok(policy >= 0);
    const winners = WINNERS[SAME_AS[name] ?? name] as string;
    NEW_SEGMENTS.forEach(([start, end], i) => {
      const got = reassemble(policy, [[4, 'OOOO'], [start, 'N'.repeat(end - start)]], 10);
      const expected = winners[i] === 'N' ? NEW_WINS[i] : OLD_WINS[i];
      assert.equal(got, expected, `case ${i + 1}`);
    });
  });
}

test('overlap new segment covering two', () => {
  // Old "AAAA" at 0..4 and "BBBB" at 8..12; new C's at 2..14 start inside A and cover B.
  const segments: [number, string][] = [[0, 'AAAA'], [8, 'BBBB'], [2, 'CCCCCCCCCCCC']];
  assert.equal(reassemble(OsPolicy.FIRST, segments, 14), 'AAAACCCCBBBBCC');
  assert.equal(reassemble(OsPolicy.BSD, segments, 14), 'AAAACCCCCCCCCC');
  assert.equal(reassemble(OsPolicy.LINUX, segments, 14), 'AAAACCCCCCCCCC');
  assert.equal(reassemble(OsPolicy.SOLARIS, segments, 14), 'AACCCCCCCCCCCC');
  assert.equal(reassemble(OsPolicy.LAST, segments, 14), 'AACCCCCCCCCCCC');
  assert.equal(reassemble(OsPolicy.VISTA, segments, 14), 'AAAACCCCBBBBCC');
});

test('overlap in-line keeps first data', () => {
  const segments: [number, string][] = [[0, 'GOOD'], [0, 'EVIL'], [2, 'XXXXYY']];
  assert.equal(reassemble(OsPolicy.LAST, segments, 8, true), 'GOODXXYY');
});

test('overlap same data is no difference', () => {
  const list = new SegmentList(new MemoryBudget(0), new MemoryBudget(0));
  const scratch = new Uint8Array(16);
  list.insert(latin1('ABCD'), 0, 4, 0, OsPolicy.BSD, false, scratch);
  list.insert(latin1('CDEF'), 0, 4, 2, OsPolicy.BSD, false, scratch);
  assert.equal(list.lastOverlap, true);
  assert.equal(list.lastDifferentData, false);
  list.insert(latin1('XY'), 0, 2, 1, OsPolicy.BSD, false, scratch);
  assert.equal(list.lastDifferentData, true);
  assert.equal(text(list.data.subarray(0, 6)), 'ABCDEF');
});

test('overlap decision matches table', () => {
  // Spot checks of isNewDataPreferred against the table in overlap-policy.ts.
  assert.equal(isNewDataPreferred(OsPolicy.LINUX, 4, 10, 4, 8), true);
  assert.equal(isNewDataPreferred(OsPolicy.BSD, 4, 10, 4, 8), false);
  assert.equal(isNewDataPreferred(OsPolicy.HPUX11, 6, 10, 4, 8), true);
  assert.equal(isNewDataPreferred(OsPolicy.WINDOWS, 6, 10, 4, 8), false);
  assert.equal(isNewDataPreferred(OsPolicy.FIRST, 0, 10, 4, 8), false);
});

test('host os policy longest prefix', () => {
  const { table, errors } = HostOsPolicyTable.fromConfig({
    windows: ['0.0.0.0/0'],
    linux: ['198.51.100.0/24', '2001:db8::/32'],
    solaris: ['198.51.100.128/25'],
    bogus: ['10.0.0.0/8'],
    bsd: ['203.0.113.300/24', '203.0.113.0/33'],
  });
  assert.deepEqual(errors, [
    "host-os-policy: unknown policy 'bogus' (expected one of first, last, bsd, bsd-right, old-linux, linux, old-solaris, solaris, hpux10, hpux11, irix, macos, windows, vista, windows2k3)",
    "host-os-policy.bsd: '203.0.113.300/24' is not an IP address or network",
    "host-os-policy.bsd: '203.0.113.0/33' has an invalid prefix length (expected 0 to 32)",
  ]);
  const v4 = (a: number, b: number, c: number, d: number): Uint8Array => Uint8Array.from([a, b, c, d, ...new Array<number>(12).fill(0)]);
  assert.equal(table.lookup(4, v4(198, 51, 100, 7)), OsPolicy.LINUX);
  assert.equal(table.lookup(4, v4(198, 51, 100, 200)), OsPolicy.SOLARIS);
  assert.equal(table.lookup(4, v4(203, 0, 113, 9)), OsPolicy.WINDOWS);
  const v6 = new Uint8Array(16);
  v6.set([0x20, 0x01, 0x0d, 0xb8]);
  assert.equal(table.lookup(6, v6), OsPolicy.LINUX);
  v6[3] = 0xb9;
  assert.equal(table.lookup(6, v6), OsPolicy.BSD);
});
