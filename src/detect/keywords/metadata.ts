import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';

registerKeyword({
  name: 'metadata',
  description: 'Adds comma-separated "key value" entries, kept as written, for the alert (EVE alert.metadata).',
  docsAnchor: 'meta.html#metadata',
  value: 'required',
  setup(b, value) {
    for (const part of value.split(',')) {
      const entry = part.trim();
      if (entry.length === 0) {
        b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' has an empty entry (expected "key value" entries separated by ',')`);
        return;
      }
      b.sig.metadata.push(entry);
    }
  },
});
