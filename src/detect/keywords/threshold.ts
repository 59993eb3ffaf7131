import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';
import { parseThresholdSpec } from './threshold-spec.js';

registerKeyword({
  name: 'threshold',
  description: 'Limits or thresholds alerts: type limit|threshold|both, track, count, seconds.',
  docsAnchor: 'thresholding.html#threshold',
  value: 'required',
  setup(b, value) {
    if (b.sig.threshold !== null) {
      b.error(ErrorCode.RULE_BAD_VALUE, 'the rule has a second threshold (only one is allowed)');
      return;
    }
    const spec = parseThresholdSpec(value, ['limit', 'threshold', 'both']);
    if (typeof spec === 'string') {
      b.error(spec.endsWith('rule skipped') ? ErrorCode.RULE_UNSUPPORTED : ErrorCode.RULE_BAD_VALUE, spec);
      return;
    }
    b.sig.threshold = spec;
  },
});
