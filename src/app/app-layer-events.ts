/**
 * Generic app-layer events of Suricata, raised by protocol detection
 * rather than by a protocol's parser. Rules match them with
 * `app-layer-event:<name>` (no protocol prefix), on the packet that raised
 * them, and EVE writes them as anomaly events of layer `proto_detect`.
 */
// NOTE: only applayer_mismatch_protocol_both_directions is raised. The
// other names load in rules so that Suricata's app-layer-events.rules
// loads, but kapu's protocol detection never raises them.

/** Event bits, as Packet.appLayerEvents stores them. */
export const AppLayerEvent = {
  /** The two directions of a flow were detected as different protocols. */
  MISMATCH_PROTOCOL_BOTH_DIRECTIONS: 1 << 0,
  WRONG_DIRECTION_FIRST_DATA: 1 << 1,
  DETECT_PROTOCOL_ONLY_ONE_DIRECTION: 1 << 2,
  PROTO_DETECTION_SKIPPED: 1 << 3,
  NO_TLS_AFTER_STARTTLS: 1 << 4,
  UNEXPECTED_PROTOCOL: 1 << 5,
} as const;

/** Event names as rules write them, by bit position. */
export const APP_LAYER_EVENT_NAMES: readonly string[] = [
  'applayer_mismatch_protocol_both_directions',
  'applayer_wrong_direction_first_data',
  'applayer_detect_protocol_only_one_direction',
  'applayer_proto_detection_skipped',
  'applayer_no_tls_after_starttls',
  'applayer_unexpected_protocol',
];

/** Returns the bit of event `name`, or 0 when the name is not a generic app-layer event. */
export function appLayerEventBit(name: string): number {
  const index = APP_LAYER_EVENT_NAMES.indexOf(name);
  return index < 0 ? 0 : 1 << index;
}
