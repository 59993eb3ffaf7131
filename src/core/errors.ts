/**
 * The catalogue of kapu's error codes. Every code reads
 * KAPU_ERR_<AREA>_<PROBLEM> and is documented in docs/errors.md; a retired
 * code is never reused. Thrown errors carry a code; rule and config problems
 * are usually collected as diagnostics and rendered later.
 */

export const ErrorCode = {
  // --- capture ---
  CAPTURE_OPEN_FAILED: 'KAPU_ERR_CAPTURE_OPEN_FAILED',
  CAPTURE_BAD_FORMAT: 'KAPU_ERR_CAPTURE_BAD_FORMAT',
  CAPTURE_TRUNCATED: 'KAPU_ERR_CAPTURE_TRUNCATED',
  /** The native addon for NFQUEUE and AF_PACKET is not built or does not load. */
  CAPTURE_NATIVE_ADDON_MISSING: 'KAPU_ERR_CAPTURE_NATIVE_ADDON_MISSING',
  /** A live capture or a queue cannot be opened or read. */
  CAPTURE_LIVE_FAILED: 'KAPU_ERR_CAPTURE_LIVE_FAILED',

  // --- rules ---
  RULE_SYNTAX: 'KAPU_ERR_RULE_SYNTAX',
  RULE_UNKNOWN_KEYWORD: 'KAPU_ERR_RULE_UNKNOWN_KEYWORD',
  RULE_BAD_VALUE: 'KAPU_ERR_RULE_BAD_VALUE',
  RULE_UNSUPPORTED: 'KAPU_ERR_RULE_UNSUPPORTED',
  RULE_MISSING_OPTION: 'KAPU_ERR_RULE_MISSING_OPTION',
  RULE_BAD_VARIABLE: 'KAPU_ERR_RULE_BAD_VARIABLE',
  RULE_DUPLICATE_SID: 'KAPU_ERR_RULE_DUPLICATE_SID',
  RULE_FILE_NOT_READABLE: 'KAPU_ERR_RULE_FILE_NOT_READABLE',
  RULE_FLOWBIT_NEVER_SET: 'KAPU_ERR_RULE_FLOWBIT_NEVER_SET',
  /** A `requires` option that the engine does not meet: the rule is skipped (a warning). */
  RULE_REQUIREMENT_NOT_MET: 'KAPU_ERR_RULE_REQUIREMENT_NOT_MET',
  // payload keywords (content, pcre, byte_*, isdataat)
  RULE_NO_PREVIOUS_CONTENT: 'KAPU_ERR_RULE_NO_PREVIOUS_CONTENT',
  RULE_CONFLICTING_OPTIONS: 'KAPU_ERR_RULE_CONFLICTING_OPTIONS',
  RULE_UNKNOWN_VARIABLE: 'KAPU_ERR_RULE_UNKNOWN_VARIABLE',
  RULE_REGEX_NOT_SUPPORTED: 'KAPU_ERR_RULE_REGEX_NOT_SUPPORTED',

  // --- rules update ---
  /** A source of `kapu rules update` cannot be downloaded or read, its archive is broken or its checksum differs. */
  UPDATE_SOURCE_FAILED: 'KAPU_ERR_UPDATE_SOURCE_FAILED',
  /** The merged ruleset of `kapu rules update` cannot be written. */
  UPDATE_WRITE_FAILED: 'KAPU_ERR_UPDATE_WRITE_FAILED',

  // --- config ---
  CONFIG_INVALID: 'KAPU_ERR_CONFIG_INVALID',
  CONFIG_NOT_FOUND: 'KAPU_ERR_CONFIG_NOT_FOUND',

  // --- output ---
  OUTPUT_OPEN_FAILED: 'KAPU_ERR_OUTPUT_OPEN_FAILED',

  // --- cli ---
  CLI_BAD_ARGUMENT: 'KAPU_ERR_CLI_BAD_ARGUMENT',
  /** The control socket of a live run (unix-command) cannot be opened. */
  CONTROL_SOCKET_FAILED: 'KAPU_ERR_CONTROL_SOCKET_FAILED',

  // --- quarantine ---
  /** An address or prefix given to the quarantine is invalid. */
  QUARANTINE_BAD_ADDRESS: 'KAPU_ERR_QUARANTINE_BAD_ADDRESS',
  /** A quarantine of a never-block address without --force, or one that overlaps a quarantined prefix. */
  QUARANTINE_REFUSED: 'KAPU_ERR_QUARANTINE_REFUSED',
  /** The nft command failed to change the quarantine table. */
  QUARANTINE_FIREWALL_FAILED: 'KAPU_ERR_QUARANTINE_FIREWALL_FAILED',
  /** The quarantine database cannot be opened, read or written. */
  QUARANTINE_STORE_FAILED: 'KAPU_ERR_QUARANTINE_STORE_FAILED',
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every error kapu throws on purpose. */
export class KapuError extends Error {
  readonly code: ErrorCodeValue;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KapuError';
    this.code = code;
  }
}

/** A capture file that cannot be opened or read. */
export class CaptureError extends KapuError {
  override name = 'CaptureError';
}

/** A configuration that cannot be loaded; `problems` lists every issue found. */
export class ConfigError extends KapuError {
  override name = 'ConfigError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(ErrorCode.CONFIG_INVALID, problems.join('\n'));
    this.problems = problems;
  }
}

/** A bad command-line argument (exit status 2). */
export class UsageError extends KapuError {
  override name = 'UsageError';

  constructor(message: string) {
    super(ErrorCode.CLI_BAD_ARGUMENT, message);
  }
}
