/**
 * `kapu explain [-l LOGDIR | --eve FILE] <flow_id | pcap_cnt>`: reads
 * eve.json and explains in plain English what kapu did to a flow or a
 * packet: which rules matched, which policy entry changed the outcome,
 * and which action was taken. It reads the `kapu` decision record
 * of alert and drop events (docs/config.md, "Decision records").
 *
 * The number is taken as a flow_id when an event has that flow_id, and
 * otherwise as the pcap_cnt of a packet. Exit status 0 when events were
 * found, 1 when none were, 2 when the file cannot be read.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TextSink } from './rules-check-command.js';

/** Options of `kapu explain`. */
export interface ExplainOptions {
  /** Log folder whose eve.json is read (`-l`); the current folder when neither this nor `eve` is set. */
  logDir: string | null;
  /** EVE file to read (`--eve`), instead of LOGDIR/eve.json. */
  eve: string | null;
  /** The flow_id or pcap_cnt, as digits. */
  id: string;
}

/** One EVE event as parsed, with its decision record when it has one. */
type EveEvent = Record<string, unknown>;

interface DecisionRecord {
  mode?: string;
  /** The dropping rule, in drop events. */
  rule?: AlertObject;
  configured_action?: string;
  final_action?: string;
  shadow?: boolean;
  rate_filter_action?: string;
  suppressed?: boolean;
  policy?: string[];
}

interface AlertObject {
  action?: string;
  gid?: number;
  signature_id?: number;
  rev?: number;
  signature?: string;
}

/** Reads the EVE file and writes the explanation to `out`; returns the exit status. */
export async function runExplain(options: ExplainOptions, out: TextSink): Promise<number> {
  if (!/^\d+$/.test(options.id)) {
    out.write(`kapu explain: '${options.id}' is not a flow_id or pcap_cnt (expected a whole number)\n`);
    return 2;
  }
  const path = options.eve ?? join(options.logDir ?? '.', 'eve.json');
  if (!existsSync(path)) {
    out.write(`kapu explain: ${path} not found; give the log folder with -l or the file with --eve\n`);
    return 2;
  }
  const { byFlow, byPacket } = await readMatchingEvents(path, options.id);
  const text = byFlow.length > 0 ? explainFlow(options.id, byFlow) : byPacket.length > 0 ? explainPacket(options.id, byPacket) : null;
  if (text === null) {
    out.write(`kapu explain: no event in ${path} has flow_id or pcap_cnt ${options.id}\n`);
    return 1;
  }
  out.write(text);
  return 0;
}

/**
 * Returns the events of `path` whose flow_id, or whose pcap_cnt, is `id`.
 * Lines are matched as text first, so a large eve.json is not parsed whole,
 * and flow ids above 2^53 compare exactly.
 */
async function readMatchingEvents(path: string, id: string): Promise<{ byFlow: EveEvent[]; byPacket: EveEvent[] }> {
  const byFlow: EveEvent[] = [];
  const byPacket: EveEvent[] = [];
  const flowField = `"flow_id":${id},`;
  const packetField = `"pcap_cnt":${id},`;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const isFlow = line.includes(flowField);
    const isPacket = line.includes(packetField);
    if (!isFlow && !isPacket) continue;
    let event: EveEvent;
    try {
      event = JSON.parse(line) as EveEvent;
    } catch {
      continue;
    }
    if (isFlow) byFlow.push(event);
    if (isPacket) byPacket.push(event);
  }
  return { byFlow, byPacket };
}

/** Explains every packet of a flow that kapu alerted on or dropped, in file order. */
export function explainFlow(flowId: string, events: readonly EveEvent[]): string {
  const first = events[0] as EveEvent;
  const lines = [`flow ${flowId}: ${endpoints(first)}`];
  const decided = events.filter((e) => e['event_type'] === 'alert' || e['event_type'] === 'drop');
  if (decided.length === 0) {
    lines.push('  no alert or drop: every packet passed without a rule match');
    return lines.join('\n') + '\n';
  }
  for (const group of groupByPacket(decided)) {
    lines.push(packetHeading(group[0] as EveEvent));
    for (const line of explainPacketEvents(group)) lines.push('    ' + line);
  }
  const flowEvent = events.find((e) => e['event_type'] === 'flow');
  if (flowEvent !== undefined) {
    const flow = (flowEvent['flow'] ?? {}) as Record<string, unknown>;
    lines.push(`  flow ended: ${String(flow['pkts_toserver'] ?? 0)} packets to server, ${String(flow['pkts_toclient'] ?? 0)} to client, alerted: ${flow['alerted'] === true ? 'yes' : 'no'}`);
  }
  return lines.join('\n') + '\n';
}

/** Explains the alerts and drops of one packet. */
export function explainPacket(pcapCount: string, events: readonly EveEvent[]): string {
  const first = events[0] as EveEvent;
  const lines = [`packet ${pcapCount}: ${endpoints(first)}${first['flow_id'] !== undefined ? ` (flow ${String(first['flow_id'])})` : ''}`];
  const decided = events.filter((e) => e['event_type'] === 'alert' || e['event_type'] === 'drop');
  if (decided.length === 0) lines.push('  no alert or drop: no rule matched, and the packet passed');
  for (const line of explainPacketEvents(decided)) lines.push('  ' + line);
  return lines.join('\n') + '\n';
}

/** Groups events by pcap_cnt (or timestamp when a live capture has none), keeping file order. */
function groupByPacket(events: readonly EveEvent[]): EveEvent[][] {
  const groups = new Map<string, EveEvent[]>();
  for (const event of events) {
    const key = event['pcap_cnt'] !== undefined ? `p${String(event['pcap_cnt'])}` : `t${String(event['timestamp'])}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [event]);
    else group.push(event);
  }
  return [...groups.values()];
}

function packetHeading(event: EveEvent): string {
  const count = event['pcap_cnt'] !== undefined ? `packet ${String(event['pcap_cnt'])}` : 'packet';
  return `  ${count} at ${String(event['timestamp'] ?? '?')} (${String(event['direction'] ?? 'unknown direction')}):`;
}

function endpoints(event: EveEvent): string {
  const proto = String(event['proto'] ?? '?');
  const src = hostPort(event['src_ip'], event['src_port']);
  const dst = hostPort(event['dest_ip'], event['dest_port']);
  return `${proto} ${src} -> ${dst}`;
}

function hostPort(ip: unknown, port: unknown): string {
  if (ip === undefined) return '?';
  const host = String(ip).includes(':') ? `[${String(ip)}]` : String(ip);
  return port === undefined ? host : `${host}:${String(port)}`;
}

/**
 * Returns the lines for the alert and drop events of one packet: one
 * `matched:` line per alert with the decision under it, and a line for a
 * drop that no alert of the packet explains.
 */
function explainPacketEvents(events: readonly EveEvent[]): string[] {
  const lines: string[] = [];
  let isDropExplained = false;
  for (const event of events) {
    if (event['event_type'] !== 'alert') continue;
    const alert = (event['alert'] ?? {}) as AlertObject;
    const decision = (event['kapu'] ?? null) as DecisionRecord | null;
    lines.push(`matched: ${ruleName(alert)} "${alert.signature ?? ''}"`);
    lines.push(describeAlertDecision(alert, decision));
    if (alert.action === 'blocked') isDropExplained = true;
  }
  for (const event of events) {
    if (event['event_type'] !== 'drop' || isDropExplained) continue;
    lines.push(describeDrop(event));
    isDropExplained = true;
  }
  return lines;
}

function ruleName(alert: AlertObject): string {
  const rev = alert.rev !== undefined ? ` rev ${alert.rev}` : '';
  return `rule ${alert.gid ?? 1}:${alert.signature_id ?? '?'}${rev}`;
}

function ruleKey(alert: AlertObject): string {
  return `rule ${alert.gid ?? 1}:${alert.signature_id ?? '?'}`;
}

/** Returns the policy entries of `decision` whose key path starts with `prefix`, joined. */
function entriesOf(decision: DecisionRecord, prefix: string): string | null {
  const found = (decision.policy ?? []).filter((entry) => entry.startsWith(prefix));
  return found.length > 0 ? found.join(', ') : null;
}

/** Returns the rate filter entry of `decision`: a policy.rate-filter key or a threshold-file line. */
function rateFilterEntry(decision: DecisionRecord): string {
  const entries = (decision.policy ?? []).filter((entry) => !entry.startsWith('policy.drop[') && !entry.startsWith('policy.shadow[') && !entry.startsWith('policy.suppress['));
  return entries.join(', ') || 'a rate filter';
}

/** Describes what happened to a packet because of one alert. */
function describeAlertDecision(alert: AlertObject, decision: DecisionRecord | null): string {
  const rule = ruleKey(alert);
  if (decision === null || decision.final_action === undefined) {
    // An event without a decision record: an older log, or a gid 8100 policy alert.
    return alert.action === 'blocked' ? `dropped: ${rule} blocked the packet` : `allowed: ${rule} alerted and the packet passed`;
  }
  const configured = decision.configured_action ?? 'alert';
  const isIps = decision.mode === 'ips';
  const mode = isIps ? 'IPS mode' : 'IDS mode';
  const filter = entriesOf(decision, 'policy.drop[');
  const byFilter = filter !== null ? ` (action set to drop by ${filter})` : '';

  if (decision.shadow === true) {
    return `allowed: rule is in shadow mode (${entriesOf(decision, 'policy.shadow[') ?? 'policy.shadow'}); its configured action ${configured} was not applied${byFilter}`;
  }
  if (decision.rate_filter_action !== undefined) {
    const entry = rateFilterEntry(decision);
    const outcome = alert.action === 'blocked' ? verbFor(decision.final_action) : 'alert only';
    const note = decision.final_action === 'alert' && decision.rate_filter_action !== 'alert' && !isIps ? `, which applies in IPS mode only (${mode})` : '';
    return `${outcome}: rate filter ${entry} turned ${configured} into ${decision.rate_filter_action}${note}`;
  }
  switch (decision.final_action) {
    case 'drop':
      return `dropped: ${rule} ${configured} in ${mode}${byFilter}`;
    case 'reject':
      return isIps ? `rejected: ${rule} ${configured} in ${mode}: the packet was dropped and a reject response sent${byFilter}` : `rejected: ${rule} ${configured} sent a reject response; in ${mode} the packet itself passed`;
    case 'pass':
      return `passed: ${rule} is a pass rule`;
    default:
      if (configured === 'drop') return `alert only: ${mode} (the rule's action drop${byFilter} blocks in IPS mode only)`;
      if (alert.action === 'blocked') return `alert only: ${rule} action ${configured}; the packet was dropped by another rule`;
      return `alert only: ${rule} action ${configured}`;
  }
}

function verbFor(finalAction: string | undefined): string {
  if (finalAction === 'reject') return 'rejected';
  if (finalAction === 'pass') return 'passed';
  return 'dropped';
}

/** Describes a drop event that no alert of its packet explains. */
function describeDrop(event: EveEvent): string {
  const drop = (event['drop'] ?? {}) as Record<string, unknown>;
  const decision = (event['kapu'] ?? null) as DecisionRecord | null;
  const alert = (event['alert'] ?? decision?.rule ?? null) as AlertObject | null;
  const reason = drop['reason'] !== undefined ? String(drop['reason']) : null;
  if (decision !== null && decision.suppressed === true) {
    const rule = alert !== null ? ruleKey(alert) : 'a rule';
    return `dropped: ${rule} ${decision.configured_action ?? 'drop'} in IPS mode; its alert was suppressed (${entriesOf(decision, 'policy.suppress[') ?? (decision.policy ?? []).join(', ')})`;
  }
  if (alert !== null && alert.signature_id !== undefined) return `dropped: ${ruleKey(alert)} "${alert.signature ?? ''}"${reason !== null ? ` (reason: ${reason})` : ''}`;
  if (reason === 'flow drop') return 'dropped: an earlier packet of this flow was dropped by a rule, so the whole flow is dropped';
  return `dropped: ${reason ?? 'no reason recorded'}`;
}
