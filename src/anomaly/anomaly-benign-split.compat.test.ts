/**
 * Checks the split of the benign captures (test/expected/anomaly-benign-split.tsv)
 * into baseline and check roles against the corpus. Every capture must
 * have one row, and captures of one recording must share a role. The
 * roles must split the captures about in half. Each row's packet count
 * and first and last packet times must match what kapu's capture reader
 * reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { openCaptureFile } from '../capture/open-capture-file.js';
import { Packet } from '../core/packet.js';
import { CORPUS_DIR, REPO_ROOT } from '../../test/corpus-path.js';

const SPLIT = join(REPO_ROOT, 'test', 'expected', 'anomaly-benign-split.tsv');
const PCAPS = join(CORPUS_DIR, 'pcaps');
const BENIGN = join(PCAPS, 'benign');
const SKIP = existsSync(BENIGN) ? false : `${BENIGN} not found (set KAPU_CORPUS)`;

const COLUMNS = ['capture', 'role', 'shares_packets_with', 'packets', 'start', 'end', 'peak_pps', 'note'] as const;

type Row = Record<(typeof COLUMNS)[number], string>;

/** Reads the rows after the comment lines. Fails unless the header row is exactly COLUMNS. */
function readSplit(): Row[] {
  const lines = readFileSync(SPLIT, 'utf8').split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  assert.deepEqual(lines[0]?.split('\t'), [...COLUMNS], 'header row of anomaly-benign-split.tsv');
  return lines.slice(1).map((line, index) => {
    const cells = line.split('\t');
    assert.equal(cells.length, COLUMNS.length, `anomaly-benign-split.tsv data row ${index + 1}: column count`);
    return Object.fromEntries(COLUMNS.map((name, i) => [name, cells[i]])) as Row;
  });
}

/** Returns the capture files below `dir` as paths relative to PCAPS, in path order. */
function captureFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...captureFiles(path));
    else if (/\.(pcap|pcapng|cap)$/.test(name)) found.push(relative(PCAPS, path));
  }
  return found;
}

/** Formats microseconds since the epoch as `seconds.micros`, as the file writes times. */
function formatTimestampUs(us: number): string {
  return `${Math.floor(us / 1_000_000)}.${String(us % 1_000_000).padStart(6, '0')}`;
}

test('benign split rows are consistent', () => {
  const rows = readSplit();
  const roleOf = new Map(rows.map((row) => [row.capture, row.role]));
  assert.equal(roleOf.size, rows.length, 'a capture has more than one row');

  for (const row of rows) {
    assert.match(row.capture, /^benign\//, `${row.capture}: not below benign/`);
    assert.ok(row.role === 'baseline' || row.role === 'check', `${row.capture}: role '${row.role}'`);
    if (row.shares_packets_with === '-') continue;
    for (const other of row.shares_packets_with.split(',')) {
      assert.equal(roleOf.get(other), row.role, `${row.capture} shares packets with ${other} but not its role`);
    }
  }

  const baseline = rows.filter((row) => row.role === 'baseline').length;
  const check = rows.length - baseline;
  // Alternating groups of up to two captures leaves the roles a few captures apart.
  assert.ok(Math.abs(baseline - check) <= rows.length / 10, `${baseline} baseline and ${check} check captures are not about half each`);
});

test('benign split matches the captures', { skip: SKIP, timeout: 300_000 }, () => {
  const rows = readSplit();
  const listed = new Set(rows.map((row) => row.capture));
  for (const capture of captureFiles(BENIGN)) assert.ok(listed.has(capture), `${capture} has no row in anomaly-benign-split.tsv`);

  const p = new Packet();
  for (const row of rows) {
    const path = join(PCAPS, row.capture);
    assert.ok(existsSync(path), `${row.capture} of anomaly-benign-split.tsv not found`);

    const reader = openCaptureFile(path);
    let packets = 0;
    let firstUs = Number.POSITIVE_INFINITY;
    let lastUs = Number.NEGATIVE_INFINITY;
    try {
      while (reader.next(p)) {
        packets++;
        if (p.timestampUs < firstUs) firstUs = p.timestampUs;
        if (p.timestampUs > lastUs) lastUs = p.timestampUs;
      }
    } finally {
      reader.close();
    }

    assert.equal(String(packets), row.packets, `${row.capture}: packets`);
    assert.equal(formatTimestampUs(firstUs), row.start, `${row.capture}: start`);
    assert.equal(formatTimestampUs(lastUs), row.end, `${row.capture}: end`);
  }
});
