import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';
import { MAX_RULE_ID, parseMetaNumber } from './meta-number.js';

registerKeyword({
  name: 'rev',
  description: 'Sets the revision of the signature.',
  docsAnchor: 'meta.html#rev',
  value: 'required',
  setup(b, value) {
    const n = parseMetaNumber(value, 0, MAX_RULE_ID);
    if (typeof n === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, n);
      return;
    }
    b.sig.rev = n;
  },
});
