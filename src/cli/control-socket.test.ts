import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KapuConfig } from '../config/types.js';
import { ErrorCode, KapuError } from '../core/errors.js';
import type { ReloadOutcome } from '../engine/rule-reload.js';
import { answerRequest, ControlSocketServer, controlSocketPath, liveRunHandler, ReloadRequests, runReloadCommand, sendControlRequest, type ControlAnswer } from './control-socket.js';

class Collector {
  text = '';
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

function tempFolder(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function outcome(isApplied: boolean, message: string): ReloadOutcome {
  return { isApplied, message, restartKeys: [], warnings: [] };
}

test('reload command gets OK from stub', async (t) => {
  const path = join(tempFolder(t), 'kapu-command.socket');
  const calls: string[] = [];
  const server = await ControlSocketServer.listen(path, async (command) => {
    calls.push(command);
    return { return: 'OK', message: { loaded: 3, failed: 1 } };
  });
  t.after(() => server.close());
  const out = new Collector();
  const err = new Collector();

  const status = await runReloadCommand(path, out, err);

  assert.equal(status, 0);
  assert.deepEqual(calls, ['reload-rules']);
  assert.equal(out.text, '{"return":"OK","message":{"loaded":3,"failed":1}}\n');
  assert.equal(err.text, '');
});

test('reload command exits 1 on unknown command', async (t) => {
  const path = join(tempFolder(t), 'ctl.socket');
  const server = await ControlSocketServer.listen(path, liveRunHandler(new ReloadRequests()));
  t.after(() => server.close());

  const answer = await sendControlRequest(path, { command: 'shutdown' });

  assert.equal(answer.return, 'NOK');
  assert.match(String(answer.message), /unknown command 'shutdown'/);
});

test('reload command exits 1 on NOK answer', async (t) => {
  const path = join(tempFolder(t), 'ctl.socket');
  const server = await ControlSocketServer.listen(path, async () => ({ return: 'NOK', message: 'rule reload failed' }));
  t.after(() => server.close());
  const out = new Collector();

  const status = await runReloadCommand(path, out, new Collector());

  assert.equal(status, 1);
  assert.equal(out.text, '{"return":"NOK","message":"rule reload failed"}\n');
});

test('reload command exits 2 on missing socket', async (t) => {
  const path = join(tempFolder(t), 'missing.socket');
  const out = new Collector();
  const err = new Collector();

  const status = await runReloadCommand(path, out, err);

  assert.equal(status, 2);
  assert.equal(out.text, '');
  assert.ok(err.text.includes(`'${path}'`), err.text);
  assert.ok(err.text.includes('ENOENT'), err.text);
  assert.ok(err.text.includes('unix-command.enabled'), err.text);
});

test('request lines answered in order', async (t) => {
  const path = join(tempFolder(t), 'ctl.socket');
  const server = await ControlSocketServer.listen(path, async (command) => ({ return: 'OK', message: command }));
  t.after(() => server.close());

  const first = await sendControlRequest(path, { command: 'one' });
  const second = await sendControlRequest(path, { command: 'two' });

  assert.deepEqual(first, { return: 'OK', message: 'one' });
  assert.deepEqual(second, { return: 'OK', message: 'two' });
});

test('invalid request lines get NOK', async () => {
  const handler = async (): Promise<ControlAnswer> => ({ return: 'OK', message: null });

  assert.equal((await answerRequest('not json', handler)).return, 'NOK');
  assert.equal((await answerRequest('[1,2]', handler)).return, 'NOK');
  assert.equal((await answerRequest('{"cmd":"reload-rules"}', handler)).return, 'NOK');
  assert.equal((await answerRequest('{"command":"x"}', handler)).return, 'OK');
});

test('handler throw becomes NOK', async () => {
  const answer = await answerRequest('{"command":"reload-rules"}', async () => {
    throw new Error('broken');
  });

  assert.deepEqual(answer, { return: 'NOK', message: "command 'reload-rules' failed: broken" });
});

test('reload requests wait for the loop', async () => {
  const reloads = new ReloadRequests();
  const handler = liveRunHandler(reloads);

  const first = handler('reload-rules', {});
  const second = handler('reload-rules', {});
  assert.equal(reloads.isRequested, true);
  reloads.answer(outcome(true, 'rules reloaded'), 12, 2);

  assert.deepEqual(await first, { return: 'OK', message: { loaded: 12, failed: 2 } });
  assert.deepEqual(await second, { return: 'OK', message: { loaded: 12, failed: 2 } });
  assert.equal(reloads.isRequested, false);
});

test('failed reload answers NOK', async () => {
  const reloads = new ReloadRequests();
  const pending = reloads.request();

  reloads.answer(outcome(false, 'rule reload failed, the old rules stay: x.rules: not found'), 5, 0);

  assert.deepEqual(await pending, { return: 'NOK', message: 'rule reload failed, the old rules stay: x.rules: not found' });
});

test('cancel answers pending NOK', async () => {
  const reloads = new ReloadRequests();
  const pending = reloads.request();

  reloads.cancel('kapu is stopping');

  assert.deepEqual(await pending, { return: 'NOK', message: 'kapu is stopping' });
});

test('stale socket file is replaced', async (t) => {
  const path = join(tempFolder(t), 'ctl.socket');
  // A process killed while listening leaves its socket file behind.
  const child = spawnSync(process.execPath, ['-e', "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", path], { timeout: 10_000 });
  assert.equal(child.signal, 'SIGKILL');
  assert.ok(existsSync(path));

  const server = await ControlSocketServer.listen(path, async () => ({ return: 'OK', message: 'fresh' }));
  const answer = await sendControlRequest(path, { command: 'x' });
  await server.close();

  assert.deepEqual(answer, { return: 'OK', message: 'fresh' });
  assert.equal(existsSync(path), false);
});

test('socket in use is rejected', async (t) => {
  const path = join(tempFolder(t), 'ctl.socket');
  const first = await ControlSocketServer.listen(path, async () => ({ return: 'OK', message: null }));
  t.after(() => first.close());

  await assert.rejects(ControlSocketServer.listen(path, async () => ({ return: 'OK', message: null })), (err: unknown) => err instanceof KapuError && err.code === ErrorCode.CONTROL_SOCKET_FAILED && /in use/.test(err.message));
});

test('regular file at socket path is kept', async (t) => {
  const path = join(tempFolder(t), 'ctl.socket');
  writeFileSync(path, 'data');

  await assert.rejects(ControlSocketServer.listen(path, async () => ({ return: 'OK', message: null })), /is not a socket/);
  assert.ok(existsSync(path));
});

test('socket path follows unix-command', () => {
  const config = (enabled: 'auto' | 'yes' | 'no', filename: string): KapuConfig => ({ unixCommand: { enabled, filename } }) as KapuConfig;

  assert.equal(controlSocketPath(config('no', 'kapu-command.socket'), '/var/log/kapu'), null);
  assert.equal(controlSocketPath(config('yes', 'kapu-command.socket'), '/var/log/kapu'), '/var/log/kapu/kapu-command.socket');
  assert.equal(controlSocketPath(config('auto', '/run/kapu.socket'), '/var/log/kapu'), '/run/kapu.socket');
});

test('kapu reload finds socket in log folder', (t) => {
  const logDir = tempFolder(t);
  const kapuBin = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));

  const result = spawnSync(process.execPath, [kapuBin, 'reload', '-l', logDir], { encoding: 'utf8', timeout: 20_000 });

  assert.equal(result.status, 2, result.stderr);
  assert.ok(result.stderr.includes(`'${join(logDir, 'kapu-command.socket')}'`), result.stderr);
});

test('kapu reload takes filename from --set', (t) => {
  const socketPath = join(tempFolder(t), 'other.socket');
  const kapuBin = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));

  const result = spawnSync(process.execPath, [kapuBin, 'reload', '--set', `unix-command.filename=${socketPath}`], { encoding: 'utf8', timeout: 20_000 });

  assert.equal(result.status, 2, result.stderr);
  assert.ok(result.stderr.includes(`'${socketPath}'`), result.stderr);
});
