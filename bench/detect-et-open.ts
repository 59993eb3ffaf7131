/**
 * How do the payload keywords and the prefilter cope with Emerging Threats
 * Open? Loads the payload part of every ET Open rule (without the rule
 * parser: header fields other than the protocol are taken as `any`),
 * reports the keyword errors by message, the rules the packet engine can
 * run (those that inspect only pkt_data), the DFA memory and packets/s on
 * a fixed-seed stream of text payloads.
 *
 * Run: node dist/bench/detect-et-open.js [rules folder]
 * The folder defaults to $KAPU_CORPUS/rules/et-open or
 * ../shared/corpus/rules/et-open beside the checkout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AlertQueue, DetectEngine } from '../src/detect/detect-engine.js';
import { PAYLOAD_KEYWORDS } from '../src/detect/keywords/payload-keywords.js';
import { Action, type ActionId, type Signature } from '../src/detect/signature.js';
import { createTestSignature, splitRuleOptions, TestSignatureBuilder } from '../src/detect/test-support/signature-builder.js';
import { createTestFlow, createTestPacket } from '../src/detect/test-support/packets.js';
import { CORPUS_DIR } from '../test/corpus-path.js';

const folder = process.argv[2] ?? join(CORPUS_DIR, 'rules', 'et-open');
const ACTIONS: Record<string, ActionId> = { alert: Action.ALERT, drop: Action.DROP, pass: Action.PASS, reject: Action.REJECT };
const RULE_LINE = /^(alert|drop|pass|reject)\s+(\S+)\s+\S+\s+\S+\s+(->|<>)\s+\S+\s+\S+\s*\((.*)\)\s*$/;

let total = 0;
let appBuffer = 0;
let headerOnly = 0;
const errorCounts = new Map<string, number>();
const sigs: Signature[] = [];
for (const name of readdirSync(folder).filter((f) => f.endsWith('.rules')).sort()) {
  for (const line of readFileSync(join(folder, name), 'utf8').split('\n')) {
    const m = RULE_LINE.exec(line.trim());
    if (m === null) continue;
    total++;
    const sig = createTestSignature({ id: total, action: ACTIONS[m[1]], proto: m[2] });
    const b = new TestSignatureBuilder(sig);
    let usesAppBuffer = !['tcp', 'udp', 'ip', 'icmp', 'tcp-pkt', 'pkthdr'].includes(m[2]);
    for (const option of splitRuleOptions(m[4])) {
      if (option.name === 'sid') sig.sid = Number(option.value);
      const def = PAYLOAD_KEYWORDS.find((k) => k.name === option.name);
      if (def !== undefined) {
        def.setup(b, option.value);
        b.recordOrder();
      } else if (option.value === '' && (option.name.includes('.') || option.name.endsWith('_data'))) {
        // A sticky buffer: later payload keywords inspect it, not the packet payload.
        b.selectBuffer(option.name);
        usesAppBuffer = true;
      } else if (option.value === '' && option.name.includes('_')) {
        // An old-style buffer modifier (http_uri, ...) of the previous content.
        usesAppBuffer = true;
      }
    }
    const errors = b.diagnostics.filter((d) => d.severity === 'error');
    for (const e of errors) {
      const key = e.message.replace(/'[^']*'/g, "'…'").slice(0, 90);
      errorCounts.set(key, (errorCounts.get(key) ?? 0) + 1);
    }
    if (errors.length > 0) continue;
    if (usesAppBuffer) {
      appBuffer++;
      continue;
    }
    if (sig.buffers.length === 0) {
      // Header-only rules (IP reputation lists) would match every packet
      // here, because this loader takes addresses as `any`.
      headerOnly++;
      continue;
    }
    sigs.push(sig);
  }
}

const buildStart = performance.now();
const engine = new DetectEngine(sigs);
const buildMs = performance.now() - buildStart;

let seed = 0x9e3779b9;
function next(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
const WORDS = ['GET', 'POST', 'HTTP/1.1', 'Host:', 'User-Agent:', 'Mozilla/5.0', 'index.html', 'id=', '&', 'cmd', 'select', 'from', 'where', '\r\n', 'admin', 'login', '0x', 'AAAA', '/', '.php', 'data'];
const packets = [];
for (let i = 0; i < 256; i++) {
  let text = '';
  while (text.length < 600) text += WORDS[next(WORDS.length)] + (next(3) === 0 ? ' ' : '');
  packets.push(createTestPacket({ payload: text, dstPort: 80 }));
}
const flow = createTestFlow();
const out = new AlertQueue();
const packetCount = 20000;
let alerts = 0;
const start = performance.now();
for (let i = 0; i < packetCount; i++) {
  engine.inspectPacket(packets[i % packets.length], flow, out);
  alerts += out.count;
  out.clear();
  flow.isPassed = false;
}
const seconds = (performance.now() - start) / 1000;

console.log(`rules read             ${total}`);
console.log(`keyword errors         ${[...errorCounts.values()].reduce((a, b) => a + b, 0)}`);
for (const [message, count] of [...errorCounts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${String(count).padStart(5)}  ${message}`);
}
console.log(`rules on app buffers   ${appBuffer} (not run by the packet engine yet)`);
console.log(`header-only rules      ${headerOnly} (left out: addresses are not parsed here)`);
console.log(`rules run              ${engine.signatures.length}, skipped by the engine ${engine.skipped.length}`);
console.log(`rule groups            ${engine.groups.groups.length}, matchers ${engine.matchers.size}`);
console.log(`build time             ${buildMs.toFixed(0)} ms`);
console.log(`DFA memory             ${(engine.memoryBytes() / 1024 / 1024).toFixed(2)} MiB`);
console.log(`packets/s (600 B)      ${(packetCount / seconds).toFixed(0)}`);
console.log(`candidates/packet      ${(engine.candidates / engine.packets).toFixed(2)}`);
console.log(`alerts                 ${alerts}`);
