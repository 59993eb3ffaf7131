import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';
import { parseMetaNumber } from './meta-number.js';

/** Largest priority: Suricata reads the value as a signed 32-bit integer. */
const MAX_PRIORITY = 2147483647;

// The parser starts a signature with priority -1, meaning "not set", and
// fills in the classtype's priority or the default once all options are read.
registerKeyword({
  name: 'priority',
  description: 'Sets the priority of the alert (1 is highest), overriding the priority of the classtype.',
  docsAnchor: 'meta.html#priority',
  value: 'required',
  setup(b, value) {
    const isQuoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"');
    const n = parseMetaNumber(isQuoted ? value.slice(1, value.length - 1) : value, 0, MAX_PRIORITY);
    if (typeof n === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, n);
      return;
    }
    if (b.sig.priority >= 0) {
      const kept = Math.min(b.sig.priority, n);
      b.warning(ErrorCode.RULE_BAD_VALUE, `'${value}' is a second priority; the highest one, ${kept}, is used`);
      b.sig.priority = kept;
      return;
    }
    b.sig.priority = n;
  },
});
