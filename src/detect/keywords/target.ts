import { ErrorCode } from '../../core/errors.js';
import { registerKeyword } from './keyword-table.js';

registerKeyword({
  name: 'target',
  description: 'Names which side of the alert is the target: src_ip or dest_ip.',
  docsAnchor: 'meta.html#target',
  value: 'required',
  setup(b, value) {
    if (value !== 'src_ip' && value !== 'dest_ip') {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a target (expected src_ip or dest_ip)`);
      return;
    }
    b.sig.target = value;
  },
});
