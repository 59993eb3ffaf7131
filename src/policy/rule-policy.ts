/**
 * Shadow mode (`policy.shadow`) and the record of what the policy section
 * changed about each rule as it loaded. A shadowed rule runs alert-only
 * whatever its action: a drop or reject rule alerts and lets the packet
 * through, so a new rule or virtual patch can be watched in IPS mode
 * before it blocks anything. The rule's configured action stays in its
 * SignaturePolicyNote, which the alert's `kapu` object shows.
 *
 *   policy:
 *     shadow:
 *       - 2019401                      # a sid, or gid:sid
 *       - 2000000-2000100              # a sid range
 *       - group:emerging-trojan.rules  # rules of matching files
 *       - virtual-patches              # every rule of the virtual-patch catalog
 */
import { basename, dirname, resolve } from 'node:path';
import { Action, type Signature, type SignaturePolicyNote } from '../detect/signature.js';
import { describeRule, matchesRule, parseRuleMatcher, type FilterableRule, type RuleMatcher } from '../detect/rule-matchers.js';

/** The policy.shadow entry that selects every rule of the virtual-patch catalog. */
export const SHADOW_VIRTUAL_PATCHES = 'virtual-patches';

/** One compiled policy.shadow entry. */
interface ShadowEntry {
  key: string;
  /** null for the virtual-patches switch. */
  matcher: RuleMatcher | null;
}

/** Returns the problem of one policy.shadow entry, or null when it is valid. */
export function shadowEntryProblem(entry: string): string | null {
  if (entry.trim().toLowerCase() === SHADOW_VIRTUAL_PATCHES) return null;
  const matcher = parseRuleMatcher(entry);
  return typeof matcher === 'string' ? `${matcher}, or ${SHADOW_VIRTUAL_PATCHES}` : null;
}

/** Inputs of applyRulePolicy: the shadow entries and where each rule came from. */
export interface RulePolicyInputs {
  /** policy.shadow as configured. */
  shadow: readonly string[];
  /** Folder of the virtual-patch catalog, whose rules `virtual-patches` selects. */
  patchCatalogDir: string;
  /**
   * Per rule key `gid:sid`, the key path of the rule filter that set its
   * action (`policy.drop[0]`); empty when no filter changed an action.
   */
  filterKeys: ReadonlyMap<string, string>;
}

/**
 * Applies policy.shadow to `signatures` and records the notes: a
 * shadowed drop or reject rule becomes an alert rule, with its action kept
 * in `policyNote.shadowedAction`. Returns how many rules are shadowed.
 * Invalid entries are skipped; the config loader has reported them.
 */
export function applyRulePolicy(signatures: readonly Signature[], inputs: RulePolicyInputs): number {
  const entries: ShadowEntry[] = [];
  inputs.shadow.forEach((text, i) => {
    const key = `policy.shadow[${i}]`;
    if (text.trim().toLowerCase() === SHADOW_VIRTUAL_PATCHES) {
      entries.push({ key, matcher: null });
      return;
    }
    const matcher = parseRuleMatcher(text);
    if (typeof matcher !== 'string') entries.push({ key, matcher });
  });
  if (entries.length === 0 && inputs.filterKeys.size === 0) return 0;

  const catalogDir = resolve(inputs.patchCatalogDir);
  let shadowed = 0;
  for (const sig of signatures) {
    const filterKey = inputs.filterKeys.get(`${sig.gid}:${sig.sid}`) ?? null;
    const shadowKey = entries.length === 0 ? null : shadowKeyOf(sig, entries, catalogDir);
    if (filterKey === null && shadowKey === null) continue;
    const note: SignaturePolicyNote = { shadowedAction: -1, shadowKey, filterKey };
    if (shadowKey !== null) {
      note.shadowedAction = sig.action;
      // A pass rule keeps its action: it blocks nothing, so there is nothing to shadow.
      if (sig.action !== Action.PASS) sig.action = Action.ALERT;
      shadowed++;
    }
    sig.policyNote = note;
  }
  return shadowed;
}

/** Returns the key of the first shadow entry that selects `sig`, or null. */
function shadowKeyOf(sig: Signature, entries: readonly ShadowEntry[], catalogDir: string): string | null {
  let rule: FilterableRule | null = null;
  for (const entry of entries) {
    if (entry.matcher === null) {
      if (resolve(dirname(sig.file)) === catalogDir) return entry.key;
      continue;
    }
    rule ??= describeRule(sig.text, true, basename(sig.file));
    if (matchesRule(entry.matcher, rule)) return entry.key;
  }
  return null;
}
