import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';

// The parser looks the name up in classification.config once all options
// are read, because `priority:` may come before or after `classtype:`.
registerKeyword({
  name: 'classtype',
  description: 'Names the classification of the alert (classification.config).',
  docsAnchor: 'meta.html#classtype',
  value: 'required',
  setup(b, value) {
    const isQuoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"');
    const name = isQuoted ? value.slice(1, value.length - 1).trim() : value;
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a classtype name (expected letters, digits, '-' and '_')`);
      return;
    }
    if (b.sig.classtype !== null) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${name}' is a second classtype (the rule already has '${b.sig.classtype}')`);
      return;
    }
    b.sig.classtype = name;
  },
});
