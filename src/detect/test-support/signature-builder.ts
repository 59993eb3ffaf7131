/**
 * A minimal SignatureBuilder and option splitter, so that tests of the
 * payload keywords and the engine can build signatures from rule option
 * text without the rule parser. The header is given as fields, not text.
 */
import { Action, RuleDirection, type ActionId, type AddressMatcher, type InspectionMatch, type KeywordDef, type PacketMatcher, type PortMatcher, type PostMatcher, type Signature, type SignatureBuilder } from '../signature.js';
import { PAYLOAD_KEYWORDS } from '../keywords/payload-keywords.js';

/** One option of a rule body: `name` and its raw value (quotes kept). */
export interface RuleOption {
  name: string;
  value: string;
}

/**
 * Splits a rule body (`content:"a\;b"; nocase; depth:4;`) at unescaped
 * semicolons into options. Escapes are kept in the value for the keyword.
 */
export function splitRuleOptions(body: string): RuleOption[] {
  const options: RuleOption[] = [];
  let current = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) {
      current += c + body[i + 1];
      i++;
    } else if (c === ';') {
      pushOption(options, current);
      current = '';
    } else {
      current += c;
    }
  }
  pushOption(options, current);
  return options;
}

function pushOption(options: RuleOption[], text: string): void {
  const t = text.trim();
  if (t === '') return;
  const colon = t.indexOf(':');
  if (colon < 0) options.push({ name: t, value: '' });
  else options.push({ name: t.slice(0, colon).trim(), value: t.slice(colon + 1).trim() });
}

/** Matches every address. */
export const ANY_ADDRESS: AddressMatcher = {
  isAny: true,
  matchV4: () => true,
  matchV6: () => true,
};

/** Matches every port. */
export const ANY_PORT: PortMatcher = { isAny: true, match: () => true };

/** Returns a port matcher for the inclusive ranges given as [lo, hi] pairs. */
export function portRanges(...ranges: [number, number][]): PortMatcher {
  return {
    isAny: false,
    match: (port: number) => ranges.some(([lo, hi]) => port >= lo && port <= hi),
    ranges,
  };
}

/** Returns an IPv4 matcher for one network in CIDR form, e.g. '192.0.2.0/24'. */
export function ipv4Network(cidr: string): AddressMatcher {
  const [addr, bitsText] = cidr.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const parts = addr.split('.').map(Number);
  const base = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return {
    isAny: false,
    matchV4: (a: number) => ((a & mask) >>> 0) === ((base & mask) >>> 0),
    matchV6: () => false,
  };
}

/** Header fields of a test signature; everything else gets a default. */
export interface TestSignatureFields {
  id?: number;
  action?: ActionId;
  sid?: number;
  priority?: number;
  proto?: string;
  src?: AddressMatcher;
  srcPorts?: PortMatcher;
  dst?: AddressMatcher;
  dstPorts?: PortMatcher;
  direction?: number;
  flowFlags?: number;
}

/** Creates a signature with defaults (alert ip any any -> any any). */
export function createTestSignature(fields: TestSignatureFields = {}): Signature {
  return {
    id: fields.id ?? 0,
    action: fields.action ?? Action.ALERT,
    gid: 1,
    sid: fields.sid ?? 1,
    rev: 1,
    msg: '',
    classtype: null,
    priority: fields.priority ?? 3,
    category: '',
    references: [],
    metadata: [],
    target: null,
    proto: fields.proto ?? 'ip',
    src: fields.src ?? ANY_ADDRESS,
    srcPorts: fields.srcPorts ?? ANY_PORT,
    dst: fields.dst ?? ANY_ADDRESS,
    dstPorts: fields.dstPorts ?? ANY_PORT,
    direction: fields.direction ?? RuleDirection.ONE_WAY,
    flowFlags: fields.flowFlags ?? 0,
    packetMatches: [],
    buffers: [],
    postMatches: [],
    threshold: null,
    detectionFilter: null,
    isNoAlert: false,
    file: 'test.rules',
    line: 1,
    text: '',
  };
}

/** A problem recorded by the test builder. */
export interface TestDiagnostic {
  severity: 'error' | 'warning';
  code: string;
  keyword: string;
  message: string;
}

/** A SignatureBuilder that records diagnostics and keeps match order. */
export class TestSignatureBuilder implements SignatureBuilder {
  readonly sig: Signature;
  currentBuffer: string;
  readonly diagnostics: TestDiagnostic[];
  keyword: string;
  private readonly order: Map<InspectionMatch, number>;
  private nextOrder: number;

  constructor(sig: Signature) {
    this.sig = sig;
    this.currentBuffer = 'pkt_data';
    this.diagnostics = [];
    this.keyword = '';
    this.order = new Map();
    this.nextOrder = 0;
  }

  selectBuffer(buffer: string): void {
    this.currentBuffer = buffer;
  }

  currentMatches(): InspectionMatch[] {
    let inspection = this.sig.buffers.find((x) => x.buffer === this.currentBuffer);
    if (inspection === undefined) {
      inspection = { buffer: this.currentBuffer, matches: [] };
      this.sig.buffers.push(inspection);
    }
    return inspection.matches;
  }

  lastMatch(keywords: readonly string[]): InspectionMatch | null {
    let best: InspectionMatch | null = null;
    let bestOrder = -1;
    for (const buffer of this.sig.buffers) {
      for (const m of buffer.matches) {
        const order = this.order.get(m) ?? Number.MAX_SAFE_INTEGER;
        if (keywords.includes(m.keyword) && order >= bestOrder) {
          best = m;
          bestOrder = order;
        }
      }
    }
    return best;
  }

  /** Gives the matches added by the last keyword their place in rule order. */
  recordOrder(): void {
    for (const buffer of this.sig.buffers) {
      for (const m of buffer.matches) {
        if (!this.order.has(m)) this.order.set(m, this.nextOrder++);
      }
    }
  }

  addPacketMatch(m: PacketMatcher): void {
    this.sig.packetMatches.push(m);
  }

  addPostMatch(m: PostMatcher): void {
    this.sig.postMatches.push(m);
  }

  error(code: string, message: string): void {
    this.diagnostics.push({ severity: 'error', code, keyword: this.keyword, message });
  }

  warning(code: string, message: string): void {
    this.diagnostics.push({ severity: 'warning', code, keyword: this.keyword, message });
  }

  skip(code: string, message: string): void {
    this.warning(code, message);
  }

  variableId(): number {
    return 0;
  }
}

/** Result of building a test signature: the signature or the problems. */
export interface BuiltSignature {
  sig: Signature;
  errors: TestDiagnostic[];
}

/**
 * Builds a signature from rule option text, running each payload keyword's
 * setup. Options that are not payload keywords (msg, sid, ...) are
 * ignored, except `sid`, which sets the signature id.
 */
export function buildSignature(body: string, fields: TestSignatureFields = {}, keywords: readonly KeywordDef[] = PAYLOAD_KEYWORDS): BuiltSignature {
  const sig = createTestSignature(fields);
  const b = new TestSignatureBuilder(sig);
  for (const option of splitRuleOptions(body)) {
    if (option.name === 'sid') {
      sig.sid = Number(option.value);
      continue;
    }
    const def = keywords.find((k) => k.name === option.name || (k.aliases ?? []).includes(option.name));
    if (def === undefined) continue;
    b.keyword = def.name;
    def.setup(b, option.value);
    b.recordOrder();
  }
  return { sig, errors: b.diagnostics.filter((d) => d.severity === 'error') };
}

/** Builds a signature and throws when a keyword reported an error. */
export function mustBuildSignature(body: string, fields: TestSignatureFields = {}): Signature {
  const built = buildSignature(body, fields);
  if (built.errors.length > 0) {
    throw new Error(`rule '${body}' failed: ${built.errors.map((e) => e.message).join('; ')}`);
  }
  return built.sig;
}
