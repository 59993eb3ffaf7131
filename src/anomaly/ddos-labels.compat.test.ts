/**
 * Checks the labels of the flood, DDoS and scan captures
 * (test/expected/ddos-labels.tsv, described in ddos-labels.md beside it).
 * Every row must be well formed and keep the rules the description
 * states. The rows are then checked against the captures, which kapu's
 * own capture reader and decoder read. Every capture must have a row and
 * each window must lie inside its capture. A packet must reach the victim
 * at the window's first and last instant, and the victim must receive at
 * least the row's packet count within the window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { openCaptureFile } from '../capture/open-capture-file.js';
import { Packet } from '../core/packet.js';
import { DecodeContext } from '../decode/context.js';
import { decodePacket } from '../decode/decode-packet.js';
import { CORPUS_DIR, REPO_ROOT } from '../../test/corpus-path.js';

const LABELS = join(REPO_ROOT, 'test', 'expected', 'ddos-labels.tsv');
const PCAPS = join(CORPUS_DIR, 'pcaps');
const DDOS = join(PCAPS, 'ddos');
const SKIP = existsSync(DDOS) ? false : `${DDOS} not found (set KAPU_CORPUS)`;

const COLUMNS = [
  'capture', 'type', 'expect', 'also', 'victim', 'sources', 'start', 'end', 'protocol', 'packets',
  'distinct_sources', 'distinct_source_16s', 'distinct_dsts', 'distinct_src_ports', 'distinct_dst_ports',
  'peak_pps', 'mean_pps', 'replies', 'filter', 'reply_filter', 'note',
] as const;

/** Detector names with their sids (gid 8200). */
const DETECTOR_SIDS: Record<string, number> = {
  baseline_deviation: 1, threshold: 2, syn_flood: 3, udp_flood: 4, icmp_flood: 5,
  amplification: 6, port_scan: 7, host_sweep: 8, heavy_hitter: 9, slow_scan: 10,
};
const FLOOD_TYPES = new Set(['syn_flood', 'udp_flood', 'icmp_flood', 'amplification']);
const COUNT_COLUMNS = [
  'packets', 'distinct_sources', 'distinct_source_16s', 'distinct_dsts',
  'distinct_src_ports', 'distinct_dst_ports', 'peak_pps',
] as const;

type Row = Record<(typeof COLUMNS)[number], string>;

/** An IPv4 network as a base address and mask, both unsigned 32-bit. */
interface Network {
  base: number;
  mask: number;
}

/** Reads the label rows. Fails unless the header row is exactly COLUMNS. */
function readLabels(): Row[] {
  const lines = readFileSync(LABELS, 'utf8').split('\n').filter((line) => line !== '');
  assert.deepEqual(lines[0]?.split('\t'), [...COLUMNS], 'header row of ddos-labels.tsv');
  return lines.slice(1).map((line, index) => {
    const cells = line.split('\t');
    assert.equal(cells.length, COLUMNS.length, `ddos-labels.tsv line ${index + 2}: column count`);
    return Object.fromEntries(COLUMNS.map((name, i) => [name, cells[i]])) as Row;
  });
}

/** Names a row in assertion messages. */
function rowName(row: Row): string {
  return `${row.capture} ${row.type} ${row.victim}`;
}

function ipv4ToNumber(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** Parses an IPv4 address or an IPv4 network in CIDR form with no host bits set. Returns null when invalid. */
function parseNetwork(text: string): Network | null {
  const [address, prefixText, extra] = text.split('/');
  if (address === undefined || extra !== undefined || !isIPv4(address)) return null;
  if (prefixText === undefined) return { base: ipv4ToNumber(address), mask: 0xffffffff };
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) return null;
  const prefix = Number(prefixText);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = ipv4ToNumber(address);
  return (base & mask) >>> 0 === base ? { base, mask } : null;
}

function inNetwork(address: number, network: Network): boolean {
  return (address & network.mask) >>> 0 === network.base;
}

/** Converts `seconds.micros` (exactly 6 digits) to microseconds. Returns null when malformed. */
function parseTimestampUs(text: string): number | null {
  const match = /^(\d+)\.(\d{6})$/.exec(text);
  if (match === null) return null;
  return Number(match[1]) * 1_000_000 + Number(match[2]);
}

test('ddos labels are well formed', () => {
  const rows = readLabels();
  assert.ok(rows.length > 0, 'ddos-labels.tsv has no rows');

  for (const row of rows) {
    const name = rowName(row);
    assert.match(row.capture, /^ddos\/[^\t]+\.(pcap|pcapng|pcapng\.gz)$/, `${name}: capture path`);
    const isNone = row.type === 'none';
    assert.ok(isNone || row.type in DETECTOR_SIDS, `${name}: unknown type '${row.type}'`);
    assert.ok(isNone ? row.expect === '-' : row.expect === 'alert' || row.expect === 'optional', `${name}: expect '${row.expect}'`);
    assert.ok(row.also === '-' || (row.also in DETECTOR_SIDS && row.also !== row.type), `${name}: also '${row.also}'`);

    assert.ok(parseNetwork(row.victim) !== null || (isNone && row.victim === '-'), `${name}: victim '${row.victim}' is not an IPv4 address or network`);
    const sourcesValid = row.sources === 'spoofed' || row.sources === 'reflectors' || (isNone && row.sources === '-')
      || row.sources.split(',').every((address) => isIPv4(address));
    assert.ok(sourcesValid, `${name}: sources '${row.sources}'`);

    const start = parseTimestampUs(row.start);
    const end = parseTimestampUs(row.end);
    assert.ok(start !== null, `${name}: start '${row.start}' is not seconds with 6 decimals`);
    assert.ok(end !== null, `${name}: end '${row.end}' is not seconds with 6 decimals`);
    assert.ok(start <= end, `${name}: start ${row.start} after end ${row.end}`);

    for (const column of COUNT_COLUMNS) assert.match(row[column], /^\d+$/, `${name}: ${column} '${row[column]}'`);
    const packets = Number(row.packets);
    assert.ok(packets >= 1, `${name}: no packets`);
    assert.ok(Number(row.peak_pps) <= packets, `${name}: peak_pps above packets`);
    assert.ok(Number(row.distinct_sources) <= packets, `${name}: more sources than packets`);
    assert.ok(Number(row.distinct_source_16s) <= Number(row.distinct_sources), `${name}: more /16 networks than sources`);
    assert.match(row.replies, /^(\d+|-)$/, `${name}: replies '${row.replies}'`);
    assert.notEqual(row.filter, '-', `${name}: filter missing`);
    assert.notEqual(row.filter, '', `${name}: filter missing`);

    // mean_pps is packets / (end - start): 2 decimals below 10, else a whole number.
    const spanUs = end - start;
    if (spanUs === 0) {
      assert.equal(row.mean_pps, '-', `${name}: mean_pps of a zero-length window`);
    } else {
      const rate = (packets * 1_000_000) / spanUs;
      const expected = rate < 10 ? rate.toFixed(2) : String(Math.round(rate));
      assert.equal(row.mean_pps, expected, `${name}: mean_pps`);
    }

    // The description's rules for `sources` and `expect`.
    if (row.sources === 'spoofed') {
      assert.ok(Number(row.distinct_sources) >= 0.9 * packets, `${name}: spoofed, but sources repeat`);
    }
    if (row.expect === 'alert' && FLOOD_TYPES.has(row.type)) {
      assert.ok(packets >= 1000, `${name}: an expected flood alert below 1000 packets`);
      assert.ok(Number(row.mean_pps) >= 1000, `${name}: an expected flood alert below 1000 pps`);
    }
    if (row.expect === 'alert' && row.type === 'port_scan') {
      assert.ok(Number(row.distinct_dst_ports) >= 20, `${name}: an expected port scan alert below 20 ports`);
    }
    if (row.expect === 'alert' && row.type === 'host_sweep') {
      assert.ok(Number(row.distinct_dsts) >= 20, `${name}: an expected host sweep alert below 20 hosts`);
    }
  }
});

/** Returns the capture files below `dir` as paths relative to PCAPS, in path order. */
function captureFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...captureFiles(path));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) found.push(relative(PCAPS, path));
  }
  return found;
}

/** Counts for one row, collected while its capture is read. */
interface RowCheck {
  row: Row;
  victim: Network;
  /** Listed source addresses, or null for `spoofed` and `reflectors`. */
  sources: Set<number> | null;
  startUs: number;
  endUs: number;
  /** Packets to the victim (from a listed source, when sources are listed) within the window. */
  received: number;
  atStart: boolean;
  atEnd: boolean;
}

/** Extent of a capture in microseconds. */
interface CaptureExtent {
  firstUs: number;
  lastUs: number;
  packets: number;
}

/**
 * Reads `path` and adds each of its packets to the checks. A path ending
 * in .gz is decompressed first because the reader opens only pcap and
 * pcapng. An ARP packet counts by its sender and target protocol addresses.
 */
function scanCapture(path: string, checks: RowCheck[], scratchDir: string): CaptureExtent {
  let readPath = path;
  if (path.endsWith('.gz')) {
    readPath = join(scratchDir, 'capture');
    writeFileSync(readPath, gunzipSync(readFileSync(path)));
  }

  const reader = openCaptureFile(readPath);
  const ctx = new DecodeContext('none');
  const p = new Packet();
  const extent: CaptureExtent = { firstUs: Number.POSITIVE_INFINITY, lastUs: Number.NEGATIVE_INFINITY, packets: 0 };
  try {
    while (reader.next(p)) {
      decodePacket(p, ctx);
      const ts = p.timestampUs;
      extent.packets++;
      if (ts < extent.firstUs) extent.firstUs = ts;
      if (ts > extent.lastUs) extent.lastUs = ts;

      let src: number;
      let dst: number;
      if (p.ipVersion === 4) {
        src = p.src4;
        dst = p.dst4;
      } else if (p.arpOffset >= 0 && p.bytes[p.arpOffset + 4] === 6 && p.bytes[p.arpOffset + 5] === 4) {
        // Ethernet/IPv4 ARP (RFC 826): sender protocol address at 14, target at 24.
        const view = new DataView(p.bytes.buffer, p.bytes.byteOffset + p.arpOffset, 28);
        src = view.getUint32(14);
        dst = view.getUint32(24);
      } else {
        continue;
      }

      for (const check of checks) {
        if (ts < check.startUs || ts > check.endUs) continue;
        if (!inNetwork(dst, check.victim)) continue;
        if (check.sources !== null && !check.sources.has(src)) continue;
        check.received++;
        if (ts === check.startUs) check.atStart = true;
        if (ts === check.endUs) check.atEnd = true;
      }
    }
  } finally {
    reader.close();
  }
  return extent;
}

test('ddos labels match their captures', { skip: SKIP, timeout: 300_000 }, () => {
  const rows = readLabels();
  const labelled = new Set(rows.map((row) => row.capture));
  for (const capture of captureFiles(DDOS)) assert.ok(labelled.has(capture), `${capture} has no row in ddos-labels.tsv`);

  const byCapture = new Map<string, Row[]>();
  for (const row of rows) {
    const captureRows = byCapture.get(row.capture) ?? [];
    captureRows.push(row);
    byCapture.set(row.capture, captureRows);
  }

  const scratchDir = mkdtempSync(join(tmpdir(), 'kapu-ddos-labels-'));
  try {
    for (const [capture, captureRows] of byCapture) {
      assert.ok(existsSync(join(PCAPS, capture)), `${capture} of ddos-labels.tsv not found`);
      // A row without a victim (`-`) checks only its window: any address matches.
      const checks: RowCheck[] = captureRows.map((row) => ({
        row,
        victim: parseNetwork(row.victim) ?? { base: 0, mask: 0 },
        sources: /^\d/.test(row.sources) ? new Set(row.sources.split(',').map(ipv4ToNumber)) : null,
        startUs: parseTimestampUs(row.start) as number,
        endUs: parseTimestampUs(row.end) as number,
        received: 0,
        atStart: false,
        atEnd: false,
      }));
      const extent = scanCapture(join(PCAPS, capture), checks, scratchDir);
      assert.ok(extent.packets > 0, `${capture}: no packets read`);

      for (const check of checks) {
        const name = rowName(check.row);
        assert.ok(check.startUs >= extent.firstUs, `${name}: start ${check.row.start} before the capture's first packet`);
        assert.ok(check.endUs <= extent.lastUs, `${name}: end ${check.row.end} after the capture's last packet`);
        assert.ok(check.atStart, `${name}: no packet to the victim at start ${check.row.start}`);
        assert.ok(check.atEnd, `${name}: no packet to the victim at end ${check.row.end}`);
        assert.ok(check.received >= Number(check.row.packets), `${name}: ${check.received} packets to the victim in the window, label says ${check.row.packets}`);
      }
    }
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
});
