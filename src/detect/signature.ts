/**
 * The compiled form of a rule and the contracts between the rule parser,
 * the keywords and the detection engine.
 *
 * The parser (rule-parser.ts) reads the header and splits the options; for
 * each option it looks the keyword up in the registry (keywords/registry.ts)
 * and calls its `setup`, which appends matchers to the signature through a
 * SignatureBuilder, as Suricata's keyword Setup functions do. Sticky-buffer
 * keywords (`http.uri`, `pkt_data`, ...) switch the buffer that later
 * payload keywords attach to; modifiers (`nocase`, `depth`, ...) change the
 * last content of the current buffer.
 */
import type { Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';

/** Rule actions, in Suricata's default action order (lower runs first). */
export const Action = {
  PASS: 0,
  DROP: 1,
  REJECT: 2,
  REJECTSRC: 3,
  REJECTDST: 4,
  REJECTBOTH: 5,
  ALERT: 6,
} as const;
export type ActionId = (typeof Action)[keyof typeof Action];

/** Rule header directions: `->`, `<>` (both ways). */
export const RuleDirection = {
  ONE_WAY: 0,
  BOTH: 1,
} as const;

/**
 * Bits of the `flow:` keyword. A signature with any of these bits only
 * matches packets whose flow satisfies all of them.
 */
export const FlowFlag = {
  TO_SERVER: 0x01,
  TO_CLIENT: 0x02,
  ESTABLISHED: 0x04,
  NOT_ESTABLISHED: 0x08,
  STATELESS: 0x10,
  ONLY_STREAM: 0x20,
  NO_STREAM: 0x40,
  ONLY_FRAG: 0x80,
  NO_FRAG: 0x100,
} as const;

/**
 * A matcher evaluated once per packet (header keywords such as `ttl`,
 * `flags`, `dsize`, `flowbits:isset`). Implementations are small classes
 * whose fields are set at load time; `match` must not allocate.
 */
export interface PacketMatcher {
  /** Keyword name, for diagnostics and `explain`. */
  readonly keyword: string;
  match(p: Packet, flow: Flow | null, ctx: DetectThreadContext): boolean;
}

/**
 * A matcher that runs after the signature matched, before the alert is
 * raised (`flowbits:set`, `flowint` assignment, `tag`). Returning false
 * suppresses the alert, as `flowbits:noalert` and `noalert` do.
 */
export interface PostMatcher {
  readonly keyword: string;
  apply(p: Packet, flow: Flow | null, ctx: DetectThreadContext): boolean;
}

/**
 * One keyword of a buffer's inspection chain (content, pcre, byte_test,
 * isdataat, bsize, ...). The inspection engine (inspect.ts) defines the
 * concrete shapes; the parser only stores them in order.
 */
export interface InspectionMatch {
  readonly keyword: string;
}

/**
 * One transform of a sticky buffer (`to_lowercase`, `xor`, ...). It rewrites
 * the buffer's bytes before the buffer's keywords and its prefilter see them.
 */
export interface BufferTransform {
  readonly keyword: string;
  /** Returns the largest output length `apply` can produce for `inputLength` input bytes. */
  maxOutputLength(inputLength: number): number;
  /**
   * Writes the transform of input[start, start + length) to out[0, ...) and
   * returns the output length, or -1 when the result counts as no buffer
   * (base64_decode that decodes nothing).
   */
  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number;
  /**
   * Checks a content pattern that follows the transform at load time.
   * Returns why the pattern can never match the transformed bytes, or null.
   */
  checkContent(pattern: Uint8Array): string | null;
}

/** The transforms of one buffer instance: the buffer they read and the steps, in rule order. */
export interface BufferTransforms {
  /** Name of the buffer whose bytes the first transform reads (`http.uri`, `pkt_data`). */
  readonly source: string;
  readonly steps: readonly BufferTransform[];
  /**
   * Keywords of the source buffer that must match first (`base64_decode:relative`).
   * The first step then reads from the end of their match, and the buffer is
   * absent when they do not match. Absent when the first step reads the whole source.
   */
  readonly anchor?: readonly InspectionMatch[];
  /**
   * Steps that run before the anchor keywords, which then inspect their
   * output (`url_decode; content:"a="; base64_decode:relative`). Absent
   * or 0 when the anchor inspects the source.
   */
  readonly anchorStep?: number;
}

/** The inspection chain of one buffer of a signature, in rule order. */
export interface BufferInspection {
  /**
   * Buffer name as the rule writes it in canonical form (`pkt_data`,
   * `http.uri`). A transformed buffer gets its own name, the source name
   * followed by its transforms (`http.uri|to_lowercase`).
   */
  readonly buffer: string;
  readonly matches: InspectionMatch[];
  /** Transforms applied to the source buffer before `matches` run; absent when none. */
  transforms?: BufferTransforms;
  /**
   * Message the buffer is read from (0 request, 1 response) when the rule
   * names it (`http.connection: to_client;`); absent when the buffer's
   * keyword or the rule's direction decides.
   */
  direction?: number;
  /** AbsentMode of the `absent` keyword; absent when the rule has none for this buffer. */
  absentMode?: number;
}

/**
 * Modes of the `absent` keyword (Suricata 8). ONLY: the buffer matches
 * when the transaction does not have it. OR_ELSE: it also matches when
 * the buffer exists and its keywords match.
 */
export const AbsentMode = {
  ONLY: 1,
  OR_ELSE: 2,
} as const;

/** A diagnostic about one rule, kept as data and rendered by the CLI. */
export interface RuleDiagnostic {
  severity: 'error' | 'warning';
  /** KAPU_ERR_RULE_* code from core/errors.ts. */
  code: string;
  file: string;
  /** 1-based line and column of the offending text on its physical line. */
  line: number;
  column: number;
  /** Length of the offending text, for the caret line. */
  length: number;
  sid: number | null;
  keyword: string | null;
  /** The physical line, for the caret display. */
  text: string;
  message: string;
}

/** threshold / detection_filter settings of a signature. */
export interface ThresholdSpec {
  kind: 'limit' | 'threshold' | 'both' | 'backoff' | 'detection_filter';
  track: 'by_src' | 'by_dst' | 'by_rule' | 'by_both' | 'by_flow';
  count: number;
  /** Time window in seconds; 0 for `backoff`, which has none. */
  seconds: number;
  /** `backoff` only: the factor between alerting match counts (count, count*m, count*m*m, ...). */
  multiplier?: number;
  /** detection_filter `unique_on`: count distinct source or destination ports instead of matches. */
  uniqueOn?: 'src_port' | 'dst_port';
}

/** A rule after parsing and setup. */
/** Changes the policy section made to one rule as it loaded (src/policy/rule-policy.ts). */
export interface SignaturePolicyNote {
  /** ActionId the rule had before policy.shadow made it alert-only, or -1 when it is not shadowed. */
  shadowedAction: number;
  /** Key path of the policy.shadow entry that selects the rule (`policy.shadow[0]`), or null. */
  shadowKey: string | null;
  /** Key path of the rule filter that set the rule's action (`policy.drop[1]`), or null. */
  filterKey: string | null;
}

export interface Signature {
  /** Position in the loaded ruleset, used as a dense index. */
  id: number;
  action: ActionId;
  gid: number;
  sid: number;
  rev: number;
  msg: string;
  classtype: string | null;
  /** Priority from `priority:` or the classtype, 3 when neither sets it. */
  priority: number;
  /** Description of the classtype, for EVE `alert.category`; "" when none. */
  category: string;
  references: string[];
  /** `metadata` entries as written, for EVE `alert.metadata`. */
  metadata: string[];
  /** `target:src_ip|dest_ip`, or null. */
  target: 'src_ip' | 'dest_ip' | null;

  /** Header protocol as written (`tcp`, `ip`, `tcp-pkt`, `http`, ...), without its hook. */
  proto: string;
  /**
   * Explicit rule hook of the header (`flow_start` of `tcp:flow_start`,
   * Suricata 8); absent when the header names none. rule-hooks.ts turns it
   * into a matcher.
   */
  hook?: string;
  src: AddressMatcher;
  srcPorts: PortMatcher;
  dst: AddressMatcher;
  dstPorts: PortMatcher;
  direction: number;

  /** FlowFlag bits from `flow:`, 0 when the rule has none. */
  flowFlags: number;
  /** Header matchers, evaluated before any buffer. */
  packetMatches: PacketMatcher[];
  /** One entry per inspected buffer, in the order the rule names them. */
  buffers: BufferInspection[];
  /** Run after a match, in rule order. */
  postMatches: PostMatcher[];
  threshold: ThresholdSpec | null;
  detectionFilter: ThresholdSpec | null;
  /** True for `noalert` and `flowbits:noalert`: match effects apply, no alert. */
  isNoAlert: boolean;
  /**
   * True for a pass rule with the `alert` keyword (Suricata 8): the pass
   * also raises an alert. Absent or false otherwise.
   */
  hasAlertKeyword?: boolean;
  /**
   * True for `config: logging disable, type tx, scope tx`: a match keeps
   * the matched transaction out of the protocol log. Absent or false otherwise.
   */
  disablesTxLogging?: boolean;
  /**
   * True for a `=>` header (Suricata 8's transactional rules): the rule
   * inspects a transaction's request and response buffers together, and
   * its header names the client as source. Absent or false otherwise.
   */
  isTransactional?: boolean;

  /**
   * What the policy changed about the rule at load (shadow mode, a rule
   * filter that set its action), for the alert's `kapu` object and the
   * shadow counters; null when nothing.
   */
  policyNote?: SignaturePolicyNote | null;

  /** Where the rule came from, and its text. */
  file: string;
  line: number;
  text: string;
}

/** Address part of a rule header, compiled. */
export interface AddressMatcher {
  /** True for `any`: skip the check. */
  readonly isAny: boolean;
  matchV4(addr: number): boolean;
  matchV6(addr: Uint8Array): boolean;
}

/** Port part of a rule header, compiled. */
export interface PortMatcher {
  readonly isAny: boolean;
  match(port: number): boolean;
  /**
   * The matched ports as sorted, inclusive [low, high] pairs, when the
   * matcher can list them. Rule grouping then skips calling `match` for
   * every port number.
   */
  readonly ranges?: readonly (readonly [number, number])[];
}

/**
 * What a keyword's `setup` works on while one rule is being parsed. The
 * parser implements it; diagnostics point at the current option's value.
 */
export interface SignatureBuilder {
  readonly sig: Signature;
  /**
   * Selects the buffer that following payload keywords inspect. `pkt_data`
   * selects the packet payload (or the stream for stream rules).
   * `direction` (0 request, 1 response) selects the instance of a buffer
   * that both messages have, as `http.connection: to_client;` does.
   */
  selectBuffer(buffer: string, direction?: number): void;
  /** Name of the buffer currently selected (`pkt_data` until a sticky buffer is named). */
  readonly currentBuffer: string;
  /** The inspection chain of the current buffer, created on first use. */
  currentMatches(): InspectionMatch[];
  /** The most recent InspectionMatch of any buffer whose keyword is in `keywords`, or null. */
  lastMatch(keywords: readonly string[]): InspectionMatch | null;
  addPacketMatch(m: PacketMatcher): void;
  addPostMatch(m: PostMatcher): void;
  /**
   * Records a problem with the current option and fails the rule (errors)
   * or only reports it (warnings). `offset` and `length` narrow the caret to
   * part of the value.
   */
  error(code: string, message: string, offset?: number, length?: number): void;
  warning(code: string, message: string, offset?: number, length?: number): void;
  /**
   * Skips the rule without failing it, as Suricata skips a rule whose
   * `requires` is not met: the message is reported as a warning and no
   * signature is built.
   */
  skip(code: string, message: string): void;
  /**
   * The Suricata version that `requires: version` is judged against, as
   * major, minor, patch; absent for the version kapu follows.
   */
  readonly requiresVersion?: readonly number[] | undefined;
  /** Id of a named flowbit, flowint, flow variable, xbit or hostbit, allocated at load. */
  variableId(kind: 'flowbit' | 'flowint' | 'flowvar' | 'xbit' | 'hostbit', name: string): number;
}

/** A rule keyword: its name and how it attaches itself to a signature. */
export interface KeywordDef {
  name: string;
  aliases?: readonly string[];
  /** One-line description, printed by `kapu rules keywords`. */
  description: string;
  /** Anchor in Suricata's rule documentation, e.g. `payload-keywords.html#content`. */
  docsAnchor: string;
  /** Whether the keyword takes a value (`content:"x"`) or none (`nocase`). */
  value: 'none' | 'required' | 'optional';
  /**
   * Parses `value` (already unquoted only when the keyword asks for it, see
   * rule-parser.ts) and appends matchers through `b`. Reports problems with
   * `b.error`; never throws on bad input.
   */
  setup(b: SignatureBuilder, value: string): void;
}

/**
 * Per-thread scratch state of the detection engine, reused between packets:
 * byte_extract variables, the current buffer position, alert queue.
 */
export interface DetectThreadContext {
  /** Values captured by byte_extract / byte_math in the current signature, by variable index. */
  byteVars: Float64Array;
}
