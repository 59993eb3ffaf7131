/**
 * `app-layer-state:[op]<state>` (Suricata 8): compares the progress of an
 * app-layer transaction with a named protocol state. The states and the
 * matcher live in ../rule-hooks.ts beside the rule hooks, which use the
 * same progress. Suricata: rules/app-layer.html.
 */
import { ErrorCode } from '../../core/errors.js';
import { parseAppLayerState } from '../rule-hooks.js';
import { registerKeyword } from './keyword-table.js';

registerKeyword({
  name: 'app-layer-state',
  description: 'compare the progress of a transaction with a protocol state (tls)',
  docsAnchor: 'app-layer.html#app-layer-state',
  value: 'required',
  setup(b, value) {
    const parsed = parseAppLayerState(b.sig.proto, value);
    if (typeof parsed === 'string') {
      b.error(parsed.endsWith('rule skipped') ? ErrorCode.RULE_UNSUPPORTED : ErrorCode.RULE_BAD_VALUE, parsed);
      return;
    }
    b.addPacketMatch(parsed);
  },
});
