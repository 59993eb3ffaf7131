/**
 * DNS app-layer events, as `app-layer-event:dns.<name>` names them in
 * Suricata's rules/dns-events.rules. The ids index DNS_EVENT_NAMES.
 */
export const DnsEvent = {
  MALFORMED_DATA: 0,
  NOT_REQUEST: 1,
  NOT_RESPONSE: 2,
  Z_FLAG_SET: 3,
  INVALID_OPCODE: 4,
  NAME_TOO_LONG: 5,
  INFINITE_LOOP: 6,
  TOO_MANY_LABELS: 7,
  INVALID_ADDITIONALS: 8,
  INVALID_AUTHORITIES: 9,
  /**
   * kapu's own event: the flow reached MAX_DNS_TRANSACTIONS and the oldest
   * transaction was dropped. Suricata has no DNS event for this.
   */
  TOO_MANY_TRANSACTIONS: 10,
} as const;

/** Event names by id, as rules write them after `dns.`. */
export const DNS_EVENT_NAMES: readonly string[] = [
  'malformed_data',
  'not_request',
  'not_response',
  'z_flag_set',
  'invalid_opcode',
  'name_too_long',
  'infinite_loop',
  'too_many_labels',
  'invalid_additionals',
  'invalid_authorities',
  'too_many_transactions',
];

/**
 * Older names that rules still use: Suricata 6 called the QR-bit events
 * not_a_request and not_a_response.
 */
const DNS_EVENT_ALIASES: Readonly<Record<string, number>> = {
  not_a_request: DnsEvent.NOT_REQUEST,
  not_a_response: DnsEvent.NOT_RESPONSE,
};

/** Returns the id of a DNS event name or alias, or -1 when the name is unknown. */
export function findDnsEvent(name: string): number {
  const id = DNS_EVENT_NAMES.indexOf(name);
  if (id >= 0) return id;
  return Object.hasOwn(DNS_EVENT_ALIASES, name) ? DNS_EVENT_ALIASES[name] : -1;
}
