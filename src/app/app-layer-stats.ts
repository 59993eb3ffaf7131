/**
 * Writes the app-layer error counters under Suricata 8's stats names:
 * `app_layer.error.<proto>.parser` and the counters of
 * `app-layer.error-policy`. Runs once per stats interval.
 */
import { STREAM_EXCEPTION_COUNTER_NAMES, StreamException } from '../stream/reassembly.js';
import type { AppLayer } from './app-layer.js';

/**
 * Policies whose counters Suricata 8 writes for the app-layer error
 * policy, by StreamException value; ignore has none.
 */
const APP_ERROR_POLICY_ACTIONS: readonly number[] = [
  StreamException.DROP_FLOW,
  StreamException.DROP_PACKET,
  StreamException.PASS_FLOW,
  StreamException.PASS_PACKET,
  StreamException.BYPASS,
  StreamException.REJECT,
];

/**
 * Adds the app-layer error counters of `app` to `out`. The parser error
 * counter is written for each protocol that the run saw, except DNS, whose
 * parser counts its own. The policy counters are written only when the
 * policy is not ignore, as in Suricata 8: in total, and per protocol when
 * `stats.exception-policy.per-app-proto-errors` is on.
 */
export function writeAppLayerErrorStats(app: AppLayer, out: Map<string, number>, isPerProto: boolean): void {
  const counters = app.counters;
  for (const name of counters.flowsByProto.keys()) {
    if (name === 'dns_udp' || name === 'dns_tcp') continue;
    out.set('app_layer.error.' + name + '.parser', counters.parserErrors.get(name) ?? 0);
  }
  if (app.errorPolicyAction === StreamException.IGNORE) return;

  for (const action of APP_ERROR_POLICY_ACTIONS) {
    out.set('app_layer.error.exception_policy.' + STREAM_EXCEPTION_COUNTER_NAMES[action], counters.errorPolicy[action] as number);
  }
  if (!isPerProto) return;
  for (const name of counters.flowsByProto.keys()) {
    const byProto = counters.errorPolicyByProto.get(name);
    for (const action of APP_ERROR_POLICY_ACTIONS) {
      const count = byProto !== undefined ? byProto[action] as number : 0;
      out.set('app_layer.error.' + name + '.exception_policy.' + STREAM_EXCEPTION_COUNTER_NAMES[action], count);
    }
  }
}
