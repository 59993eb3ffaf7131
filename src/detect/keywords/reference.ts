import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';

// A system missing from reference.config is kept as written, as Suricata
// does unless its strict mode is on.
registerKeyword({
  name: 'reference',
  description: 'Adds a reference (system,id) to an external description of the threat.',
  docsAnchor: 'meta.html#reference',
  value: 'required',
  setup(b, value) {
    const comma = value.indexOf(',');
    const system = comma < 0 ? '' : value.slice(0, comma).trim();
    const id = comma < 0 ? '' : value.slice(comma + 1).trim();
    if (system.length === 0 || id.length === 0) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a reference (expected system,id such as url,example.com/advisory)`);
      return;
    }
    b.sig.references.push(`${system},${id}`);
  },
});
