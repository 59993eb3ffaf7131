/**
 * Runs every capture of the corpus folder pcaps/ddos through kapu with the
 * anomaly stage on and judges the gid 8200 alerts against the committed
 * labels (test/expected/ddos-labels.tsv, rules in ddos-labels.md):
 *
 * - every row with `expect` alert must be found: a finding of the row's
 *   type or its `also` type, whose destination is the row's victim (or
 *   lies in the victim network), and whose window overlaps the row's
 *   window extended by the finding's measuring interval;
 * - a finding of sid 3 to 8 or 10 that matches no row of its capture,
 *   optional rows included, is a false alarm, and there must be none.
 *
 * The same runs with 1:100 packet sampling must still find every flood
 * and reflection row. Scans are found from new flows, which are counted
 * in full whatever the sampling, so they must be found too.
 *
 * The test prints a table of detections with the time to detect: capture
 * time from the row's start to the first matching report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR, REPO_ROOT } from '../../test/corpus-path.js';
import { runAnomalyCapture, type AnomalyAlert } from './anomaly-run.js';
import { anomalyTypeOf } from './finding.js';

const LABELS = join(REPO_ROOT, 'test', 'expected', 'ddos-labels.tsv');
const PCAPS = join(CORPUS_DIR, 'pcaps');
const SKIP = existsSync(join(PCAPS, 'ddos')) ? false : `${join(PCAPS, 'ddos')} not found (set KAPU_CORPUS)`;
/** Sids whose unmatched findings are false alarms (ddos-labels.md). */
const JUDGED_SIDS = new Set([3, 4, 5, 6, 7, 8, 10]);
const FLOOD_TYPES = new Set(['syn_flood', 'udp_flood', 'icmp_flood', 'amplification']);

interface Label {
  capture: string;
  type: string;
  expect: string;
  also: string;
  victim: string;
  startUs: number;
  endUs: number;
}

function readLabels(): Label[] {
  const lines = readFileSync(LABELS, 'utf8').split('\n').filter((line) => line !== '');
  const header = lines[0].split('\t');
  const at = (name: string): number => header.indexOf(name);
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return {
      capture: cells[at('capture')],
      type: cells[at('type')],
      expect: cells[at('expect')],
      also: cells[at('also')],
      victim: cells[at('victim')],
      startUs: Math.round(Number(cells[at('start')]) * 1e6),
      endUs: Math.round(Number(cells[at('end')]) * 1e6),
    };
  });
}

function ipv4Number(text: string): number {
  const parts = text.split('.').map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** Tells whether `ip` is the label's victim or lies in its victim network. */
function isVictim(ip: string | null, victim: string): boolean {
  if (ip === null || victim === '-') return false;
  if (!victim.includes('/')) return ip === victim;
  if (!ip.includes('.')) return false;
  const [base, prefix] = victim.split('/');
  const mask = Number(prefix) === 0 ? 0 : (0xffffffff << (32 - Number(prefix))) >>> 0;
  return ((ipv4Number(ip) & mask) >>> 0) === ((ipv4Number(base) & mask) >>> 0);
}

/** Tells whether an alert reports the label: type or also, victim, and overlapping windows. */
function matches(alert: AnomalyAlert, label: Label): boolean {
  const sids = [anomalyTypeOf(label.type), label.also === '-' ? -1 : anomalyTypeOf(label.also)];
  if (!sids.includes(alert.sid)) return false;
  if (!isVictim(alert.destIp, label.victim)) return false;
  const labelEndUs = label.endUs + alert.intervalS * 1e6;
  return alert.windowStartUs <= labelEndUs && alert.windowEndUs >= label.startUs;
}

interface Judgement {
  found: Array<{ label: Label; detectS: number; alert: AnomalyAlert }>;
  missed: Label[];
  falseAlarms: Array<{ capture: string; alert: AnomalyAlert }>;
}

async function judgeAll(sets: readonly string[]): Promise<Judgement> {
  const labels = readLabels();
  const captures = [...new Set(labels.map((l) => l.capture))];
  const judgement: Judgement = { found: [], missed: [], falseAlarms: [] };
  for (const capture of captures) {
    const alerts = await runAnomalyCapture(join(PCAPS, capture), sets);
    const rows = labels.filter((l) => l.capture === capture && l.type !== 'none');
    for (const label of rows.filter((l) => l.expect === 'alert')) {
      const first = alerts.find((a) => matches(a, label));
      if (first === undefined) judgement.missed.push(label);
      else judgement.found.push({ label, detectS: (first.timestampUs - label.startUs) / 1e6, alert: first });
    }
    for (const alert of alerts) {
      if (alert.phase !== 'start' || !JUDGED_SIDS.has(alert.sid)) continue;
      if (!rows.some((label) => matches(alert, label))) judgement.falseAlarms.push({ capture, alert });
    }
  }
  return judgement;
}

function describe(j: Judgement, title: string): string[] {
  const lines = [`${title}: ${j.found.length} found, ${j.missed.length} missed, ${j.falseAlarms.length} false alarms`];
  for (const f of j.found) {
    lines.push(`  found  ${f.label.capture} ${f.label.type} ${f.label.victim}: sid ${f.alert.sid} ${f.alert.metric}=${f.alert.observed} after ${f.detectS.toFixed(3)} s`);
  }
  for (const m of j.missed) lines.push(`  MISSED ${m.capture} ${m.type} ${m.victim}`);
  for (const a of j.falseAlarms) lines.push(`  FALSE  ${a.capture} sid ${a.alert.sid} ${a.alert.srcIp ?? '-'} -> ${a.alert.destIp ?? '-'} ${a.alert.metric}=${a.alert.observed}`);
  return lines;
}

test('ddos captures: every labelled attack found', { skip: SKIP }, async (t) => {
  const j = await judgeAll([]);
  for (const line of describe(j, 'sample rate 1')) t.diagnostic(line);
  assert.deepEqual(j.missed.map((m) => `${m.capture} ${m.type}`), []);
  assert.deepEqual(j.falseAlarms.map((a) => `${a.capture} sid ${a.alert.sid} ${a.alert.destIp}`), []);
});

test('ddos captures: floods found at 1:100 sampling', { skip: SKIP }, async (t) => {
  const j = await judgeAll(['anomaly.sample-rate=100']);
  for (const line of describe(j, 'sample rate 100')) t.diagnostic(line);
  const missedFloods = j.missed.filter((m) => FLOOD_TYPES.has(m.type));
  assert.deepEqual(missedFloods.map((m) => `${m.capture} ${m.type}`), []);
  // Scans come from new flows, which sampling does not thin out.
  assert.deepEqual(j.missed.map((m) => `${m.capture} ${m.type}`), []);
  assert.deepEqual(j.falseAlarms.map((a) => `${a.capture} sid ${a.alert.sid} ${a.alert.destIp}`), []);
  for (const f of j.found.filter((x) => FLOOD_TYPES.has(x.label.type))) assert.equal(f.alert.sampleRate, 100, `${f.label.capture} sample_rate`);
});

test('ddos captures: spoofed floods judged spoofed', { skip: SKIP }, async () => {
  const spoofed = join(PCAPS, 'ddos/stopddos/pkt.TCP.synflood.spoofed.pcap');
  const alerts = await runAnomalyCapture(spoofed, []);
  const start = alerts.find((a) => a.sid === 3 && a.phase === 'start');
  assert.ok(start !== undefined, 'syn_flood start alert');
  assert.equal(start.sourcesSpoofed, true);
  const reflection = await runAnomalyCapture(join(PCAPS, 'ddos/stopddos/amp.TCP.reflection.SYNACK.pcap'), []);
  const amp = reflection.find((a) => a.sid === 6 && a.phase === 'start');
  assert.ok(amp !== undefined, 'amplification start alert');
  assert.equal(amp.sourcesSpoofed, false);
});
