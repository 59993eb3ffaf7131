import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';
import { parseMetaNumber } from './meta-number.js';

/** Priorities run from 1 (highest) to 255, the range of Suricata's priority keyword. */
const MAX_PRIORITY = 255;

registerKeyword({
  name: 'priority',
  description: 'Sets the priority of the alert, overriding the priority of the classtype.',
  docsAnchor: 'meta.html#priority',
  value: 'required',
  setup(b, value) {
    const n = parseMetaNumber(value, 1, MAX_PRIORITY);
    if (typeof n === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, n);
      return;
    }
    b.sig.priority = n;
  },
});
