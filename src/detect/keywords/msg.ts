import { ErrorCode } from '../../core/errors.js';
import { unquoteValue } from '../rule-lexer.js';
import { registerKeyword } from './keyword-table.js';

registerKeyword({
  name: 'msg',
  description: 'Sets the message of the alert.',
  docsAnchor: 'meta.html#msg',
  value: 'required',
  setup(b, value) {
    const text = unquoteValue(value);
    if (text === null) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a quoted string (expected "text" with \\" \\; \\\\ escapes)`);
      return;
    }
    b.sig.msg = text;
  },
});
