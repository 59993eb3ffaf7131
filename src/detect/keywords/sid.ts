import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';
import { MAX_RULE_ID, parseMetaNumber } from './meta-number.js';

registerKeyword({
  name: 'sid',
  description: 'Sets the signature id.',
  docsAnchor: 'meta.html#sid',
  value: 'required',
  setup(b, value) {
    const n = parseMetaNumber(value, 1, MAX_RULE_ID);
    if (typeof n === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, n);
      return;
    }
    b.sig.sid = n;
  },
});
