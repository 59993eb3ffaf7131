/**
 * How fast do the capture reader, the decoders and the flow table run on
 * their own? The capture is read five times in one process through
 * openCaptureFile, decodePacket and FlowTable.handlePacket, with no
 * reassembly, detection or output. The first pass warms the JIT and the
 * page cache and is not counted. Prints packets/s and MB/s of capture for
 * the best and the median pass.
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/decode-flow.js [capture]
 * (default: bench/captures/http-heavy.pcap, recorded by bench/record-http.sh,
 * or the committed bench/captures/http-small.pcap when that is missing)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Packet } from '../src/core/packet.js';
import { openCaptureFile } from '../src/capture/open-capture-file.js';
import { DecodeContext } from '../src/decode/context.js';
import { decodePacket } from '../src/decode/decode-packet.js';
import { defaultFlowConfig } from '../src/flow/flow-config.js';
import { FlowTable } from '../src/flow/flow-table.js';

const PASSES = 5;
const BYTES_PER_MB = 1e6;

interface PassResult {
  packets: number;
  bytes: number;
  seconds: number;
}

function runPass(path: string): PassResult {
  const reader = openCaptureFile(path);
  const decode = new DecodeContext('auto');
  let flowsEnded = 0;
  const flows = new FlowTable(defaultFlowConfig(), () => {
    flowsEnded++;
  });
  const p = new Packet();
  let packets = 0;
  let bytes = 0;
  const started = performance.now();
  while (reader.next(p)) {
    decodePacket(p, decode);
    if (!p.isInvalid && p.ipVersion !== 0) flows.handlePacket(p);
    packets++;
    bytes += p.captureLength;
  }
  flows.flushAll(0);
  const seconds = (performance.now() - started) / 1000;
  reader.close();
  if (flowsEnded === 0 && packets > 0) process.stderr.write('warning: no flow ended\n');
  return { packets, bytes, seconds };
}

const heavy = fileURLToPath(new URL('../../bench/captures/http-heavy.pcap', import.meta.url));
const small = fileURLToPath(new URL('../../bench/captures/http-small.pcap', import.meta.url));
const path = process.argv[2] ?? (existsSync(heavy) ? heavy : small);
runPass(path);
const results: PassResult[] = [];
for (let i = 0; i < PASSES - 1; i++) results.push(runPass(path));
results.sort((a, b) => a.seconds - b.seconds);
const best = results[0] as PassResult;
const median = results[Math.floor(results.length / 2)] as PassResult;
const line = (label: string, r: PassResult): string =>
  `${label.padEnd(7)} ${(r.packets / r.seconds).toFixed(0).padStart(9)} packets/s  ${(r.bytes / BYTES_PER_MB / r.seconds).toFixed(1).padStart(7)} MB/s  (${r.seconds.toFixed(3)} s)`;
console.log(`decode + flow on ${path}: ${best.packets} packets, ${(best.bytes / BYTES_PER_MB).toFixed(2)} MB, mean ${(best.bytes / best.packets).toFixed(0)} B`);
console.log(line('best', best));
console.log(line('median', median));
