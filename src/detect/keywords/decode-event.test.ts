import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ErrorCode } from '../../core/errors.js';
import { Packet } from '../../core/packet.js';
import { DecoderEvent } from '../../decode/events.js';
import type { InspectionMatch, PacketMatcher, PostMatcher, Signature, SignatureBuilder } from '../signature.js';
import { decodeEventKeyword, DecodeEventMatcher } from './decode-event.js';

/** Records what setup adds and reports; only the members decode-event uses work. */
class RecordingBuilder implements SignatureBuilder {
  readonly sig = {} as Signature;
  readonly currentBuffer = 'pkt_data';
  packetMatches: PacketMatcher[] = [];
  errors: { code: string; message: string }[] = [];
  selectBuffer(): void {}
  currentMatches(): InspectionMatch[] {
    return [];
  }
  lastMatch(): InspectionMatch | null {
    return null;
  }
  addPacketMatch(m: PacketMatcher): void {
    this.packetMatches.push(m);
  }
  addPostMatch(_m: PostMatcher): void {}
  error(code: string, message: string): void {
    this.errors.push({ code, message });
  }
  warning(): void {}
  skip(): void {}
  variableId(): number {
    return 0;
  }
}

test('decode-event known name', () => {
  const b = new RecordingBuilder();
  decodeEventKeyword.setup(b, 'ipv4.trunc_pkt');
  assert.deepEqual(b.errors, []);
  assert.equal(b.packetMatches.length, 1);
  const matcher = b.packetMatches[0] as DecodeEventMatcher;
  assert.equal(matcher.eventId, DecoderEvent.IPV4_TRUNC_PKT);

  const p = new Packet();
  assert.equal(matcher.match(p), false);
  p.addEvent(DecoderEvent.IPV4_TRUNC_PKT);
  assert.equal(matcher.match(p), true);
});

test('decode-event unknown name', () => {
  const b = new RecordingBuilder();
  decodeEventKeyword.setup(b, 'ipv4.no_such');
  assert.equal(b.packetMatches.length, 0);
  assert.equal(b.errors.length, 1);
  assert.equal(b.errors[0]?.code, ErrorCode.RULE_BAD_VALUE);
  assert.match(b.errors[0]?.message ?? '', /^decode-event: unknown event 'ipv4\.no_such' \(expected one of: ipv4\.pkt_too_small, ipv4\.hlen_too_small, /);
  assert.doesNotMatch(b.errors[0]?.message ?? '', /ipv6\./);
});

test('decode-event names from builtin rules', () => {
  // The decode-event values of Suricata's rules/decoder-events.rules, as the
  // file in test/pcaps lists them, all set up without errors.
  const text = readFileSync(new URL('../../../../test/pcaps/decode/decoder-event-names.txt', import.meta.url), 'utf8');
  const names = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  assert.equal(names.length, 120);
  for (const name of names) {
    const b = new RecordingBuilder();
    decodeEventKeyword.setup(b, name);
    assert.deepEqual(b.errors, [], name);
  }
});
