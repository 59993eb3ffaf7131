/**
 * `absent` (Suricata 8): the current sticky buffer matches when the
 * transaction does not have it at all. `absent: or_else` also matches
 * when the buffer exists and the keywords after it match, so a negated
 * content then reads "the buffer is missing, or it lacks the pattern".
 * Plain `absent` takes no other keyword in its buffer, which the parser
 * checks once the rule is read.
 */
import { ErrorCode } from '../../core/errors.js';
import { AbsentMode, type BufferInspection, type SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';
import { PKT_DATA } from './pkt-data.js';

/** Returns the inspection whose chain `currentMatches` returns, creating it when the buffer has none yet. */
function currentInspection(b: SignatureBuilder): BufferInspection | undefined {
  const matches = b.currentMatches();
  for (const inspection of b.sig.buffers) if (inspection.matches === matches) return inspection;
  return undefined;
}

registerKeyword({
  name: 'absent',
  description: 'match when the sticky buffer is missing; "or_else" also lets the following keywords match it',
  docsAnchor: 'payload-keywords.html#absent',
  value: 'optional',
  setup(b: SignatureBuilder, value: string): void {
    const text = value.trim();
    let mode: number;
    if (text === '') mode = AbsentMode.ONLY;
    else if (text === 'or_else') mode = AbsentMode.OR_ELSE;
    else {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${text}' is not an absent option (expected nothing or or_else)`);
      return;
    }
    if (b.currentBuffer === PKT_DATA) {
      b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, 'absent must follow a sticky buffer (the packet payload is never missing)');
      return;
    }
    const inspection = currentInspection(b);
    if (inspection === undefined) return;
    if (inspection.absentMode !== undefined) {
      b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `the buffer '${inspection.buffer}' has absent already`);
      return;
    }
    if (inspection.matches.length > 0) {
      b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `absent must come right after the sticky buffer '${inspection.buffer}', before its other keywords`);
      return;
    }
    inspection.absentMode = mode;
  },
});
