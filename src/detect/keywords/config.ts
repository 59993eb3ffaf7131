/**
 * `config:<subsys> <action>, type <type>, scope <scope>`: a matching rule
 * changes how kapu handles a unit of traffic. Supported:
 * `logging disable, type tx, scope tx` keeps the matched transaction out
 * of EVE (its protocol event is not written), for rules that match a
 * transaction. Suricata: rules/config.html.
 */
// NOTE: Suricata 8's `tracking disable, type flow, scope packet` needs the
// pre_flow hook, which kapu does not run, so such rules are skipped. A
// logging rule without transaction keywords matches packets and changes
// nothing.
import { ErrorCode } from '../../core/errors.js';
import type { PostMatcher, SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

/** Marks the matched transaction for the transaction logger to skip. */
export class DisableTxLogging implements PostMatcher {
  readonly keyword = 'config';
  readonly disablesTxLogging = true;

  apply(): boolean {
    return true;
  }
}

const DISABLE_TX_LOGGING = new DisableTxLogging();

function setupConfig(b: SignatureBuilder, value: string): void {
  const parts = value.split(',').map((part) => part.trim().toLowerCase().replace(/\s+/g, ' '));
  const [setting, type, scope] = parts;
  if (parts.length !== 3 || setting === undefined || !type?.startsWith('type ') || !scope?.startsWith('scope ')) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not of the form '<subsys> <action>, type <type>, scope <scope>'`);
    return;
  }
  if (setting === 'logging disable' && type === 'type tx' && scope === 'scope tx') {
    b.addPostMatch(DISABLE_TX_LOGGING);
    return;
  }
  b.error(ErrorCode.RULE_UNSUPPORTED, `'${value}' is not supported yet (supported: logging disable, type tx, scope tx); rule skipped`);
}

registerKeyword({
  name: 'config',
  description: 'change the handling of the matched transaction (logging disable, type tx, scope tx)',
  docsAnchor: 'config.html',
  value: 'required',
  setup: setupConfig,
});
