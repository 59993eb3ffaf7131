/**
 * `config: <subsys> <action>, type <type>, scope <scope>` (Suricata 8
 * config rules): a match changes how the engine treats the matched unit.
 * Supported here: `logging disable, type tx, scope tx`, which keeps the
 * matched transaction out of the protocol log (the `http` or `dns` EVE
 * event). Other settings are reported as not supported and skip the rule.
 * NOTE: only rules that transaction detection runs (those with an
 * app-layer buffer or transaction keyword) can mark a transaction, so
 * the setting does nothing in a rule that inspects packets only.
 */
import { ErrorCode } from '../../core/errors.js';
import type { SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

const SUPPORTED = 'logging disable, type tx, scope tx';

/** Splits the value into its three parts, or returns null when it has another shape. */
function parseConfigValue(value: string): { setting: string; type: string; scope: string } | null {
  const parts = value.split(',').map((part) => part.trim().replace(/\s+/g, ' '));
  if (parts.length !== 3) return null;
  const [setting, typePart, scopePart] = parts as [string, string, string];
  if (!typePart.startsWith('type ') || !scopePart.startsWith('scope ')) return null;
  return { setting, type: typePart.slice(5), scope: scopePart.slice(6) };
}

registerKeyword({
  name: 'config',
  description: 'change engine settings for the matched unit; supported: "logging disable, type tx, scope tx"',
  docsAnchor: 'config.html',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const parsed = parseConfigValue(value);
    if (parsed === null) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value.trim()}' is not a config setting (expected '<subsys> <action>, type <type>, scope <scope>')`);
      return;
    }
    if (parsed.setting !== 'logging disable' || parsed.type !== 'tx' || parsed.scope !== 'tx') {
      b.error(ErrorCode.RULE_UNSUPPORTED, `'${value.trim()}' is not supported yet (supported: '${SUPPORTED}'); rule skipped`);
      return;
    }
    b.sig.disablesTxLogging = true;
  },
});
