/**
 * App-layer events of the HTTP/1.x parser, matched by the rule keyword
 * `app-layer-event:http.<name>`. The first block keeps Suricata 8's names
 * and order (rules/http-events.rules); ids are this module's own. The
 * events after it are kapu's, for limits that Suricata counts without an
 * event of the http family.
 */

/** Event ids by constant name. */
export const HttpEvent = {
  UNKNOWN_ERROR: 0,
  GZIP_DECOMPRESSION_FAILED: 1,
  REQUEST_FIELD_MISSING_COLON: 2,
  RESPONSE_FIELD_MISSING_COLON: 3,
  INVALID_REQUEST_CHUNK_LEN: 4,
  INVALID_RESPONSE_CHUNK_LEN: 5,
  INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST: 6,
  INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE: 7,
  INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST: 8,
  INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE: 9,
  CONTINUE_ALREADY_SEEN: 10,
  UNABLE_TO_MATCH_RESPONSE_TO_REQUEST: 11,
  INVALID_SERVER_PORT_IN_REQUEST: 12,
  INVALID_AUTHORITY_PORT: 13,
  REQUEST_HEADER_INVALID: 14,
  RESPONSE_HEADER_INVALID: 15,
  MISSING_HOST_HEADER: 16,
  HOST_HEADER_AMBIGUOUS: 17,
  INVALID_REQUEST_FIELD_FOLDING: 18,
  INVALID_RESPONSE_FIELD_FOLDING: 19,
  REQUEST_FIELD_TOO_LONG: 20,
  RESPONSE_FIELD_TOO_LONG: 21,
  MULTIPART_GENERIC_ERROR: 22,
  MULTIPART_NO_FILEDATA: 23,
  MULTIPART_INVALID_HEADER: 24,
  REQUEST_SERVER_PORT_TCP_PORT_MISMATCH: 25,
  REQUEST_URI_HOST_INVALID: 26,
  REQUEST_HEADER_HOST_INVALID: 27,
  URI_DELIM_NON_COMPLIANT: 28,
  METHOD_DELIM_NON_COMPLIANT: 29,
  REQUEST_LINE_LEADING_WHITESPACE: 30,
  TOO_MANY_ENCODING_LAYERS: 31,
  ABNORMAL_CE_HEADER: 32,
  REQUEST_AUTH_UNRECOGNIZED: 33,
  REQUEST_HEADER_REPETITION: 34,
  RESPONSE_HEADER_REPETITION: 35,
  RESPONSE_MULTIPART_BYTERANGES: 36,
  RESPONSE_ABNORMAL_TRANSFER_ENCODING: 37,
  RESPONSE_CHUNKED_OLD_PROTO: 38,
  RESPONSE_INVALID_PROTOCOL: 39,
  RESPONSE_INVALID_STATUS: 40,
  REQUEST_LINE_INCOMPLETE: 41,
  DOUBLE_ENCODED_URI: 42,
  REQUEST_LINE_INVALID: 43,
  REQUEST_BODY_UNEXPECTED: 44,
  LZMA_MEMLIMIT_REACHED: 45,
  DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST: 46,
  DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE: 47,
  COMPRESSION_BOMB: 48,
  TOO_MANY_WARNINGS: 49,
  RANGE_INVALID: 50,
  FILE_NAME_TOO_LONG: 51,
  FAILED_PROTOCOL_CHANGE: 52,
  REQUEST_CHUNK_EXTENSION: 53,
  REQUEST_LINE_MISSING_PROTOCOL: 54,
  REQUEST_TOO_MANY_HEADERS: 55,
  RESPONSE_TOO_MANY_HEADERS: 56,
  RESPONSE_CHUNK_EXTENSION: 57,
  COMPRESSION_BOMB_LIMIT_REACHED: 58,
  // kapu limits.
  TOO_MANY_TRANSACTIONS: 59,
  REQUEST_BODY_LIMIT_REACHED: 60,
  RESPONSE_BODY_LIMIT_REACHED: 61,
} as const;

/** Rule-side names (`app-layer-event:http.<name>`), indexed by event id. */
export const HTTP_EVENT_NAMES: readonly string[] = [
  'unknown_error',
  'gzip_decompression_failed',
  'request_field_missing_colon',
  'response_field_missing_colon',
  'invalid_request_chunk_len',
  'invalid_response_chunk_len',
  'invalid_transfer_encoding_value_in_request',
  'invalid_transfer_encoding_value_in_response',
  'invalid_content_length_field_in_request',
  'invalid_content_length_field_in_response',
  '100_continue_already_seen',
  'unable_to_match_response_to_request',
  'invalid_server_port_in_request',
  'invalid_authority_port',
  'request_header_invalid',
  'response_header_invalid',
  'missing_host_header',
  'host_header_ambiguous',
  'invalid_request_field_folding',
  'invalid_response_field_folding',
  'request_field_too_long',
  'response_field_too_long',
  'multipart_generic_error',
  'multipart_no_filedata',
  'multipart_invalid_header',
  'request_server_port_tcp_port_mismatch',
  'request_uri_host_invalid',
  'request_header_host_invalid',
  'uri_delim_non_compliant',
  'method_delim_non_compliant',
  'request_line_leading_whitespace',
  'too_many_encoding_layers',
  'abnormal_ce_header',
  'request_auth_unrecognized',
  'request_header_repetition',
  'response_header_repetition',
  'response_multipart_byteranges',
  'response_abnormal_transfer_encoding',
  'response_chunked_old_proto',
  'response_invalid_protocol',
  'response_invalid_status',
  'request_line_incomplete',
  'double_encoded_uri',
  'request_line_invalid',
  'request_body_unexpected',
  'lzma_memlimit_reached',
  'duplicate_content_length_field_in_request',
  'duplicate_content_length_field_in_response',
  'compression_bomb',
  'too_many_warnings',
  'range_invalid',
  'file_name_too_long',
  'failed_protocol_change',
  'request_chunk_extension',
  'request_line_missing_protocol',
  'request_too_many_headers',
  'response_too_many_headers',
  'response_chunk_extension',
  'compression_bomb_limit_reached',
  'too_many_transactions',
  'request_body_limit_reached',
  'response_body_limit_reached',
];

/** Number of event ids. */
export const HTTP_EVENT_COUNT = HTTP_EVENT_NAMES.length;

const IDS_BY_NAME: ReadonlyMap<string, number> = new Map(HTTP_EVENT_NAMES.map((name, id) => [name, id]));

/** Returns the id of a rule-side event name, or -1 when the name is unknown. */
export function httpEventId(name: string): number {
  return IDS_BY_NAME.get(name) ?? -1;
}

/** Returns the name EVE `anomaly.event` shows for an event: the upper-case form. */
export function httpEventEveName(id: number): string {
  return HTTP_EVENT_NAMES[id].toUpperCase();
}
