/**
 * Explicit rule hooks of Suricata 8: the header protocol may name the
 * protocol state at which a rule is evaluated, as `proto:hook`.
 *
 *   alert tcp:flow_start any any -> any any (...)         packet hook
 *   drop tls:client_hello_done any any -> any any (...)   app-layer hook
 *
 * A packet hook limits the rule to some packets: `flow_start` to the first
 * packet of each direction of a flow, `all` to none. An app-layer hook
 * makes the rule a transaction rule of that protocol, inspected in the
 * hook's direction once the transaction's progress reached the hook's
 * state, and at most once per transaction, as other transaction rules.
 * Suricata: firewall/firewall-design.html, "Explicit rule hook (states)".
 */
// NOTE: hooks whose state the parsers do not track (tls client_cert_done,
// http1 request_trailer, the firewall tables pre_flow and pre_stream, ...)
// are reported as not supported and their rules skipped.
import { Direction, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { Progress, type HttpTransaction } from '../app/http/state.js';
import type { TlsTransaction } from '../app/tls/state.js';
import type { SshTransaction } from '../app/ssh/state.js';
import type { PacketMatcher } from './signature.js';

/** Matches the first packet of each direction of a flow (hook `flow_start`). */
export class FlowStartHook implements PacketMatcher {
  readonly keyword = 'flow_start';

  match(p: Packet, flow: Flow | null): boolean {
    // Flow-end pseudo packets (no captured bytes) are not flow starts.
    if (flow === null || p.captureLength === 0) return false;
    const count = p.direction === Direction.TO_SERVER ? flow.pktsToServer : flow.pktsToClient;
    return count === 1;
  }
}

/** Progress checks of the app-layer hooks. */
export const HookCheck = {
  /** Any transaction data in the direction (`*_started`, `*_in_progress`). */
  STARTED: 0,
  HTTP_LINE: 1,
  HTTP_HEADERS: 2,
  HTTP_BODY: 3,
  HTTP_COMPLETE: 4,
  TLS_HELLO: 5,
  TLS_FINISHED: 6,
  SSH_BANNER: 7,
} as const;

/**
 * Transaction matcher of an app-layer hook: the transaction direction has
 * reached the hook's state. It is a transaction keyword (app-inspect.ts),
 * so the rule runs in transaction detection.
 */
export class AppHook implements PacketMatcher {
  readonly keyword: string;
  readonly isTxMatcher = true as const;
  readonly appProto: string;
  readonly direction: number;
  private readonly check: number;

  constructor(appProto: string, hook: string, direction: number, check: number) {
    this.keyword = appProto + ':' + hook;
    this.appProto = appProto;
    this.direction = direction;
    this.check = check;
  }

  /** A hook alone never matches a packet; the transaction engine calls matchTx. */
  match(): boolean {
    return false;
  }

  matchTx(tx: unknown, direction: number): boolean {
    if (direction !== this.direction) return false;
    const toServer = direction === Direction.TO_SERVER;
    switch (this.check) {
      case HookCheck.STARTED:
        return true;
      case HookCheck.HTTP_LINE:
        return httpProgress(tx, toServer) >= Progress.LINE;
      case HookCheck.HTTP_HEADERS:
      case HookCheck.HTTP_BODY:
        // Progress.HEADERS means the header section is being read: it is
        // done once the body starts or the message completes.
        return httpProgress(tx, toServer) >= Progress.BODY;
      case HookCheck.HTTP_COMPLETE:
        return httpProgress(tx, toServer) === Progress.COMPLETE;
      case HookCheck.TLS_HELLO: {
        const t = tx as TlsTransaction;
        return (toServer ? t.clientHello : t.serverHello) !== null;
      }
      case HookCheck.TLS_FINISHED: {
        const t = tx as TlsTransaction;
        return toServer ? t.isToServerDone : t.isToClientDone;
      }
      case HookCheck.SSH_BANNER: {
        const t = tx as SshTransaction;
        return (toServer ? t.client : t.server) !== null;
      }
      default:
        return false;
    }
  }
}

function httpProgress(tx: unknown, toServer: boolean): number {
  const h = tx as HttpTransaction;
  return toServer ? h.requestProgress : h.responseProgress;
}

const TLS_HOOKS: ReadonlyMap<string, readonly [number, number]> = new Map<string, readonly [number, number]>([
  ['client_in_progress', [Direction.TO_SERVER, HookCheck.STARTED]],
  ['client_hello_done', [Direction.TO_SERVER, HookCheck.TLS_HELLO]],
  ['client_finished', [Direction.TO_SERVER, HookCheck.TLS_FINISHED]],
  ['server_in_progress', [Direction.TO_CLIENT, HookCheck.STARTED]],
  ['server_hello', [Direction.TO_CLIENT, HookCheck.TLS_HELLO]],
  ['server_finished', [Direction.TO_CLIENT, HookCheck.TLS_FINISHED]],
]);

/** Supported app-layer hooks by protocol: hook name to direction and check. */
const APP_HOOKS: ReadonlyMap<string, ReadonlyMap<string, readonly [number, number]>> = new Map([
  ['http1', httpHooks()],
  ['http', httpHooks()],
  ['tls', TLS_HOOKS],
  ['ssl', TLS_HOOKS],
  ['ssh', new Map<string, readonly [number, number]>([
    ['request_in_progress', [Direction.TO_SERVER, HookCheck.STARTED]],
    ['request_banner_done', [Direction.TO_SERVER, HookCheck.SSH_BANNER]],
    ['response_in_progress', [Direction.TO_CLIENT, HookCheck.STARTED]],
    ['response_banner_done', [Direction.TO_CLIENT, HookCheck.SSH_BANNER]],
  ])],
]);

function httpHooks(): ReadonlyMap<string, readonly [number, number]> {
  const hooks = new Map<string, readonly [number, number]>();
  for (const [side, direction] of [['request', Direction.TO_SERVER], ['response', Direction.TO_CLIENT]] as const) {
    hooks.set(side + '_started', [direction, HookCheck.STARTED]);
    hooks.set(side + '_line', [direction, HookCheck.HTTP_LINE]);
    hooks.set(side + '_headers', [direction, HookCheck.HTTP_HEADERS]);
    hooks.set(side + '_body', [direction, HookCheck.HTTP_BODY]);
    hooks.set(side + '_complete', [direction, HookCheck.HTTP_COMPLETE]);
  }
  return hooks;
}

/** Hooks of Suricata 8 that kapu cannot evaluate yet. */
const UNSUPPORTED_HOOKS: ReadonlySet<string> = new Set([
  'pre_flow', 'pre_stream',
  'request_trailer', 'response_trailer',
  'client_cert_done', 'client_handshake_done', 'server_cert_done', 'server_hello_done', 'server_handshake_done',
  'request_banner_wait_eol', 'request_finished', 'response_banner_wait_eol', 'response_finished',
]);

/** The result of resolving a hook: a matcher to add (or null for `all`), or why the rule cannot use it. */
export type HookResult =
  | { kind: 'ok'; matcher: PacketMatcher | null }
  | { kind: 'unsupported'; message: string }
  | { kind: 'invalid'; message: string };

const FLOW_START_HOOK = new FlowStartHook();

/**
 * Resolves hook `hook` of header protocol `proto`. `isPacketProtocol` is
 * true for a packet protocol (tcp, ip, ...) and false for an app-layer one.
 */
export function resolveHook(proto: string, hook: string, isPacketProtocol: boolean): HookResult {
  if (isPacketProtocol) {
    if (hook === 'flow_start') return { kind: 'ok', matcher: FLOW_START_HOOK };
    if (hook === 'all') return { kind: 'ok', matcher: null };
    if (UNSUPPORTED_HOOKS.has(hook)) return { kind: 'unsupported', message: `hook '${proto}:${hook}' is not supported yet; rule skipped` };
    return { kind: 'invalid', message: `'${hook}' is not a packet hook of '${proto}' (expected flow_start or all)` };
  }
  const hooks = APP_HOOKS.get(proto);
  const entry = hooks?.get(hook);
  if (entry !== undefined) {
    // The parsers name their protocols tls and http.
    let appProto = proto;
    if (proto === 'ssl') appProto = 'tls';
    else if (proto === 'http1') appProto = 'http';
    return { kind: 'ok', matcher: new AppHook(appProto, hook, entry[0], entry[1]) };
  }
  if (UNSUPPORTED_HOOKS.has(hook) || hooks === undefined) {
    return { kind: 'unsupported', message: `hook '${proto}:${hook}' is not supported yet; rule skipped` };
  }
  return { kind: 'invalid', message: `'${hook}' is not a hook of '${proto}' (expected ${[...hooks.keys()].join(', ')})` };
}

/** TLS progress states of each direction, in order (Suricata 8's names). */
const TLS_CLIENT_STATES = ['client_in_progress', 'client_hello_done', 'client_cert_done', 'client_handshake_done', 'client_finished'];
const TLS_SERVER_STATES = ['server_in_progress', 'server_hello', 'server_cert_done', 'server_hello_done', 'server_handshake_done', 'server_finished'];

/**
 * Returns the position in TLS_CLIENT_STATES (client) or TLS_SERVER_STATES
 * of a TLS transaction's progress.
 */
// NOTE: the TLS parser records the hellos, the server certificates and
// the end of each handshake direction (its ChangeCipherSpec), not the
// other handshake messages. A client past its hello counts as
// client_hello_done until it finishes, and a server with certificates as
// server_cert_done, so comparisons with the untracked states in between
// are estimates.
export function tlsProgressOf(tx: TlsTransaction, isClient: boolean): number {
  if (isClient) {
    if (tx.isToServerDone) return TLS_CLIENT_STATES.length - 1;
    return tx.clientHello !== null ? 1 : 0;
  }
  if (tx.isToClientDone) return TLS_SERVER_STATES.length - 1;
  if (tx.serverCertificates.length > 0) return 2;
  return tx.serverHello !== null ? 1 : 0;
}

/** Comparison operators of `app-layer-state`. */
const StateOp = { EQ: 0, NE: 1, LT: 2, LE: 3, GT: 4, GE: 5 } as const;

/**
 * `app-layer-state:[op]<state>` (Suricata 8): the progress of the state's
 * direction of a transaction compares with `state` (=, !, <, <=, >, >=).
 * It is a transaction keyword. As every TLS transaction rule, it may
 * match a transaction once in each direction (app-inspect.ts).
 */
export class AppLayerStateMatch implements PacketMatcher {
  readonly keyword = 'app-layer-state';
  readonly isTxMatcher = true as const;
  readonly appProto = 'tls';
  readonly isClient: boolean;
  readonly position: number;
  readonly op: number;

  constructor(isClient: boolean, position: number, op: number) {
    this.isClient = isClient;
    this.position = position;
    this.op = op;
  }

  /** Never matches a packet alone; the transaction engine calls matchTx. */
  match(): boolean {
    return false;
  }

  matchTx(tx: unknown): boolean {
    const progress = tlsProgressOf(tx as TlsTransaction, this.isClient);
    switch (this.op) {
      case StateOp.NE: return progress !== this.position;
      case StateOp.LT: return progress < this.position;
      case StateOp.LE: return progress <= this.position;
      case StateOp.GT: return progress > this.position;
      case StateOp.GE: return progress >= this.position;
      default: return progress === this.position;
    }
  }
}

/** Parses an `app-layer-state` value for header protocol `proto`: the matcher, or why it cannot be used. */
export function parseAppLayerState(proto: string, value: string): AppLayerStateMatch | string {
  if (proto !== 'tls' && proto !== 'ssl') return `protocol '${proto}' is not supported yet (supported: tls); rule skipped`;
  const m = /^\s*(<=|>=|<|>|!|=)?\s*([a-z_]+)\s*$/.exec(value);
  if (m === null) return `'${value}' is not of the form [op]<state> (op: <, <=, >, >=, ! or =)`;
  const ops: Readonly<Record<string, number>> = { '': StateOp.EQ, '=': StateOp.EQ, '!': StateOp.NE, '<': StateOp.LT, '<=': StateOp.LE, '>': StateOp.GT, '>=': StateOp.GE };
  const op = ops[m[1] ?? ''] as number;
  const state = m[2] as string;
  const clientPosition = TLS_CLIENT_STATES.indexOf(state);
  if (clientPosition >= 0) return new AppLayerStateMatch(true, clientPosition, op);
  const serverPosition = TLS_SERVER_STATES.indexOf(state);
  if (serverPosition >= 0) return new AppLayerStateMatch(false, serverPosition, op);
  return `'${state}' is not a tls state (expected ${[...TLS_CLIENT_STATES, ...TLS_SERVER_STATES].join(', ')})`;
}
