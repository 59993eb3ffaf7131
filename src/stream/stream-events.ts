/**
 * The catalogue of Suricata 8 stream events (the `stream-event:` names of
 * Suricata's stream-events.rules) with kapu's numeric ids. Session tracking
 * (tcp-session.ts) and reassembly record them on the session for the
 * packet that caused them. The `stream-event` keyword matches them, and
 * the pipeline writes them as EVE `anomaly` events (type "stream") and
 * counts them as the stats counters `stream.<name>`.
 *
 * Ids are dense from 1 in the order of the rules file, so a Uint32Array
 * indexed by id can store the counters. Id 0 is unused.
 */

/** Stream event ids. */
export const StreamEvent = {
  THREEWHS_ACK_IN_WRONG_DIR: 1,
  THREEWHS_ASYNC_WRONG_SEQ: 2,
  THREEWHS_RIGHT_SEQ_WRONG_ACK_EVASION: 3,
  THREEWHS_SYNACK_IN_WRONG_DIRECTION: 4,
  THREEWHS_SYNACK_RESEND_WITH_DIFFERENT_ACK: 5,
  THREEWHS_SYNACK_RESEND_WITH_DIFF_SEQ: 6,
  THREEWHS_SYNACK_TOSERVER_ON_SYN_RECV: 7,
  THREEWHS_SYNACK_WITH_WRONG_ACK: 8,
  THREEWHS_SYNACK_FLOOD: 9,
  THREEWHS_SYNACK_TFO_DATA_IGNORED: 10,
  THREEWHS_SYN_FLOOD: 11,
  THREEWHS_SYN_RESEND_DIFF_SEQ_ON_SYN_RECV: 12,
  THREEWHS_SYN_TOCLIENT_ON_SYN_RECV: 13,
  THREEWHS_WRONG_SEQ_WRONG_ACK: 14,
  THREEWHS_ACK_DATA_INJECT: 15,
  FOURWHS_SYNACK_WITH_WRONG_ACK: 16,
  FOURWHS_SYNACK_WITH_WRONG_SYN: 17,
  FOURWHS_WRONG_SEQ: 18,
  FOURWHS_INVALID_ACK: 19,
  CLOSEWAIT_ACK_OUT_OF_WINDOW: 20,
  CLOSEWAIT_FIN_OUT_OF_WINDOW: 21,
  CLOSEWAIT_INVALID_ACK: 22,
  CLOSING_ACK_WRONG_SEQ: 23,
  CLOSING_INVALID_ACK: 24,
  EST_PACKET_OUT_OF_WINDOW: 25,
  EST_SYNACK_RESEND: 26,
  EST_SYNACK_RESEND_WITH_DIFFERENT_ACK: 27,
  EST_SYNACK_RESEND_WITH_DIFF_SEQ: 28,
  EST_SYNACK_TOSERVER: 29,
  EST_SYN_RESEND: 30,
  EST_SYN_RESEND_DIFF_SEQ: 31,
  EST_SYN_TOCLIENT: 32,
  EST_INVALID_ACK: 33,
  FIN_INVALID_ACK: 34,
  FIN1_ACK_WRONG_SEQ: 35,
  FIN1_FIN_WRONG_SEQ: 36,
  FIN1_INVALID_ACK: 37,
  FIN2_ACK_WRONG_SEQ: 38,
  FIN2_FIN_WRONG_SEQ: 39,
  FIN2_INVALID_ACK: 40,
  FIN_BUT_NO_SESSION: 41,
  FIN_OUT_OF_WINDOW: 42,
  LASTACK_ACK_WRONG_SEQ: 43,
  LASTACK_INVALID_ACK: 44,
  RST_BUT_NO_SESSION: 45,
  TIMEWAIT_ACK_WRONG_SEQ: 46,
  TIMEWAIT_INVALID_ACK: 47,
  PKT_INVALID_TIMESTAMP: 48,
  PKT_INVALID_ACK: 49,
  PKT_BROKEN_ACK: 50,
  RST_INVALID_ACK: 51,
  SHUTDOWN_SYN_RESEND: 52,
  REASSEMBLY_SEQ_GAP: 53,
  REASSEMBLY_OVERLAP_DIFFERENT_DATA: 54,
  PKT_BAD_WINDOW_UPDATE: 55,
  SUSPECTED_RST_INJECT: 56,
  EST_PKT_BEFORE_LAST_ACK: 57,
  CLOSEWAIT_PKT_BEFORE_LAST_ACK: 58,
  REASSEMBLY_SEGMENT_BEFORE_BASE_SEQ: 59,
  PKT_RETRANSMISSION: 60,
  WRONG_THREAD: 61,
  FIN_SYN: 62,
  PKT_SPURIOUS_RETRANSMISSION: 63,
  REASSEMBLY_DEPTH_REACHED: 64,
  REASSEMBLY_URGENT_OOB_LIMIT_REACHED: 65,
} as const;

/** Number of stream event ids plus one (id 0 is unused): the length of a counter array. */
export const STREAM_EVENT_ID_LIMIT = 66;

/** Event names by id, as rules and EVE write them; index 0 is "". */
export const STREAM_EVENT_NAMES: readonly string[] = [
  '',
  '3whs_ack_in_wrong_dir',
  '3whs_async_wrong_seq',
  '3whs_right_seq_wrong_ack_evasion',
  '3whs_synack_in_wrong_direction',
  '3whs_synack_resend_with_different_ack',
  '3whs_synack_resend_with_diff_seq',
  '3whs_synack_toserver_on_syn_recv',
  '3whs_synack_with_wrong_ack',
  '3whs_synack_flood',
  '3whs_synack_tfo_data_ignored',
  '3whs_syn_flood',
  '3whs_syn_resend_diff_seq_on_syn_recv',
  '3whs_syn_toclient_on_syn_recv',
  '3whs_wrong_seq_wrong_ack',
  '3whs_ack_data_inject',
  '4whs_synack_with_wrong_ack',
  '4whs_synack_with_wrong_syn',
  '4whs_wrong_seq',
  '4whs_invalid_ack',
  'closewait_ack_out_of_window',
  'closewait_fin_out_of_window',
  'closewait_invalid_ack',
  'closing_ack_wrong_seq',
  'closing_invalid_ack',
  'est_packet_out_of_window',
  'est_synack_resend',
  'est_synack_resend_with_different_ack',
  'est_synack_resend_with_diff_seq',
  'est_synack_toserver',
  'est_syn_resend',
  'est_syn_resend_diff_seq',
  'est_syn_toclient',
  'est_invalid_ack',
  'fin_invalid_ack',
  'fin1_ack_wrong_seq',
  'fin1_fin_wrong_seq',
  'fin1_invalid_ack',
  'fin2_ack_wrong_seq',
  'fin2_fin_wrong_seq',
  'fin2_invalid_ack',
  'fin_but_no_session',
  'fin_out_of_window',
  'lastack_ack_wrong_seq',
  'lastack_invalid_ack',
  'rst_but_no_session',
  'timewait_ack_wrong_seq',
  'timewait_invalid_ack',
  'pkt_invalid_timestamp',
  'pkt_invalid_ack',
  'pkt_broken_ack',
  'rst_invalid_ack',
  'shutdown_syn_resend',
  'reassembly_seq_gap',
  'reassembly_overlap_different_data',
  'pkt_bad_window_update',
  'suspected_rst_inject',
  'est_pkt_before_last_ack',
  'closewait_pkt_before_last_ack',
  'reassembly_segment_before_base_seq',
  'pkt_retransmission',
  'wrong_thread',
  'fin_syn',
  'pkt_spurious_retransmission',
  'reassembly_depth_reached',
  'reassembly_urgent_oob_limit_reached',
];

const idsByName = new Map<string, number>();
for (let id = 1; id < STREAM_EVENT_NAMES.length; id++) idsByName.set(STREAM_EVENT_NAMES[id], id);

/** Returns the id of the stream event `name` (without the `stream.` prefix), or 0 when unknown. */
export function streamEventId(name: string): number {
  return idsByName.get(name) ?? 0;
}

/** Returns the stats counter name of a stream event, e.g. `stream.pkt_invalid_ack`. */
export function streamEventCounterName(id: number): string {
  return 'stream.' + STREAM_EVENT_NAMES[id];
}

/**
 * Returns the EVE `anomaly.event` value of a stream event (`anomaly.type`
 * is "stream"), e.g. `stream.reassembly_depth_reached`: the same text as
 * the stats counter.
 */
export function streamEventEveName(id: number): string {
  return 'stream.' + STREAM_EVENT_NAMES[id];
}
