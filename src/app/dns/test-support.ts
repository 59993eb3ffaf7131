/**
 * Test helpers for the app-layer parsers: feeding bytes at chosen split
 * points, and reading a capture into UDP datagrams and in-order TCP
 * streams before kapu's own reassembly is wired to the app layer.
 */
import { existsSync } from 'node:fs';
import { openCaptureFile } from '../../capture/open-capture-file.js';
import { DecodeContext, decodePacket } from '../../decode/index.js';
import { Direction, IpProto, Packet } from '../../core/packet.js';

/** Parses hex rows such as `0000  12 34 01 00   .4..` into bytes; offsets and ASCII columns are ignored. */
export function hexRows(text: string): Uint8Array {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const body = line.replace(/^\s*[0-9a-fA-F]{4}:?\s{1,2}/, '').split(/\s{3,}/)[0] ?? '';
    for (const token of body.trim().split(/\s+/)) if (/^[0-9a-fA-F]{2}$/.test(token)) out.push(parseInt(token, 16));
  }
  return Uint8Array.from(out);
}

/** Deterministic pseudo-random numbers (mulberry32), so split tests repeat. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `length` bytes into chunk sizes: whole, byte by byte, or at random points. */
export function splitPlans(length: number, seed: number, randomPlans = 5): number[][] {
  const plans: number[][] = [[length], new Array<number>(length).fill(1)];
  const rand = seededRandom(seed);
  for (let p = 0; p < randomPlans; p++) {
    const plan: number[] = [];
    let left = length;
    while (left > 0) {
      const n = Math.min(left, 1 + Math.floor(rand() * 40));
      plan.push(n);
      left -= n;
    }
    plans.push(plan);
  }
  return plans;
}

/** One UDP datagram or one TCP stream of a capture. */
export interface CaptureFlow {
  ipProto: number;
  clientPort: number;
  serverPort: number;
  /** UDP: payloads in capture order with their direction and frame number. */
  datagrams: { direction: number; frame: number; bytes: Uint8Array }[];
  /** TCP: the reassembled bytes of each direction (index Direction). */
  streams: [Uint8Array, Uint8Array];
}

interface Segment {
  seq: number;
  bytes: Uint8Array;
}

interface FlowBuild {
  flow: CaptureFlow;
  segments: [Segment[], Segment[]];
  isn: [number, number];
}

function flowKey(p: Packet, reverse: boolean): string {
  const src = Array.from(p.srcAddr.subarray(0, p.ipVersion === 4 ? 4 : 16)).join('.');
  const dst = Array.from(p.dstAddr.subarray(0, p.ipVersion === 4 ? 4 : 16)).join('.');
  return reverse ? `${p.ipProto}|${dst}|${p.dstPort}|${src}|${p.srcPort}` : `${p.ipProto}|${src}|${p.srcPort}|${dst}|${p.dstPort}`;
}

/**
 * Reads a capture into flows. The client is the side of the first packet,
 * or the SYN sender for TCP. TCP payloads are ordered by sequence number
 * from the SYN (or the lowest sequence seen) and retransmitted bytes are
 * kept once, first copy wins.
 */
export function readCaptureFlows(path: string, maxPackets = 100000): CaptureFlow[] {
  const reader = openCaptureFile(path);
  const ctx = new DecodeContext('none');
  const p = new Packet();
  const flows = new Map<string, FlowBuild>();
  const order: FlowBuild[] = [];
  let count = 0;
  while (count++ < maxPackets && reader.next(p)) {
    decodePacket(p, ctx);
    if (p.ipProto !== IpProto.UDP && p.ipProto !== IpProto.TCP) continue;
    if (p.isFragment || p.l4Offset < 0) continue;
    let build = flows.get(flowKey(p, false));
    let direction: number = Direction.TO_SERVER;
    if (build === undefined) {
      build = flows.get(flowKey(p, true));
      direction = Direction.TO_CLIENT;
    }
    if (build === undefined) {
      const isSynAck = p.ipProto === IpProto.TCP && (p.tcpFlags & 0x12) === 0x12;
      direction = isSynAck ? Direction.TO_CLIENT : Direction.TO_SERVER;
      build = {
        flow: {
          ipProto: p.ipProto,
          clientPort: isSynAck ? p.dstPort : p.srcPort,
          serverPort: isSynAck ? p.srcPort : p.dstPort,
          datagrams: [],
          streams: [new Uint8Array(0), new Uint8Array(0)],
        },
        segments: [[], []],
        isn: [-1, -1],
      };
      flows.set(flowKey(p, isSynAck), build);
      order.push(build);
    }
    const payload = p.payloadLength > 0 ? p.bytes.slice(p.payloadOffset, p.payloadOffset + p.payloadLength) : new Uint8Array(0);
    if (p.ipProto === IpProto.UDP) {
      build.flow.datagrams.push({ direction, frame: p.pcapCount, bytes: payload });
      continue;
    }
    if ((p.tcpFlags & 0x02) !== 0) build.isn[direction] = (p.tcpSeq + 1) >>> 0;
    if (payload.length > 0) build.segments[direction].push({ seq: p.tcpSeq, bytes: payload });
  }
  reader.close();
  for (const b of order) if (b.flow.ipProto === IpProto.TCP) for (const d of [0, 1]) b.flow.streams[d] = assemble(b.segments[d], b.isn[d]);
  return order.map((b) => b.flow);
}

function assemble(segments: Segment[], isn: number): Uint8Array {
  if (segments.length === 0) return new Uint8Array(0);
  const base = isn >= 0 ? isn : Math.min(...segments.map((s) => s.seq));
  const placed = segments.map((s) => ({ at: (s.seq - base) >>> 0, bytes: s.bytes })).filter((s) => s.at < 0x40000000);
  placed.sort((a, b) => a.at - b.at);
  const parts: Uint8Array[] = [];
  let next = 0;
  for (const s of placed) {
    const end = s.at + s.bytes.length;
    if (end <= next || s.at > next) continue;
    parts.push(s.bytes.subarray(next - s.at));
    next = end;
  }
  const out = new Uint8Array(next);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Returns the shared corpus folder: env KAPU_CORPUS, or a shared/corpus
 * folder beside the repository or beside its parent (worktrees).
 */
export function findCorpus(): string | null {
  const candidates = [process.env['KAPU_CORPUS'], '../shared/corpus', '../../shared/corpus'];
  for (const dir of candidates) if (dir !== undefined && existsSync(dir)) return dir;
  return null;
}
