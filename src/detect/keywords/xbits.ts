/**
 * `xbits:` keeps named bits on a host or an address pair, with an expiry:
 * `xbits:<set|unset|toggle|isset|isnotset>,<name>,track <ip_src|ip_dst|ip_pair>[,expire <seconds>]`
 * or `xbits:noalert`. `track` and `expire` may come in either order.
 *
 * Bits tracked by ip_src or ip_dst are hostbits, with the same names in
 * the same table. Bits tracked by ip_pair live in the ippair table and
 * are the same for both directions between two addresses. Without
 * `expire` a bit lasts XBIT_EXPIRE_DEFAULT_S seconds of capture time.
 */
import { ErrorCode } from '../../core/errors.js';
import type { SignatureBuilder } from '../signature.js';
import { AddressBitCheck, AddressBitUpdate, BIT_ACTIONS, BIT_NAME, BitTrack } from './hostbits.js';
import { registerKeyword } from './keyword-table.js';

/** Seconds an xbit stays set when the rule gives no `expire` (Suricata 8's default). */
export const XBIT_EXPIRE_DEFAULT_S = 30;

/** Largest `expire` value: Suricata reads it as an unsigned 32-bit number. */
const MAX_EXPIRE_S = 0xffffffff;

const TRACKS: Record<string, number> = {
  ip_src: BitTrack.IP_SRC,
  ip_dst: BitTrack.IP_DST,
  ip_pair: BitTrack.IP_PAIR,
};

/** Options of one xbits keyword after parsing. */
interface XbitsOptions {
  action: string;
  name: string;
  track: number;
  expireS: number;
}

/** Parses the fields after the name (`track X`, `expire N`) and reports problems through `b`. */
function parseXbitsTail(b: SignatureBuilder, fields: string[], out: XbitsOptions): boolean {
  let hasTrack = false;
  let hasExpire = false;
  for (const field of fields) {
    const space = field.search(/\s/);
    const option = (space < 0 ? field : field.slice(0, space)).toLowerCase();
    const arg = space < 0 ? '' : field.slice(space + 1).trim();
    if ((option === 'track' && hasTrack) || (option === 'expire' && hasExpire)) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${option}' is given twice`);
      return false;
    }
    if (option === 'track') {
      if (arg === 'tx') {
        b.error(ErrorCode.RULE_UNSUPPORTED, `'track tx' is not supported yet (app-layer transactions are not tracked)`);
        return false;
      }
      const track = TRACKS[arg];
      if (track === undefined) {
        b.error(ErrorCode.RULE_BAD_VALUE, `'${arg}' is not an xbits tracker (expected ip_src, ip_dst or ip_pair)`);
        return false;
      }
      out.track = track;
      hasTrack = true;
    } else if (option === 'expire') {
      const seconds = /^\d+$/.test(arg) ? Number(arg) : NaN;
      if (!(seconds >= 1 && seconds <= MAX_EXPIRE_S)) {
        b.error(ErrorCode.RULE_BAD_VALUE, `expire '${arg}' is invalid (expected whole seconds from 1 to ${MAX_EXPIRE_S})`);
        return false;
      }
      out.expireS = seconds;
      hasExpire = true;
    } else {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${field}' is not an xbits option (expected track <ip_src|ip_dst|ip_pair> and expire <seconds>)`);
      return false;
    }
  }
  if (!hasTrack) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${out.action},${out.name}' has no tracker (expected track ip_src, ip_dst or ip_pair)`);
    return false;
  }
  return true;
}

function setupXbits(b: SignatureBuilder, value: string): void {
  const fields = value.split(',').map((field) => field.trim()).filter((field) => field.length > 0);
  const action = (fields[0] ?? '').toLowerCase();
  const allowed = 'expected set, unset, toggle, isset or isnotset, a name and track <ip_src|ip_dst|ip_pair>, or noalert';

  if (action === 'noalert') {
    if (fields.length > 1) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'noalert' takes no name, found '${fields.slice(1).join(',')}'`);
      return;
    }
    b.sig.isNoAlert = true;
    return;
  }
  const isCheck = action === 'isset' || action === 'isnotset';
  if (!isCheck && BIT_ACTIONS[action] === undefined) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${fields[0] ?? ''}' is not an xbits action (${allowed})`);
    return;
  }
  if (fields.length < 2) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' names no xbit (${allowed})`);
    return;
  }
  const name = fields[1];
  if (!BIT_NAME.test(name)) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${name}' is not a valid xbit name (expected letters, digits and _ . - / :)`);
    return;
  }

  const options: XbitsOptions = { action, name, track: BitTrack.IP_SRC, expireS: XBIT_EXPIRE_DEFAULT_S };
  if (!parseXbitsTail(b, fields.slice(2), options)) return;

  // Host-tracked xbits and hostbits share names, so they share ids.
  const id = b.variableId(options.track === BitTrack.IP_PAIR ? 'xbit' : 'hostbit', name);
  if (isCheck) {
    b.addPacketMatch(new AddressBitCheck('xbits', id, options.track, action === 'isset'));
    return;
  }
  b.addPostMatch(new AddressBitUpdate('xbits', id, options.track, BIT_ACTIONS[action], options.expireS));
}

registerKeyword({
  name: 'xbits',
  description: 'Sets, clears and tests named bits on a host or address pair, with an expiry (track ip_src, ip_dst or ip_pair).',
  docsAnchor: 'xbits.html',
  value: 'required',
  setup: setupXbits,
});
