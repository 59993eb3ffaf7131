/**
 * `bypass`: once the rule matched, the flow is left alone. Later packets of
 * the flow are counted but not reassembled, parsed or inspected (the
 * pipeline checks Flow.isBypassed), as in Suricata's local bypass when the
 * capture cannot drop the flow itself. Suricata: rules/bypass-keyword.html.
 */
import type { Packet } from '../../core/packet.js';
import type { Flow } from '../../flow/flow.js';
import type { PostMatcher } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

/** Marks the flow bypassed after the rule matched; the alert is still raised. */
export class BypassFlow implements PostMatcher {
  readonly keyword = 'bypass';

  apply(_p: Packet, flow: Flow | null): boolean {
    if (flow !== null) flow.isBypassed = true;
    return true;
  }
}

const BYPASS_FLOW = new BypassFlow();

registerKeyword({
  name: 'bypass',
  description: 'Stops inspecting the flow after the rule matched.',
  docsAnchor: 'bypass-keyword.html',
  value: 'none',
  setup(b) {
    b.addPostMatch(BYPASS_FLOW);
  },
});
