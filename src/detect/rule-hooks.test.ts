import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction } from '../core/packet.js';
import { Progress } from '../app/http/state.js';
import { loadRulesFromText } from './rule-files.js';
import { AppHook, AppLayerStateMatch, FlowStartHook, HookCheck, parseAppLayerState } from './rule-hooks.js';
import { partitionTxSignatures } from './app-inspect.js';

function load(rule: string): ReturnType<typeof loadRulesFromText> {
  return loadRulesFromText(rule, 'test.rules');
}

test('hook splits from protocol', () => {
  const loaded = load('alert tcp:flow_start any any -> any any (sid:1;)');
  assert.equal(loaded.summary.failed, 0);
  const sig = loaded.signatures[0];
  assert.equal(sig?.proto, 'tcp');
  assert.equal(sig?.hook, 'flow_start');
  assert.ok(sig?.packetMatches[0] instanceof FlowStartHook);
});

test('app hook makes a tx rule', () => {
  const loaded = load('drop tls:client_hello_done any any -> any any (sid:1;)');
  assert.equal(loaded.summary.failed, 0);
  const split = partitionTxSignatures(loaded.signatures);
  assert.equal(split.tx.length, 1);
  assert.equal(split.packet.length, 0);
});

test('hook all adds no matcher', () => {
  const loaded = load('alert ip:all any any -> any any (sid:1;)');
  assert.equal(loaded.summary.failed, 0);
  assert.equal(loaded.signatures[0]?.packetMatches.length, 0);
});

test('unknown hook is an error', () => {
  const loaded = load('alert tls:client_bogus any any -> any any (sid:1;)');
  assert.equal(loaded.summary.failed, 1);
  assert.match(loaded.diagnostics[0]?.message ?? '', /'client_bogus' is not a hook of 'tls' \(expected client_in_progress, client_hello_done/);
  assert.equal(loaded.diagnostics[0]?.column, 11);
});

test('untracked hook skips the rule', () => {
  const loaded = load('alert tls:client_cert_done any any -> any any (sid:1;)');
  assert.equal(loaded.summary.failed, 1);
  assert.equal(loaded.diagnostics[0]?.code, 'KAPU_ERR_RULE_UNSUPPORTED');
  assert.match(loaded.diagnostics[0]?.message ?? '', /hook 'tls:client_cert_done' is not supported yet; rule skipped/);
});

test('http hook progress checks', () => {
  const hook = new AppHook('http', 'response_headers', Direction.TO_CLIENT, HookCheck.HTTP_HEADERS);
  const tx: { requestProgress: number; responseProgress: number } = { requestProgress: Progress.COMPLETE, responseProgress: Progress.HEADERS };
  // The header section is done only once the body starts.
  assert.equal(hook.matchTx(tx, Direction.TO_CLIENT), false);
  tx.responseProgress = Progress.BODY;
  assert.equal(hook.matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(hook.matchTx(tx, Direction.TO_SERVER), false);
});

test('app-layer-state tls progress', () => {
  const tx = { clientHello: null as object | null, serverHello: null as object | null, serverCertificates: [] as Uint8Array[], isToServerDone: false, isToClientDone: false };
  const beforeHello = parseAppLayerState('tls', '<client_hello_done') as AppLayerStateMatch;
  const atHello = parseAppLayerState('tls', 'client_hello_done') as AppLayerStateMatch;
  const serverCerts = parseAppLayerState('tls', '>=server_cert_done') as AppLayerStateMatch;
  assert.equal(beforeHello.matchTx(tx), true);
  assert.equal(atHello.matchTx(tx), false);
  tx.clientHello = {};
  assert.equal(beforeHello.matchTx(tx), false);
  assert.equal(atHello.matchTx(tx), true);
  assert.equal(serverCerts.matchTx(tx), false);
  tx.serverHello = {};
  tx.serverCertificates = [new Uint8Array(1)];
  assert.equal(serverCerts.matchTx(tx), true);
  // A client past its ChangeCipherSpec is finished, no longer at hello_done.
  tx.isToServerDone = true;
  assert.equal(atHello.matchTx(tx), false);
  assert.equal((parseAppLayerState('tls', 'client_finished') as AppLayerStateMatch).matchTx(tx), true);
});

test('app-layer-state bad values', () => {
  assert.equal(parseAppLayerState('tls', 'client_bogus'), "'client_bogus' is not a tls state (expected client_in_progress, client_hello_done, client_cert_done, client_handshake_done, client_finished, server_in_progress, server_hello, server_cert_done, server_hello_done, server_handshake_done, server_finished)");
  assert.equal(parseAppLayerState('tls', '<<client_hello_done'), "'<<client_hello_done' is not of the form [op]<state> (op: <, <=, >, >=, ! or =)");
  assert.equal(parseAppLayerState('http', 'request_line'), "protocol 'http' is not supported yet (supported: tls); rule skipped");
  const loaded = load('alert tls any any -> any any (app-layer-state:<client_hello_done; sid:1;)');
  assert.equal(loaded.summary.failed, 0);
  assert.equal(partitionTxSignatures(loaded.signatures).tx.length, 1);
});
