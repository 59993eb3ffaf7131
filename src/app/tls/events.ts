/**
 * TLS app-layer events, as `app-layer-event:tls.<name>` names them in
 * Suricata's rules/tls-events.rules. The ids index TLS_EVENT_NAMES.
 */
export const TlsEvent = {
  INVALID_SSLV2_HEADER: 0,
  INVALID_TLS_HEADER: 1,
  INVALID_RECORD_VERSION: 2,
  INVALID_RECORD_TYPE: 3,
  INVALID_HANDSHAKE_MESSAGE: 4,
  INVALID_CERTIFICATE: 5,
  CERTIFICATE_INVALID_LENGTH: 6,
  ERROR_MESSAGE_ENCOUNTERED: 7,
  INVALID_SSL_RECORD: 8,
  HEARTBEAT_MESSAGE: 9,
  OVERFLOW_HEARTBEAT_MESSAGE: 10,
  INVALID_HEARTBEAT_MESSAGE: 11,
  DATALEAK_HEARTBEAT_MISMATCH: 12,
  MULTIPLE_SNI_EXTENSIONS: 13,
  INVALID_SNI_TYPE: 14,
  INVALID_SNI_LENGTH: 15,
  HANDSHAKE_INVALID_LENGTH: 16,
  TOO_MANY_RECORDS_IN_PACKET: 17,
  CERTIFICATE_INVALID_VERSION: 18,
  CERTIFICATE_INVALID_SERIAL: 19,
  CERTIFICATE_INVALID_ALGORITHMIDENTIFIER: 20,
  CERTIFICATE_INVALID_X509NAME: 21,
  CERTIFICATE_INVALID_DATE: 22,
  CERTIFICATE_INVALID_EXTENSIONS: 23,
  CERTIFICATE_INVALID_DER: 24,
  CERTIFICATE_INVALID_SUBJECT: 25,
  CERTIFICATE_INVALID_ISSUER: 26,
  CERTIFICATE_INVALID_VALIDITY: 27,
  INVALID_ALERT_MESSAGE: 28,
} as const;

/** Event names by id, as rules write them after `tls.`. */
export const TLS_EVENT_NAMES: readonly string[] = [
  'invalid_sslv2_header',
  'invalid_tls_header',
  'invalid_record_version',
  'invalid_record_type',
  'invalid_handshake_message',
  'invalid_certificate',
  'certificate_invalid_length',
  'error_message_encountered',
  'invalid_ssl_record',
  'heartbeat_message',
  'overflow_heartbeat_message',
  'invalid_heartbeat_message',
  'dataleak_heartbeat_mismatch',
  'multiple_sni_extensions',
  'invalid_sni_type',
  'invalid_sni_length',
  'handshake_invalid_length',
  'too_many_records_in_packet',
  'certificate_invalid_version',
  'certificate_invalid_serial',
  'certificate_invalid_algorithmidentifier',
  'certificate_invalid_x509name',
  'certificate_invalid_date',
  'certificate_invalid_extensions',
  'certificate_invalid_der',
  'certificate_invalid_subject',
  'certificate_invalid_issuer',
  'certificate_invalid_validity',
  'invalid_alert_message',
];

/** Returns the id of a TLS event name, or -1 when the name is unknown. */
export function findTlsEvent(name: string): number {
  return TLS_EVENT_NAMES.indexOf(name);
}
