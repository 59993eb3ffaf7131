import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DECODER_EVENT_NAMES, DecoderEvent, decoderEventEveName, decoderEventId, decoderEventName } from './events.js';

test('events ids dense and unique', () => {
  const ids = Object.values(DecoderEvent);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, DECODER_EVENT_NAMES.length - 1);
  for (const [constant, id] of Object.entries(DecoderEvent)) {
    assert.equal(decoderEventName(id).toUpperCase().replace(/\./g, '_'), constant);
  }
});

test('events lookup by name', () => {
  assert.equal(decoderEventId('ipv4.trunc_pkt'), DecoderEvent.IPV4_TRUNC_PKT);
  assert.equal(decoderEventId('too_many_layers'), DecoderEvent.TOO_MANY_LAYERS);
  assert.equal(decoderEventId('ipv4.no_such_event'), 0);
  assert.equal(decoderEventId('decoder.ipv4.trunc_pkt'), 0);
});

test('events eve name', () => {
  assert.equal(decoderEventEveName(DecoderEvent.IPV4_TRUNC_PKT), 'decoder.ipv4.trunc_pkt');
  assert.equal(decoderEventEveName(0), '');
  assert.equal(decoderEventEveName(9999), '');
});

test('events cover decoder-events.rules names', () => {
  // Every decode-event name of Suricata 8's rules/decoder-events.rules.
  const rulesNames = `ipv4.pkt_too_small ipv4.hlen_too_small ipv4.iplen_smaller_than_hlen ipv4.trunc_pkt ipv4.opt_invalid
ipv4.opt_invalid_len ipv4.opt_malformed ipv4.opt_pad_required ipv4.icmpv6 ipv4.opt_eol_required ipv4.opt_duplicate
ipv4.opt_unknown ipv4.wrong_ip_version ipv6.pkt_too_small ipv6.trunc_pkt ipv6.trunc_exthdr ipv6.exthdr_dupl_fh
ipv6.exthdr_useless_fh ipv6.exthdr_dupl_rh ipv6.exthdr_dupl_hh ipv6.exthdr_dupl_dh ipv6.exthdr_dupl_ah ipv6.exthdr_dupl_eh
ipv6.exthdr_invalid_optlen ipv6.wrong_ip_version ipv6.exthdr_ah_res_not_null ipv6.hopopts_unknown_opt
ipv6.hopopts_only_padding ipv6.dstopts_unknown_opt ipv6.dstopts_only_padding ipv6.rh_type_0 ipv6.zero_len_padn
ipv6.fh_non_zero_reserved_field ipv6.data_after_none_header ipv6.unknown_next_header ipv6.icmpv4 icmpv4.pkt_too_small
icmpv4.unknown_type icmpv4.unknown_code icmpv4.ipv4_trunc_pkt icmpv4.ipv4_unknown_ver icmpv6.pkt_too_small
icmpv6.unknown_type icmpv6.unknown_code icmpv6.ipv6_trunc_pkt icmpv6.ipv6_unknown_version
icmpv6.mld_message_with_invalid_hl icmpv6.unassigned_type icmpv6.experimentation_type tcp.pkt_too_small
tcp.hlen_too_small tcp.invalid_optlen tcp.opt_invalid_len tcp.opt_duplicate udp.pkt_too_small udp.hlen_too_small
udp.len_invalid sll.pkt_too_small ethernet.pkt_too_small ethernet.unknown_ethertype ppp.pkt_too_small
ppp.vju_pkt_too_small ppp.ip4_pkt_too_small ppp.ip6_pkt_too_small ppp.wrong_type ppp.unsup_proto pppoe.pkt_too_small
pppoe.wrong_code pppoe.malformed_tags gre.pkt_too_small gre.wrong_version gre.version0_recur gre.version0_flags
gre.version0_hdr_too_big gre.version1_chksum gre.version1_route gre.version1_ssr gre.version1_recur gre.version1_flags
gre.version1_no_key gre.version1_wrong_protocol gre.version1_malformed_sre_hdr gre.version1_hdr_too_big
vlan.header_too_small vlan.unknown_type vlan.too_many_layers vntag.header_too_small vntag.unknown_type
ieee8021ah.header_too_small etag.header_too_small etag.unknown_type ipraw.invalid_ip_version ipv4.frag_pkt_too_large
ipv4.frag_overlap ipv6.frag_pkt_too_large ipv6.frag_overlap ipv6.frag_invalid_length ipv6.ipv4_in_ipv6_too_small
ipv6.ipv4_in_ipv6_wrong_version ipv6.ipv6_in_ipv6_too_small ipv6.ipv6_in_ipv6_wrong_version mpls.header_too_small
mpls.pkt_too_small mpls.bad_label_router_alert mpls.bad_label_implicit_null mpls.bad_label_reserved
mpls.unknown_payload_type ltnull.pkt_too_small ltnull.unsupported_type erspan.header_too_small
erspan.unsupported_version erspan.too_many_vlan_layers dce.pkt_too_small chdlc.pkt_too_small too_many_layers
afpacket.trunc_pkt igmp.pkt_too_small igmp.v3_pkt_too_small igmp.malformed ipv4.unknown_protocol`.split(/\s+/);
  assert.equal(rulesNames.length, 120);
  for (const name of rulesNames) assert.notEqual(decoderEventId(name), 0, name);
});
