import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';
import { parseThresholdSpec } from './threshold-spec.js';

registerKeyword({
  name: 'detection_filter',
  description: 'Alerts only after count matches within seconds: track, count, seconds.',
  docsAnchor: 'thresholding.html#detection-filter',
  value: 'required',
  setup(b, value) {
    if (b.sig.detectionFilter !== null) {
      b.error(ErrorCode.RULE_BAD_VALUE, 'the rule has a second detection_filter (only one is allowed)');
      return;
    }
    const spec = parseThresholdSpec(value, []);
    if (typeof spec === 'string') {
      b.error(spec.endsWith('rule skipped') ? ErrorCode.RULE_UNSUPPORTED : ErrorCode.RULE_BAD_VALUE, spec);
      return;
    }
    b.sig.detectionFilter = spec;
  },
});
