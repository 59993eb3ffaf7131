/**
 * Measures Defragmenter.handleFragment on synthetic IPv4 traffic: datagrams
 * of two 1480-byte fragments and a 40-byte last one, in order, and a flood
 * of first fragments that never complete (one tracker each). Prints
 * fragments per second and the heap in use afterwards.
 * Run: node dist/src/flow/defrag-bench.js [datagrams]
 */
import { DecodeContext } from '../decode/context.js';
import { defaultDefragConfig, Defragmenter } from './defrag.js';
import { decodeRaw, ipv4Fragment, letters } from './defrag-test-frames.js';
import type { Packet } from '../core/packet.js';

const datagrams = Number(process.argv[2] ?? 20000);
const ctx = new DecodeContext('none');

function build(count: number, isComplete: boolean): Packet[] {
  const packets: Packet[] = [];
  for (let i = 0; i < count; i++) {
    const id = i & 0xffff;
    const dst = [203, 0, 113, (i >> 16) & 0xff];
    packets.push(decodeRaw(ipv4Fragment({ id, offsetBytes: 0, hasMore: true, data: letters('A', 1480), dst }), ctx));
    if (!isComplete) continue;
    packets.push(decodeRaw(ipv4Fragment({ id, offsetBytes: 1480, hasMore: true, data: letters('B', 1480), dst }), ctx));
    packets.push(decodeRaw(ipv4Fragment({ id, offsetBytes: 2960, hasMore: false, data: letters('C', 40), dst }), ctx));
  }
  return packets;
}

function measure(name: string, packets: Packet[]): void {
  const defrag = new Defragmenter({ ...defaultDefragConfig(), memcapBytes: 1 << 30 });
  const startMs = performance.now();
  let rebuilt = 0;
  for (const p of packets) if (defrag.handleFragment(p, ctx) !== null) rebuilt++;
  const elapsedS = (performance.now() - startMs) / 1000;
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  console.log(`${name}: ${packets.length} fragments, ${rebuilt} rebuilt, ${Math.round(packets.length / elapsedS)} fragments/s, heap ${heapMb.toFixed(0)} MB`);
}

measure('complete datagrams', build(datagrams, true));
measure('first-fragment flood', build(datagrams * 3, false));
