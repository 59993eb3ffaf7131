/**
 * How fast does the packet detection engine run a few thousand content
 * rules over a stream of payloads, and how large are its prefilter tables?
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/detect-content-rules.js [rules] [packets]
 * Prints rules loaded, build time, DFA memory, packets/s, Mbit/s of payload
 * and alerts/s. Rules and payloads come from a fixed-seed generator, so
 * runs are comparable.
 */
import { performance } from 'node:perf_hooks';
import { AlertQueue, DetectEngine } from '../src/detect/detect-engine.js';
import type { Signature } from '../src/detect/signature.js';
import { mustBuildSignature, portRanges } from '../src/detect/test-support/signature-builder.js';
import { createTestFlow, createTestPacket } from '../src/detect/test-support/packets.js';

const ruleCount = Number(process.argv[2] ?? 3000);
const packetCount = Number(process.argv[3] ?? 20000);
const PAYLOAD_BYTES = 512;

let seed = 0x2545f491;
function next(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-';
function word(min: number, max: number): string {
  const len = min + next(max - min + 1);
  let w = '';
  for (let i = 0; i < len; i++) w += LETTERS[next(LETTERS.length)];
  return w;
}

const words: string[] = [];
const sigs: Signature[] = [];
for (let i = 0; i < ruleCount; i++) {
  const a = word(5, 14);
  const b = word(3, 8);
  words.push(a);
  const shapes = [
    `content:"${a}";`,
    `content:"${a}"; nocase;`,
    `content:"${a}"; content:"${b}"; distance:0; within:40;`,
    `content:"${a}"; depth:200; content:!"${b}"; distance:0;`,
    `content:"|00 01|${a}"; pcre:"/${b}\\d+/R";`,
  ];
  const fields = next(4) === 0 ? { dstPorts: portRanges([80, 80], [8080, 8080]) } : {};
  sigs.push(mustBuildSignature(shapes[next(shapes.length)], { id: i, sid: 1000000 + i, proto: next(2) === 0 ? 'tcp' : 'ip', ...fields }));
}

const buildStart = performance.now();
const engine = new DetectEngine(sigs);
const buildMs = performance.now() - buildStart;

// Payloads: random text, and in one packet of 20 a rule's pattern.
const payloads: string[] = [];
for (let i = 0; i < 256; i++) {
  let text = '';
  while (text.length < PAYLOAD_BYTES) text += word(2, 9) + ' ';
  if (i % 20 === 0) {
    const at = next(PAYLOAD_BYTES - 40);
    text = text.slice(0, at) + words[next(words.length)] + text.slice(at);
  }
  payloads.push(text.slice(0, PAYLOAD_BYTES));
}
const packets = payloads.map((payload, i) => createTestPacket({ payload, dstPort: i % 3 === 0 ? 80 : 443 }));
const flow = createTestFlow();
const out = new AlertQueue();

let alerts = 0;
for (let i = 0; i < 2000; i++) engine.inspectPacket(packets[i % packets.length], flow, out), out.clear();
const start = performance.now();
for (let i = 0; i < packetCount; i++) {
  engine.inspectPacket(packets[i % packets.length], flow, out);
  alerts += out.count;
  out.clear();
}
const seconds = (performance.now() - start) / 1000;

console.log(`rules loaded         ${engine.signatures.length} of ${ruleCount}`);
console.log(`rule groups          ${engine.groups.groups.length}, matchers ${engine.matchers.size}`);
console.log(`build time           ${buildMs.toFixed(0)} ms`);
console.log(`DFA memory           ${(engine.memoryBytes() / 1024 / 1024).toFixed(2)} MiB`);
console.log(`packets/s            ${(packetCount / seconds).toFixed(0)}`);
console.log(`payload Mbit/s       ${((packetCount * PAYLOAD_BYTES * 8) / seconds / 1e6).toFixed(1)}`);
console.log(`alerts/s             ${(alerts / seconds).toFixed(0)} (${alerts} alerts)`);
console.log(`candidates/packet    ${(engine.candidates / engine.packets).toFixed(2)}`);
console.log(`heap used            ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MiB`);
