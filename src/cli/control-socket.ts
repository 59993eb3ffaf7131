/**
 * Control socket of a running `kapu run -i` or `-q`, in the manner of
 * Suricata's unix-command socket. A client connects to the unix socket
 * and writes one JSON object per line, such as `{"command":"reload-rules"}`.
 * kapu writes one JSON line back per request:
 * `{"return":"OK","message":...}` or `{"return":"NOK","message":"why"}`.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import type { KapuConfig } from '../config/types.js';
import { ErrorCode, KapuError } from '../core/errors.js';
import type { ReloadOutcome } from '../engine/rule-reload.js';

/** Answer to one request, written as one JSON line. */
export interface ControlAnswer {
  return: 'OK' | 'NOK';
  message: unknown;
}

/** Runs one request's command and returns its answer; `request` is the parsed JSON line. */
export type ControlHandler = (command: string, request: Record<string, unknown>) => Promise<ControlAnswer>;

/** Maximum length of one request line in bytes; a longer line closes the connection. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** Milliseconds that `kapu reload` waits to connect. */
export const CONNECT_TIMEOUT_MS = 2000;

/** Milliseconds that `kapu reload` waits for the answer; a reload of a large rule set takes seconds. */
export const ANSWER_TIMEOUT_MS = 120_000;

/**
 * Returns the socket path that `config` sets for a live run writing to
 * `logDir`, or null when unix-command.enabled is no.
 */
export function controlSocketPath(config: KapuConfig, logDir: string): string | null {
  if (config.unixCommand.enabled === 'no') return null;
  const filename = config.unixCommand.filename;
  return isAbsolute(filename) ? filename : join(logDir, filename);
}

/** A listening control socket; `close` stops it and removes the socket file. */
export class ControlSocketServer {
  private readonly connections = new Set<Socket>();

  private constructor(
    readonly path: string,
    private readonly server: Server,
    private readonly handler: ControlHandler,
  ) {
    server.on('connection', (socket) => this.serve(socket));
  }

  /**
   * Listens on `path`, answering requests with `handler`. A socket file
   * left by an ended run is removed first. Throws KapuError
   * KAPU_ERR_CONTROL_SOCKET_FAILED when `path` is another kind of file,
   * when another process listens on it, or when listen fails.
   */
  static async listen(path: string, handler: ControlHandler): Promise<ControlSocketServer> {
    await removeStaleSocket(path);
    const server = createServer();
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', (err) => rejectListen(new KapuError(ErrorCode.CONTROL_SOCKET_FAILED, `control socket '${path}' cannot be opened (${err.message}); check unix-command.filename`)));
      server.listen(path, () => resolveListen());
    });
    return new ControlSocketServer(path, server, handler);
  }

  /** Stops listening, ends open connections and removes the socket file. */
  async close(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
    // server.close removes the file on Linux already; this covers a file it left.
    try {
      unlinkSync(this.path);
    } catch {
      // Already removed.
    }
  }

  private serve(socket: Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    // Requests of one connection are answered in order.
    let queue = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') queue = queue.then(() => this.answerLine(socket, line));
        newline = buffered.indexOf('\n');
      }
      if (Buffer.byteLength(buffered) > MAX_REQUEST_BYTES) {
        socket.end(`${JSON.stringify(nok(`request longer than ${MAX_REQUEST_BYTES} bytes`))}\n`);
        buffered = '';
      }
    });
  }

  private async answerLine(socket: Socket, line: string): Promise<void> {
    const answer = await answerRequest(line, this.handler);
    if (!socket.destroyed) socket.write(`${JSON.stringify(answer)}\n`);
  }
}

/** Parses one request line and runs its command through `handler`. */
export async function answerRequest(line: string, handler: ControlHandler): Promise<ControlAnswer> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    return nok('request is not valid JSON; send one JSON object per line, such as {"command":"reload-rules"}');
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return nok('request is not a JSON object');
  const command = (request as Record<string, unknown>)['command'];
  if (typeof command !== 'string') return nok('request has no "command" string');
  try {
    return await handler(command, request as Record<string, unknown>);
  } catch (err) {
    return nok(`command '${command}' failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function nok(message: string): ControlAnswer {
  return { return: 'NOK', message };
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new KapuError(ErrorCode.CONTROL_SOCKET_FAILED, `control socket path '${path}' exists and is not a socket; remove it or set another unix-command.filename`);
  if (await isListening(path)) throw new KapuError(ErrorCode.CONTROL_SOCKET_FAILED, `control socket '${path}' is in use: another process listens on it; stop that process or set another unix-command.filename`);
  unlinkSync(path);
}

function isListening(path: string): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolveProbe(true);
    });
    probe.once('error', () => resolveProbe(false));
  });
}

/**
 * Pending `reload-rules` requests of a live run. The run loop reloads
 * between two batches, as for SIGUSR2, and then answers every request
 * that came in meanwhile with the same outcome.
 */
export class ReloadRequests {
  private pending: Array<(answer: ControlAnswer) => void> = [];

  get isRequested(): boolean {
    return this.pending.length > 0;
  }

  /** Adds a request; the promise resolves once the run loop called `answer` or `cancel`. */
  request(): Promise<ControlAnswer> {
    return new Promise((resolveRequest) => this.pending.push(resolveRequest));
  }

  /** Answers the pending requests; `loaded` and `failed` are the rule counts that run after the reload. */
  answer(outcome: ReloadOutcome, loaded: number, failed: number): void {
    this.settle(outcome.isApplied ? { return: 'OK', message: { loaded, failed } } : nok(outcome.message));
  }

  /** Answers the pending requests with NOK and `reason`. */
  cancel(reason: string): void {
    this.settle(nok(reason));
  }

  private settle(answer: ControlAnswer): void {
    const pending = this.pending;
    this.pending = [];
    for (const resolveRequest of pending) resolveRequest(answer);
  }
}

/** Returns the handler of a live run's control socket: `reload-rules` goes to `reloads`. */
export function liveRunHandler(reloads: ReloadRequests): ControlHandler {
  return async (command) => {
    if (command === 'reload-rules') return reloads.request();
    return nok(`unknown command '${command}'; the supported command is reload-rules`);
  };
}

/** Reason why `sendControlRequest` failed. */
export class ControlConnectError extends Error {}

/**
 * Connects to the control socket at `path`, sends `request` as one JSON
 * line and returns the first answer line, parsed. Throws
 * ControlConnectError when the socket cannot be reached, and Error when no
 * valid answer arrives within `answerTimeoutMs`.
 */
export function sendControlRequest(path: string, request: Record<string, unknown>, answerTimeoutMs = ANSWER_TIMEOUT_MS): Promise<ControlAnswer> {
  return new Promise((resolveAnswer, rejectAnswer) => {
    const socket = createConnection(path);
    let isConnected = false;
    let buffered = '';
    const finish = (err: Error | null, answer?: ControlAnswer): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err !== null) rejectAnswer(err);
      else resolveAnswer(answer as ControlAnswer);
    };
    let timer = setTimeout(() => finish(new ControlConnectError(`timed out after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      isConnected = true;
      clearTimeout(timer);
      timer = setTimeout(() => finish(new Error(`no answer within ${answerTimeoutMs / 1000} s`)), answerTimeoutMs);
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      try {
        const answer = JSON.parse(buffered.slice(0, newline)) as ControlAnswer;
        if (answer.return !== 'OK' && answer.return !== 'NOK') throw new Error('no "return" of OK or NOK');
        finish(null, answer);
      } catch (err) {
        finish(new Error(`invalid answer: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      finish(isConnected ? new Error(`connection failed: ${err.message}`) : new ControlConnectError(err.code ?? err.message));
    });
    socket.once('close', () => {
      if (isConnected) finish(new Error('connection closed before an answer arrived'));
    });
  });
}

/** Output stream of `kapu reload`, such as process.stdout. */
export interface TextSink {
  write(text: string): unknown;
}

/** Exit statuses of `kapu reload`. */
export const ReloadExitStatus = {
  OK: 0,
  NOT_OK: 1,
  UNREACHABLE: 2,
} as const;

/**
 * Asks the run listening on `path` to reload its rules and prints the
 * answer to `out`. Returns 0 on OK, 1 on NOK or a failed exchange, 2 when
 * the socket cannot be reached.
 */
export async function runReloadCommand(path: string, out: TextSink, err: TextSink): Promise<number> {
  let answer: ControlAnswer;
  try {
    answer = await sendControlRequest(path, { command: 'reload-rules' });
  } catch (failure) {
    if (failure instanceof ControlConnectError) {
      err.write(`kapu: cannot connect to the control socket '${path}' (${failure.message}); check that kapu run -i or -q is running with unix-command.enabled: yes, and give its socket with --socket\n`);
      return ReloadExitStatus.UNREACHABLE;
    }
    err.write(`kapu: reload-rules on '${path}' failed: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    return ReloadExitStatus.NOT_OK;
  }
  out.write(`${JSON.stringify(answer)}\n`);
  return answer.return === 'OK' ? ReloadExitStatus.OK : ReloadExitStatus.NOT_OK;
}

/**
 * Opens the control socket of a live run when unix-command.enabled is yes
 * or auto, answering reload-rules through `reloads`. Returns null when it
 * is no. Throws as ControlSocketServer.listen does.
 */
export async function openLiveControlSocket(config: KapuConfig, logDir: string, reloads: ReloadRequests, quiet: boolean): Promise<ControlSocketServer | null> {
  const path = controlSocketPath(config, logDir);
  if (path === null) return null;
  const server = await ControlSocketServer.listen(path, liveRunHandler(reloads));
  if (!quiet) process.stderr.write(`kapu: control socket listening on ${path}\n`);
  return server;
}

/**
 * Returns the socket path that the config at `configPath` (null: the
 * defaults) with `sets` gives for a run writing to `logDir` (null: the
 * config's default-log-dir), whether or not unix-command.enabled is on.
 */
export function socketPathFromConfig(configPath: string | null, sets: string[], logDir: string | null): string {
  const { config } = loadConfig(configPath, sets);
  const filename = config.unixCommand.filename;
  return isAbsolute(filename) ? filename : join(logDir ?? config.defaultLogDir, filename);
}
