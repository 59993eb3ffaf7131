/**
 * Parses one rule into a Signature: the header
 * `action proto src sport dir dst dport` and the options in parentheses.
 *
 * Each option is looked up in the keyword registry and handed to the
 * keyword's `setup` with its value as written, without the blanks around
 * it. Quotes and escapes are kept: keywords that take a quoted string call
 * `unquoteValue` from rule-lexer.ts, and payload keywords read their own
 * escapes. Messages that a keyword reports through `b.error` get the
 * keyword name put in front (`ttl: '300' is above the maximum 255`).
 *
 * A rule becomes a signature only when every option parsed and is
 * enforced; otherwise every problem found is returned as a diagnostic.
 */
import { ErrorCode } from '../core/errors.js';
import type { AddressCompiler, CompiledAddress } from './address.js';
import { isCompiledAddress } from './address.js';
import type { ClassificationTable } from './classification.js';
import type { ExpressionError } from './header-expression.js';
import { APP_LAYER_PROTOCOLS, KEYWORDS, SURICATA_KEYWORD_NAMES } from './keywords/registry.js';
import type { PortCompiler, CompiledPorts } from './port.js';
import { isCompiledPorts } from './port.js';
import { resolveHook } from './rule-hooks.js';
import { locateOffset, RULE_ACTIONS, splitHeader, splitOptions, type LogicalRule, type RuleOption } from './rule-lexer.js';
import {
  AbsentMode,
  Action,
  RuleDirection,
  type ActionId,
  type BufferInspection,
  type InspectionMatch,
  type KeywordDef,
  type PacketMatcher,
  type PostMatcher,
  type RuleDiagnostic,
  type Signature,
  type SignatureBuilder,
} from './signature.js';

/** Header protocols that kapu runs. */
/** App-layer protocols whose parsers kapu runs, so rules may name them in the header. */
export const SUPPORTED_APP_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'http1', 'dns', 'tls', 'ssl', 'ssh']);

export const PACKET_PROTOCOLS: ReadonlySet<string> = new Set([
  'ip',
  'ipv4',
  'ip4',
  'ipv6',
  'ip6',
  'tcp',
  'udp',
  'icmp',
  'icmpv4',
  'icmpv6',
  'sctp',
  'igmp',
  'pkthdr',
  'tcp-pkt',
  'tcp-stream',
  'ether',
  'arp',
]);

const ACTION_IDS: Record<string, ActionId> = {
  alert: Action.ALERT,
  pass: Action.PASS,
  drop: Action.DROP,
  reject: Action.REJECT,
  rejectsrc: Action.REJECTSRC,
  rejectdst: Action.REJECTDST,
  rejectboth: Action.REJECTBOTH,
  // Suricata documents the config action as alert with noalert: the
  // rule's effects apply and it raises no alert.
  config: Action.ALERT,
};

/** Keywords that a rule may give only once; Suricata rejects a second one. */
const ONCE_PER_RULE: ReadonlySet<string> = new Set(['sid', 'rev', 'gid']);

/** Priority of an alert when neither `priority:` nor the classtype sets one. */
export const DEFAULT_PRIORITY = 3;

/** Ids of named flowbits, flowints, xbits and hostbits, shared by one ruleset. */
export class VariableIds {
  readonly byKind = new Map<string, Map<string, number>>();

  /** Returns the id of `name`, allocating the next one on first use. */
  idOf(kind: string, name: string): number {
    let names = this.byKind.get(kind);
    if (names === undefined) {
      names = new Map();
      this.byKind.set(kind, names);
    }
    let id = names.get(name);
    if (id === undefined) {
      id = names.size;
      names.set(name, id);
    }
    return id;
  }

  /** Returns the name of id `id` of `kind`, or null. */
  nameOf(kind: string, id: number): string | null {
    for (const [name, value] of this.byKind.get(kind) ?? []) if (value === id) return name;
    return null;
  }
}

/** State of the ruleset being loaded that parsing a rule reads and extends. */
export interface ParseContext {
  addresses: AddressCompiler;
  ports: PortCompiler;
  classifications: ClassificationTable;
  variables: VariableIds;
  /** Keyword table; the registry's KEYWORDS unless a test replaces it. */
  keywords: ReadonlyMap<string, KeywordDef>;
  /** Version that `requires: version` is judged against; the followed version when absent. */
  requiresVersion?: readonly number[] | undefined;
}

/** The result of parsing one rule. */
export interface ParsedRule {
  /** The signature, or null when any error was found. */
  signature: Signature | null;
  diagnostics: RuleDiagnostic[];
  /** The rule's sid when it could be read, else null. */
  sid: number | null;
}

/** Creates an empty signature with every field set, as the hot path expects one shape. */
function createSignature(file: string, line: number, text: string): Signature {
  return {
    id: -1,
    action: Action.ALERT,
    gid: 1,
    sid: 0,
    rev: 0,
    msg: '',
    classtype: null,
    priority: -1,
    category: '',
    references: [],
    metadata: [],
    target: null,
    proto: '',
    src: ANY_PLACEHOLDER,
    srcPorts: ANY_PORTS_PLACEHOLDER,
    dst: ANY_PLACEHOLDER,
    dstPorts: ANY_PORTS_PLACEHOLDER,
    direction: RuleDirection.ONE_WAY,
    flowFlags: 0,
    packetMatches: [],
    buffers: [],
    postMatches: [],
    threshold: null,
    detectionFilter: null,
    isNoAlert: false,
    policyNote: null,
    file,
    line,
    text,
  };
}

const ANY_PLACEHOLDER = { isAny: true, matchV4: () => true, matchV6: () => true };
const ANY_PORTS_PLACEHOLDER = { isAny: true, match: () => true };

/** Builds one signature and collects the diagnostics of one rule. */
class RuleBuilder implements SignatureBuilder {
  readonly sig: Signature;
  readonly diagnostics: RuleDiagnostic[] = [];
  currentBuffer = 'pkt_data';
  /** Direction argument of the current sticky buffer, if it had one. */
  currentDirection: number | undefined = undefined;
  sid: number | null = null;
  hasError = false;
  /** True once `skip` was called: no signature, and the rule does not count as failed. */
  isRuleSkipped = false;

  private optionKeyword: string | null = null;
  private optionOffset = 0;
  private optionLength = 1;
  /** Inspection matches of all buffers in the order they were added; created on first use. */
  private matchOrder: InspectionMatch[] | null = null;
  private seenCounts: Map<BufferInspection, number> | null = null;

  constructor(
    readonly rule: LogicalRule,
    readonly file: string,
    readonly ctx: ParseContext,
  ) {
    this.sig = createSignature(file, rule.firstLine, rule.text);
  }

  get requiresVersion(): readonly number[] | undefined {
    return this.ctx.requiresVersion;
  }

  /** Points later diagnostics at one option. */
  enterOption(keyword: string | null, offset: number, length: number): void {
    this.optionKeyword = keyword;
    this.optionOffset = offset;
    this.optionLength = Math.max(1, length);
  }

  selectBuffer(buffer: string, direction?: number): void {
    if (this.sig.buffers.length > 0) this.syncMatchOrder();
    this.currentBuffer = buffer;
    this.currentDirection = direction;
  }

  currentMatches(): InspectionMatch[] {
    return this.currentInspection().matches;
  }

  lastMatch(keywords: readonly string[]): InspectionMatch | null {
    const order = this.syncMatchOrder();
    for (let i = order.length - 1; i >= 0; i--) {
      if (keywords.includes(order[i].keyword)) return order[i];
    }
    return null;
  }

  addPacketMatch(m: PacketMatcher): void {
    this.sig.packetMatches.push(m);
  }

  addPostMatch(m: PostMatcher): void {
    this.sig.postMatches.push(m);
  }

  error(code: string, message: string, offset?: number, length?: number): void {
    this.report('error', code, message, offset, length);
  }

  warning(code: string, message: string, offset?: number, length?: number): void {
    this.report('warning', code, message, offset, length);
  }

  skip(code: string, message: string): void {
    this.isRuleSkipped = true;
    this.report('warning', code, message);
  }

  variableId(kind: 'flowbit' | 'flowint' | 'flowvar' | 'xbit' | 'hostbit', name: string): number {
    return this.ctx.variables.idOf(kind, name);
  }

  /** Adds a diagnostic at `offset` (in the rule text) without the option's keyword prefix. */
  reportAt(severity: 'error' | 'warning', code: string, keyword: string | null, message: string, offset: number, length: number): void {
    const pos = locateOffset(this.rule, offset);
    if (severity === 'error') this.hasError = true;
    this.diagnostics.push({
      severity,
      code,
      file: this.file,
      line: pos.line,
      column: pos.column,
      length: Math.max(1, Math.min(length, pos.remaining)),
      sid: this.sid,
      keyword,
      text: pos.text,
      message,
    });
  }

  private report(severity: 'error' | 'warning', code: string, message: string, offset?: number, length?: number): void {
    const at = this.optionOffset + (offset ?? 0);
    const len = length ?? (offset === undefined ? this.optionLength : 1);
    // A keyword that already names itself in the message gets no second prefix.
    const prefix = this.optionKeyword === null ? '' : `${this.optionKeyword}: `;
    const text = message.startsWith(prefix) ? message : prefix + message;
    this.reportAt(severity, code, this.optionKeyword, text, at, len);
  }

  private currentInspection(): BufferInspection {
    // The last instance of the buffer: a multi-instance buffer named again starts a new one (multi-buffer.ts).
    for (let i = this.sig.buffers.length - 1; i >= 0; i--) {
      const b = this.sig.buffers[i];
      if (b.buffer === this.currentBuffer && b.direction === this.currentDirection) return b;
    }
    const created: BufferInspection = { buffer: this.currentBuffer, matches: [] };
    if (this.currentDirection !== undefined) created.direction = this.currentDirection;
    this.sig.buffers.push(created);
    return created;
  }

  private syncMatchOrder(): InspectionMatch[] {
    const order = this.matchOrder ?? (this.matchOrder = []);
    const seenCounts = this.seenCounts ?? (this.seenCounts = new Map());
    for (const b of this.sig.buffers) {
      const seen = seenCounts.get(b) ?? 0;
      for (let i = seen; i < b.matches.length; i++) order.push(b.matches[i]);
      seenCounts.set(b, b.matches.length);
    }
    return order;
  }
}

/** Reads the sid option ahead of the others, so every diagnostic can carry it. */
function findSid(options: RuleOption[]): number | null {
  for (const o of options) {
    if (o.name.toLowerCase() === 'sid' && o.value !== null && /^\d+$/.test(o.value)) return Number(o.value);
  }
  return null;
}

function expressionCode(text: string, error: ExpressionError): string {
  return text[error.offset] === '$' ? ErrorCode.RULE_BAD_VARIABLE : ErrorCode.RULE_BAD_VALUE;
}

/** Parses one logical rule of `file`. */
export function parseRule(rule: LogicalRule, file: string, ctx: ParseContext): ParsedRule {
  const b = new RuleBuilder(rule, file, ctx);
  const text = rule.text;
  const open = text.indexOf('(');

  const options = open < 0 ? null : splitOptions(text, open + 1);
  if (options !== null) b.sid = findSid(options.options);

  if (open < 0) {
    b.reportAt('error', ErrorCode.RULE_SYNTAX, null, "missing '(' before the rule options", text.length - 1, 1);
    return { signature: null, diagnostics: b.diagnostics, sid: null };
  }

  // Suricata reads `requires` first, so a rule written for another engine
  // version is skipped whole, even when its header or other options do not
  // parse here.
  if (options !== null && options.ok && runRequires(b, options.options)) {
    return { signature: null, diagnostics: b.diagnostics, sid: b.sid };
  }

  const isSkipped = parseHeader(b, text, open);
  if (options === null) return { signature: null, diagnostics: b.diagnostics, sid: b.sid };
  if (!options.ok) {
    b.reportAt('error', ErrorCode.RULE_SYNTAX, null, options.message, options.offset, options.length);
    return { signature: null, diagnostics: b.diagnostics, sid: b.sid };
  }
  if (isSkipped) return { signature: null, diagnostics: b.diagnostics, sid: b.sid };

  parseOptions(b, options.options);
  finishSignature(b, options.options, open);
  return { signature: b.hasError ? null : b.sig, diagnostics: b.diagnostics, sid: b.sid };
}

/**
 * Parses the header into `b.sig`. Returns true when the rule is skipped
 * whole (an app-layer protocol), so its options need not be read.
 */
function parseHeader(b: RuleBuilder, text: string, open: number): boolean {
  const tokens = splitHeader(text, open);
  const names = ['action', 'protocol', 'source address', 'source port', 'direction', 'destination address', 'destination port'];
  if (tokens.length !== 7) {
    let at = 0;
    if (tokens.length > 7) at = tokens[7].offset;
    else if (tokens.length > 0) at = tokens[tokens.length - 1].offset;
    const found = tokens.length === 0 ? 'nothing' : `${tokens.length} field${tokens.length === 1 ? '' : 's'}`;
    const what = tokens.length < 7 ? `missing the ${names[tokens.length]}` : 'too many fields';
    b.reportAt('error', ErrorCode.RULE_SYNTAX, null, `header has ${found}, ${what} (expected action protocol src sport -> dst dport)`, at, open - at);
    return true;
  }
  const [action, proto, src, sport, dir, dst, dport] = tokens;

  const actionId = ACTION_IDS[action.text];
  if (actionId === undefined || !RULE_ACTIONS.has(action.text)) {
    b.reportAt('error', ErrorCode.RULE_SYNTAX, null, `'${action.text}' is not a rule action (expected ${Object.keys(ACTION_IDS).join(', ')})`, action.offset, action.text.length);
  } else {
    b.sig.action = actionId;
    if (action.text === 'config') b.sig.isNoAlert = true;
  }

  // An explicit hook follows the protocol after a colon (`tcp:flow_start`).
  const colon = proto.text.indexOf(':');
  const hook = colon > 0 ? proto.text.slice(colon + 1).toLowerCase() : null;
  const protoName = (colon > 0 ? proto.text.slice(0, colon) : proto.text).toLowerCase();
  b.sig.proto = protoName;
  if (APP_LAYER_PROTOCOLS.has(protoName) && !SUPPORTED_APP_PROTOCOLS.has(protoName)) {
    b.reportAt('error', ErrorCode.RULE_UNSUPPORTED, null, `protocol '${proto.text}' is not supported yet; rule skipped`, proto.offset, proto.text.length);
    return true;
  }
  if (!PACKET_PROTOCOLS.has(protoName) && !SUPPORTED_APP_PROTOCOLS.has(protoName)) {
    b.reportAt('error', ErrorCode.RULE_BAD_VALUE, null, `'${proto.text}' is not a protocol (expected ${[...PACKET_PROTOCOLS].join(', ')}, or an app-layer protocol)`, proto.offset, proto.text.length);
  } else if (hook !== null && applyHook(b, protoName, hook, proto.offset + colon + 1)) {
    return true;
  }

  if (dir.text === '->') b.sig.direction = RuleDirection.ONE_WAY;
  else if (dir.text === '<>') b.sig.direction = RuleDirection.BOTH;
  else if (dir.text === '=>') {
    b.sig.direction = RuleDirection.ONE_WAY;
    b.sig.isTransactional = true;
  } else b.reportAt('error', ErrorCode.RULE_SYNTAX, null, `'${dir.text}' is not a direction (expected ->, <> or =>)`, dir.offset, dir.text.length);

  const srcAddress = compileAddress(b, src.text, src.offset, 'source address');
  const dstAddress = compileAddress(b, dst.text, dst.offset, 'destination address');
  const srcPorts = compilePorts(b, sport.text, sport.offset, 'source port');
  const dstPorts = compilePorts(b, dport.text, dport.offset, 'destination port');
  if (srcAddress !== null) b.sig.src = srcAddress;
  if (dstAddress !== null) b.sig.dst = dstAddress;
  if (srcPorts !== null) b.sig.srcPorts = srcPorts;
  if (dstPorts !== null) b.sig.dstPorts = dstPorts;
  return false;
}

/**
 * Resolves the header's explicit hook (rule-hooks.ts) and adds its
 * matcher. Returns true when the rule is skipped because kapu cannot
 * evaluate that hook.
 */
function applyHook(b: RuleBuilder, proto: string, hook: string, offset: number): boolean {
  const result = resolveHook(proto, hook, PACKET_PROTOCOLS.has(proto));
  if (result.kind === 'unsupported') {
    b.reportAt('error', ErrorCode.RULE_UNSUPPORTED, null, result.message, offset, hook.length);
    return true;
  }
  if (result.kind === 'invalid') {
    b.reportAt('error', ErrorCode.RULE_BAD_VALUE, null, result.message, offset, hook.length);
    return false;
  }
  b.sig.hook = hook;
  if (result.matcher !== null) b.sig.packetMatches.push(result.matcher);
  return false;
}

function compileAddress(b: RuleBuilder, text: string, offset: number, fieldName: string): CompiledAddress | null {
  const result = b.ctx.addresses.compile(text);
  if (isCompiledAddress(result)) return result;
  b.reportAt('error', expressionCode(text, result), null, `${fieldName}: ${result.message}`, offset + result.offset, result.length);
  return null;
}

function compilePorts(b: RuleBuilder, text: string, offset: number, fieldName: string): CompiledPorts | null {
  const result = b.ctx.ports.compile(text);
  if (isCompiledPorts(result)) return result;
  b.reportAt('error', expressionCode(text, result), null, `${fieldName}: ${result.message}`, offset + result.offset, result.length);
  return null;
}

/** Name of the option that runRequires handles before the others. */
const REQUIRES = 'requires';

/** Runs the `requires` options; returns true when the rule is skipped. */
function runRequires(b: RuleBuilder, options: RuleOption[]): boolean {
  const def = b.ctx.keywords.get(REQUIRES);
  if (def === undefined) return false;
  for (const o of options) {
    if (o.name !== REQUIRES) continue;
    if (o.value === null) {
      b.enterOption(o.name, o.nameOffset, o.name.length);
      b.error(ErrorCode.RULE_SYNTAX, `'${o.name}' needs a value ('${o.name}:value;')`);
      continue;
    }
    b.enterOption(o.name, o.valueOffset, o.value.length);
    def.setup(b, o.value);
  }
  return b.isRuleSkipped;
}

/** Runs every option's setup; reports unknown and unsupported keywords. */
function parseOptions(b: RuleBuilder, options: RuleOption[]): void {
  let hasReportedUnsupported = false;
  let seenOnce = 0;
  const hasRunRequires = b.ctx.keywords.has(REQUIRES);
  for (const o of options) {
    if (o.name === REQUIRES && hasRunRequires) continue;
    // Suricata matches keyword names regardless of case.
    if (o.name !== o.name.toLowerCase()) o.name = o.name.toLowerCase();
    if (ONCE_PER_RULE.has(o.name)) {
      let bit = 4;
      if (o.name === 'sid') bit = 1;
      else if (o.name === 'rev') bit = 2;
      if ((seenOnce & bit) !== 0) {
        b.reportAt('error', ErrorCode.RULE_BAD_VALUE, o.name, `${o.name}: the rule gives '${o.name}' more than once (a rule takes one)`, o.nameOffset, o.name.length);
        continue;
      }
      seenOnce |= bit;
    }

    const def = b.ctx.keywords.get(o.name);
    if (def === undefined) {
      if (SURICATA_KEYWORD_NAMES.has(o.name)) {
        if (hasReportedUnsupported) {
          b.hasError = true;
          continue;
        }
        hasReportedUnsupported = true;
        b.reportAt('error', ErrorCode.RULE_UNSUPPORTED, o.name, `keyword '${o.name}' is not supported yet; rule skipped`, o.nameOffset, o.name.length);
      } else {
        b.reportAt('error', ErrorCode.RULE_UNKNOWN_KEYWORD, o.name, `unknown keyword '${o.name}'`, o.nameOffset, o.name.length);
      }
      continue;
    }

    if (o.value === null) {
      b.enterOption(o.name, o.nameOffset, o.name.length);
      if (def.value === 'required') {
        b.error(ErrorCode.RULE_SYNTAX, `'${o.name}' needs a value ('${o.name}:value;')`);
        continue;
      }
    } else {
      b.enterOption(o.name, o.valueOffset, o.value.length);
      if (def.value === 'none') {
        b.error(ErrorCode.RULE_SYNTAX, `'${o.name}' takes no value, found '${o.value}'`);
        continue;
      }
    }
    def.setup(b, o.value ?? '');
  }
}

/** Checks what needs the whole rule: sid, classtype, priority. */
function finishSignature(b: RuleBuilder, options: RuleOption[], open: number): void {
  const sig = b.sig;
  const sidOption = options.find((o) => o.name === 'sid');
  if (sidOption === undefined) {
    b.reportAt('error', ErrorCode.RULE_MISSING_OPTION, null, "rule has no 'sid' option (every rule needs a unique sid)", open, 1);
  }

  if (sig.classtype !== null) {
    // Suricata looks classtypes up regardless of case, and loads a rule with
    // an unknown classtype with a warning and the default priority.
    const cls = b.ctx.classifications.classes.get(sig.classtype.toLowerCase());
    const option = options.find((o) => o.name === 'classtype');
    if (cls === undefined) {
      const offset = option?.valueOffset ?? open;
      const message = `classtype: '${sig.classtype}' is not defined in classification.config; the alert gets priority ${DEFAULT_PRIORITY} and no category`;
      b.reportAt('warning', ErrorCode.RULE_BAD_VALUE, 'classtype', message, offset, sig.classtype.length);
    } else {
      sig.category = cls.description;
      if (sig.priority < 0) sig.priority = cls.priority;
    }
  }
  if (sig.priority < 0) sig.priority = DEFAULT_PRIORITY;
  checkAbsentBuffers(b, options);
}

/**
 * Checks that a buffer under plain `absent` has no other keyword: it can
 * only match a transaction without the buffer, where none of them could
 * run (`absent: or_else` is the form that takes them).
 */
function checkAbsentBuffers(b: RuleBuilder, options: RuleOption[]): void {
  for (const inspection of b.sig.buffers) {
    if (inspection.absentMode !== AbsentMode.ONLY || inspection.matches.length === 0) continue;
    const option = options.find((o) => o.name === 'absent');
    const offset = option === undefined ? 0 : option.nameOffset;
    const message = `absent: the buffer '${inspection.buffer}' has other keywords, which plain absent never runs (use 'absent: or_else' to match them when the buffer exists)`;
    b.reportAt('error', ErrorCode.RULE_CONFLICTING_OPTIONS, 'absent', message, offset, 6);
  }
}

/** The registry's keyword table, for building a ParseContext. */
export const DEFAULT_KEYWORDS: ReadonlyMap<string, KeywordDef> = KEYWORDS;
