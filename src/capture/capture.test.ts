import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CaptureError, ErrorCode } from '../core/errors.js';
import { LinkType, Packet } from '../core/packet.js';
import { openCaptureFile, PcapngReader } from './open-capture-file.js';

// dist/src/capture -> repository root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PCAPS = join(ROOT, 'test', 'pcaps', 'capture');
const work = mkdtempSync(join(tmpdir(), 'kapu-capture-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Record {
  seconds: number;
  fraction: number;
  bytes: number[];
  wireLength?: number;
}

function u32(value: number, littleEndian: boolean): number[] {
  const b = [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  return littleEndian ? b.reverse() : b;
}

function u16(value: number, littleEndian: boolean): number[] {
  const b = [(value >>> 8) & 0xff, value & 0xff];
  return littleEndian ? b.reverse() : b;
}

/** Builds a classic pcap file (libpcap file format, version 2.4). */
function pcapFile(littleEndian: boolean, nano: boolean, linkType: number, records: Record[]): Uint8Array {
  const out: number[] = [
    ...u32(nano ? 0xa1b23c4d : 0xa1b2c3d4, littleEndian),
    ...u16(2, littleEndian),
    ...u16(4, littleEndian),
    ...u32(0, littleEndian),
    ...u32(0, littleEndian),
    ...u32(65535, littleEndian),
    ...u32(linkType, littleEndian),
  ];
  for (const r of records) {
    out.push(...u32(r.seconds, littleEndian), ...u32(r.fraction, littleEndian));
    out.push(...u32(r.bytes.length, littleEndian), ...u32(r.wireLength ?? r.bytes.length, littleEndian), ...r.bytes);
  }
  return Uint8Array.from(out);
}

/** Builds one pcapng block: type, length, body padded to 4, length. */
function block(type: number, body: number[], littleEndian: boolean): number[] {
  const padded = [...body];
  while (padded.length % 4 !== 0) padded.push(0);
  const total = padded.length + 12;
  return [...u32(type, littleEndian), ...u32(total, littleEndian), ...padded, ...u32(total, littleEndian)];
}

function shb(littleEndian: boolean): number[] {
  return block(0x0a0d0d0a, [...u32(0x1a2b3c4d, littleEndian), ...u16(1, littleEndian), ...u16(0, littleEndian), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], littleEndian);
}

function idb(linkType: number, options: number[], littleEndian: boolean): number[] {
  return block(1, [...u16(linkType, littleEndian), 0, 0, ...u32(0, littleEndian), ...options], littleEndian);
}

function option(code: number, value: number[], littleEndian: boolean): number[] {
  const padded = [...value];
  while (padded.length % 4 !== 0) padded.push(0);
  return [...u16(code, littleEndian), ...u16(value.length, littleEndian), ...padded];
}

function epb(interfaceId: number, high: number, low: number, bytes: number[], littleEndian: boolean): number[] {
  return block(6, [...u32(interfaceId, littleEndian), ...u32(high, littleEndian), ...u32(low, littleEndian), ...u32(bytes.length, littleEndian), ...u32(bytes.length, littleEndian), ...bytes], littleEndian);
}

function write(name: string, bytes: Uint8Array | number[]): string {
  const path = join(work, name);
  writeFileSync(path, bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  return path;
}

function readAll(path: string): { packets: Packet[]; reader: ReturnType<typeof openCaptureFile> } {
  const reader = openCaptureFile(path);
  const packets: Packet[] = [];
  for (let i = 0; i < 1000; i++) {
    const p = new Packet();
    if (!reader.next(p)) break;
    p.bytes = p.bytes.slice(); // keep past the next read
    packets.push(p);
  }
  reader.close();
  return { packets, reader };
}

const RECORDS: Record[] = [
  { seconds: 1_700_000_000, fraction: 123_456, bytes: [1, 2, 3, 4, 5] },
  { seconds: 1_700_000_001, fraction: 999_999, bytes: [6, 7, 8], wireLength: 60 },
];

test('pcap all four magic forms', () => {
  for (const littleEndian of [true, false]) {
    for (const nano of [false, true]) {
      const records = RECORDS.map((r) => ({ ...r, fraction: nano ? r.fraction * 1000 + 789 : r.fraction }));
      const path = write(`p-${littleEndian}-${nano}.pcap`, pcapFile(littleEndian, nano, LinkType.RAW, records));
      const { packets, reader } = readAll(path);
      const label = `littleEndian=${littleEndian} nano=${nano}`;
      assert.equal(reader.format, 'pcap', label);
      assert.equal(packets.length, 2, label);
      assert.equal(packets[0]?.timestampUs, 1_700_000_000_123_456, label);
      assert.equal(packets[1]?.timestampUs, 1_700_000_001_999_999, label);
      assert.deepEqual([...(packets[0]?.bytes ?? [])], [1, 2, 3, 4, 5], label);
      assert.equal(packets[1]?.wireLength, 60, label);
      assert.equal(packets[1]?.captureLength, 3, label);
      assert.equal(packets[1]?.pcapCount, 2, label);
      assert.equal(packets[0]?.linkType, LinkType.RAW, label);
      assert.equal(reader.packets, 2, label);
      assert.equal(reader.bytes, 8, label);
    }
  }
});

test('pcap truncated last record', () => {
  const whole = pcapFile(true, false, LinkType.RAW, RECORDS);
  const { packets, reader } = readAll(write('cut.pcap', whole.subarray(0, whole.length - 1)));
  assert.equal(packets.length, 1);
  assert.equal(reader.truncatedRecords, 1);
  const headerCut = readAll(write('cut-header.pcap', whole.subarray(0, 24 + 16 + 5 + 10)));
  assert.equal(headerCut.packets.length, 1);
  assert.equal(headerCut.reader.truncatedRecords, 1);

  // Calls after the end keep returning false and count nothing more.
  const again = openCaptureFile(join(work, 'cut-header.pcap'));
  const p = new Packet();
  assert.equal(again.next(p), true);
  assert.equal(again.next(p), false);
  assert.equal(again.next(p), false);
  assert.equal(again.truncatedRecords, 1);
  again.close();
  again.close();
});

test('pcap record length above maximum', () => {
  const bytes = pcapFile(true, false, LinkType.RAW, RECORDS);
  bytes.set(u32(300_000, true), 24 + 8); // incl_len of record 1
  const path = write('huge.pcap', bytes);
  const reader = openCaptureFile(path);
  assert.throws(() => reader.next(new Packet()), (err: unknown) => {
    assert.ok(err instanceof CaptureError);
    assert.equal(err.code, ErrorCode.CAPTURE_BAD_FORMAT);
    assert.match(err.message, /huge\.pcap/);
    assert.match(err.message, /captured length 300000 of packet 1 is larger than the maximum 262144/);
    return true;
  });
  reader.close();
});

test('not a capture file', () => {
  const path = write('notes.txt', Array.from(Buffer.from('hello, this is text\n')));
  assert.throws(() => openCaptureFile(path), (err: unknown) => {
    assert.ok(err instanceof CaptureError);
    assert.equal(err.code, ErrorCode.CAPTURE_BAD_FORMAT);
    assert.match(err.message, /notes\.txt: not a capture file: unknown magic number 0x68656c6c/);
    return true;
  });
  assert.throws(() => openCaptureFile(write('empty.pcap', [])), /too short for a pcap or pcapng header/);
  assert.throws(() => openCaptureFile(write('short-header.pcap', [0xd4, 0xc3, 0xb2, 0xa1, 2, 0])), /file header needs 24 bytes/);
});

test('missing capture file', () => {
  assert.throws(() => openCaptureFile(join(work, 'absent.pcap')), (err: unknown) => {
    assert.ok(err instanceof CaptureError);
    assert.equal(err.code, ErrorCode.CAPTURE_OPEN_FAILED);
    assert.match(err.message, /absent\.pcap: cannot open capture file/);
    return true;
  });
});

test('pcapng sections interfaces and blocks', () => {
  const out: number[] = [];
  // Section 1, big-endian: interface 0 Ethernet (default microseconds),
  // interface 1 raw IP with if_tsresol 9 (nanoseconds) and if_tsoffset 10 s.
  out.push(...shb(false));
  out.push(...idb(LinkType.ETHERNET, [], false));
  out.push(...idb(LinkType.RAW, [...option(9, [9], false), ...option(14, [0, 0, 0, 0, 0, 0, 0, 10], false), ...option(0, [], false)], false));
  out.push(...epb(0, 0, 1_000_000, [0xaa, 0xbb], false)); // 1 s in microseconds
  // 1_500_000_000_123_456_789 ns = 0x14d1120d7b16_1515 split in two words.
  const ns = 1_500_000_000_123_456_789n;
  out.push(...epb(1, Number(ns >> 32n), Number(ns & 0xffffffffn), [0x45], false));
  out.push(...block(5, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], false)); // interface statistics: skipped
  out.push(...block(3, [...u32(3, false), 1, 2, 3], false)); // simple packet, interface 0
  // Obsolete packet block: interface 0, drops 0, timestamp 2 s.
  out.push(...block(2, [...u16(0, false), 0, 0, ...u32(0, false), ...u32(2_000_000, false), ...u32(1, false), ...u32(1, false), 0x99], false));
  // Section 2, little-endian: interface ids restart; 2^-10 s resolution.
  out.push(...shb(true));
  out.push(...idb(LinkType.LINUX_SLL, option(9, [0x80 | 10], true), true));
  out.push(...epb(0, 0, 1024 * 5 + 512, [0x01], true)); // 5.5 s

  const path = write('sections.pcapng', out);
  const { packets, reader } = readAll(path);
  assert.equal(reader.format, 'pcapng');
  assert.equal(packets.length, 5);
  assert.deepEqual(packets.map((p) => p.linkType), [LinkType.ETHERNET, LinkType.RAW, LinkType.ETHERNET, LinkType.ETHERNET, LinkType.LINUX_SLL]);
  assert.deepEqual(packets.map((p) => p.interfaceId), [0, 1, 0, 0, 0]);
  assert.deepEqual(packets.map((p) => p.timestampUs), [1_000_000, 1_500_000_010_123_456, 0, 2_000_000, 5_500_000]);
  assert.deepEqual(packets.map((p) => p.pcapCount), [1, 2, 3, 4, 5]);
  assert.deepEqual([...(packets[2]?.bytes ?? [])], [1, 2, 3]);
  assert.deepEqual([...(packets[3]?.bytes ?? [])], [0x99]);
  assert.ok(reader instanceof PcapngReader);
  assert.equal(reader.sections, 2);
  assert.equal(reader.skippedBlocks, 1);
  assert.equal(reader.truncatedRecords, 0);
});

test('pcapng block cut at end', () => {
  const out = [...shb(true), ...idb(LinkType.RAW, [], true), ...epb(0, 0, 1, [1, 2, 3, 4], true), ...epb(0, 0, 2, [5, 6, 7, 8], true)];
  const { packets, reader } = readAll(write('cut.pcapng', out.slice(0, out.length - 3)));
  assert.equal(packets.length, 1);
  assert.equal(reader.truncatedRecords, 1);
});

test('pcapng bad block length', () => {
  const out = [...shb(true), ...idb(LinkType.RAW, [], true), ...epb(0, 0, 1, [1, 2, 3, 4], true)];
  const epbAt = out.length - 36;
  out.splice(epbAt + 4, 4, ...u32(37, true)); // not a multiple of 4
  const reader = openCaptureFile(write('badlen.pcapng', out));
  assert.throws(() => reader.next(new Packet()), /badlen\.pcapng: invalid pcapng file at byte \d+: block length 37 is not a multiple of 4/);
  reader.close();
});

test('pcapng packet names missing interface', () => {
  const out = [...shb(true), ...idb(LinkType.RAW, [], true), ...epb(3, 0, 1, [1], true)];
  const reader = openCaptureFile(write('noif.pcapng', out));
  assert.throws(() => reader.next(new Packet()), /packet names interface 3, but the section describes 1/);
  reader.close();
});

test('pcapng bad byte-order magic', () => {
  const out = shb(true);
  out.splice(8, 4, 1, 2, 3, 4);
  assert.throws(() => openCaptureFile(write('magic.pcapng', out)), /unknown byte-order magic 0x4030201/);
});

test('reads across window and grows it', () => {
  // 40 records of 60000 bytes (2.4 MB, past the 1 MiB window), then one
  // 3 MiB pcapng block, larger than the window.
  const records: Record[] = [];
  for (let i = 0; i < 40; i++) records.push({ seconds: i, fraction: 0, bytes: new Array<number>(60000).fill(i) });
  const { packets } = readAll(write('big.pcap', pcapFile(true, false, LinkType.RAW, records)));
  assert.equal(packets.length, 40);
  assert.equal(packets[39]?.bytes[59999], 39);
  assert.equal(packets[39]?.timestampUs, 39_000_000);

  const large = new Array<number>(3 * 1024 * 1024).fill(7);
  const out = [...shb(true), ...idb(LinkType.RAW, [], true), ...epb(0, 0, 1, large, true), ...epb(0, 0, 2, [8], true)];
  const ng = readAll(write('big.pcapng', out));
  assert.equal(ng.packets.length, 2);
  assert.equal(ng.packets[0]?.captureLength, large.length);
  assert.equal(ng.packets[1]?.bytes[0], 8);
});

// tcpdump's tcp-handshake-nano.pcap (nanosecond pcap, Linux SLL):
//   tshark -r tcp-handshake-nano.pcap -T fields -e frame.number -e frame.time_epoch -e frame.len -e frame.cap_len
//   1 1418145369.924505488 76 76
//   2 1418145370.052027262 76 76
//   3 1418145370.052115157 68 68
test('nanosecond pcap matches tshark', () => {
  const { packets } = readAll(join(PCAPS, 'tcp-handshake-nano.pcap'));
  assert.deepEqual(packets.map((p) => p.timestampUs), [1418145369924505, 1418145370052027, 1418145370052115]);
  assert.deepEqual(packets.map((p) => p.captureLength), [76, 76, 68]);
  assert.deepEqual(packets.map((p) => p.wireLength), [76, 76, 68]);
  assert.equal(packets[0]?.linkType, LinkType.LINUX_SLL);
});

// mergecap -F pcapng -w two-interfaces.pcapng tcp-handshake-nano.pcap tcp_handshake.pcapng
//   tshark -r two-interfaces.pcapng -T fields -e frame.number -e frame.time_epoch
//     -e frame.cap_len -e frame.interface_id -e frame.encap_type -e tcp.srcport
//   1 1262893114.341715000 66 1 1 2826
//   2 1262893114.474342000 66 1 1 80
//   3 1262893114.474483000 54 1 1 2826
//   4 1418145369.924505488 76 0 25 46656
//   5 1418145370.052027262 76 0 25 80
//   6 1418145370.052115157 68 0 25 46656
// (encap 25 is Wireshark's number for Linux SLL, LINKTYPE 113)
test('two-interface pcapng matches tshark', () => {
  const { packets } = readAll(join(PCAPS, 'two-interfaces.pcapng'));
  assert.deepEqual(packets.map((p) => p.timestampUs), [1262893114341715, 1262893114474342, 1262893114474483, 1418145369924505, 1418145370052027, 1418145370052115]);
  assert.deepEqual(packets.map((p) => p.captureLength), [66, 66, 54, 76, 76, 68]);
  assert.deepEqual(packets.map((p) => p.interfaceId), [1, 1, 1, 0, 0, 0]);
  assert.deepEqual(packets.map((p) => p.linkType), [1, 1, 1, LinkType.LINUX_SLL, LinkType.LINUX_SLL, LinkType.LINUX_SLL]);
});

test('mutated files raise only CaptureError', () => {
  // A fixed-seed generator keeps failures reproducible.
  let seed = 987654321;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 8;
  };
  const pcapng = [
    ...shb(true),
    ...idb(LinkType.ETHERNET, option(9, [6], true), true),
    ...epb(0, 0, 1, [1, 2, 3, 4, 5, 6, 7], true),
    ...block(3, [...u32(3, true), 1, 2, 3], true),
    ...epb(0, 0, 2, [8, 9], true),
  ];
  const pcap = [...pcapFile(false, true, LinkType.ETHERNET, RECORDS)];
  const path = join(work, 'mutated.bin');
  let read = 0;
  let rejected = 0;
  for (let i = 0; i < 400; i++) {
    const bytes = Uint8Array.from(i % 2 === 0 ? pcapng : pcap);
    for (let flips = 1 + (next() % 4); flips > 0; flips--) bytes[next() % bytes.length] = next() & 0xff;
    const cut = next() % 4 === 0 ? next() % bytes.length : bytes.length;
    writeFileSync(path, bytes.subarray(0, cut));
    let reader: ReturnType<typeof openCaptureFile> | null = null;
    try {
      reader = openCaptureFile(path);
      const p = new Packet();
      for (let n = 0; n < 100 && reader.next(p); n++) assert.ok(p.captureLength <= bytes.length);
      read++;
    } catch (err) {
      assert.ok(err instanceof CaptureError, String(err));
      rejected++;
    } finally {
      reader?.close();
    }
  }
  assert.ok(read > 0);
  assert.ok(rejected > 0);
});
