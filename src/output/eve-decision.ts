/**
 * The `kapu` object of alert and drop events: the decision record that
 * `kapu explain` reads. It names the run mode, the action the rule was
 * configured with, the action kapu applied, and every policy entry that
 * changed the outcome, in the order they applied:
 *
 *   "kapu":{"mode":"ips","configured_action":"drop","final_action":"alert",
 *           "shadow":true,"policy":["policy.shadow[0]"]}
 *
 * A policy entry is named by its key path (`policy.rate-filter[0]`) or,
 * for a threshold.config line, by `file:line`.
 */
import { Action, type Signature } from '../detect/signature.js';
import { jsonString } from './eve-format.js';
import type { RateFilterEntry, SuppressEntry } from '../detect/threshold-config.js';

/** Rule action names by ActionId, as rules write them. */
const ACTION_NAMES = ['pass', 'drop', 'reject', 'rejectsrc', 'rejectdst', 'rejectboth', 'alert'];

/** Returns the rule-language name of ActionId `action`. */
export function actionName(action: number): string {
  return ACTION_NAMES[action] ?? 'alert';
}

/** Returns how a decision record names a threshold entry: its key path, or `file:line` for threshold.config. */
export function thresholdEntryName(entry: RateFilterEntry | SuppressEntry): string {
  return entry.line > 0 ? entry.file + ':' + entry.line : entry.file;
}

function isReject(action: number): boolean {
  return action === Action.REJECT || action === Action.REJECTSRC || action === Action.REJECTDST || action === Action.REJECTBOTH;
}

/**
 * Returns the final action of one match: what kapu did for it. A drop is
 * only applied in IPS mode, and is `alert` in IDS mode; a reject sends its
 * responses in both modes.
 */
export function finalActionOf(action: number, isIps: boolean): string {
  if (action === Action.PASS) return 'pass';
  if (isReject(action)) return 'reject';
  if (action === Action.DROP) return isIps ? 'drop' : 'alert';
  return 'alert';
}

/**
 * Builds the `,"kapu":{...}` text for a match of `sig`. `actionOverride`
 * is the rate filter's new action (ActionId) or -1, and `rateFilter` is
 * that filter's entry. `suppress` is the entry that withheld the alert of
 * a rule that still dropped the packet. `withRule` adds the rule's gid,
 * sid, rev and message, for a drop event that may carry no alert object.
 */
export function decisionObject(
  sig: Signature,
  isIps: boolean,
  actionOverride: number,
  rateFilter: RateFilterEntry | null,
  suppress: SuppressEntry | null,
  withRule = false,
): string {
  const note = sig.policyNote ?? null;
  const isShadowed = note !== null && note.shadowedAction >= 0;
  const configured = isShadowed ? note.shadowedAction : sig.action;
  const applied = actionOverride >= 0 ? actionOverride : sig.action;
  let out = ',"kapu":{"mode":"' + (isIps ? 'ips' : 'ids') + '"';
  if (withRule) out += ',"rule":{"gid":' + sig.gid + ',"signature_id":' + sig.sid + ',"rev":' + sig.rev + ',"signature":' + jsonString(sig.msg) + '}';
  out += ',"configured_action":"' + actionName(configured) + '"';
  out += ',"final_action":"' + finalActionOf(applied, isIps) + '"';
  if (isShadowed) out += ',"shadow":true';
  if (rateFilter !== null) out += ',"rate_filter_action":"' + actionName(rateFilter.newAction) + '"';
  if (suppress !== null) out += ',"suppressed":true';

  const entries: string[] = [];
  if (note !== null && note.filterKey !== null) entries.push(note.filterKey);
  if (note !== null && note.shadowKey !== null) entries.push(note.shadowKey);
  if (rateFilter !== null) entries.push(thresholdEntryName(rateFilter));
  if (suppress !== null) entries.push(thresholdEntryName(suppress));
  if (entries.length > 0) out += ',"policy":' + JSON.stringify(entries);
  return out + '}';
}
