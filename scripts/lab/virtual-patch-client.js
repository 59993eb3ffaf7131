#!/usr/bin/env node
// Sends the requests of test/virtual-patches/requests.json to a test
// server, each on its own TCP connection, and prints one JSON line per
// request: {"cve","kind","index","outcome","status","ms"}. The outcome is
// "response" (status is the HTTP status code), "timeout" (no response
// within the limit), "reset" or "error".
//
//   virtual-patch-client.js HOST PORT CVE attempts|normal [INDEX] [TIMEOUT_MS]
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const REQUESTS = new URL('../../test/virtual-patches/requests.json', import.meta.url);

const [host, portText, cve, kind, indexText, timeoutText] = process.argv.slice(2);
if (host === undefined || portText === undefined || cve === undefined || (kind !== 'attempts' && kind !== 'normal')) {
  process.stderr.write('usage: virtual-patch-client.js HOST PORT CVE attempts|normal [INDEX] [TIMEOUT_MS]\n');
  process.exit(2);
}
const timeoutMs = Number(timeoutText ?? 3000);
const patch = JSON.parse(readFileSync(REQUESTS, 'utf8')).patches[cve];
if (patch === undefined) {
  process.stderr.write(`unknown CVE '${cve}' (not in requests.json)\n`);
  process.exit(2);
}
const requests = patch[kind];
const indexes = indexText === undefined || indexText === 'all' ? requests.map((_, i) => i) : [Number(indexText)];

/** Builds the request bytes: request line, headers, Host, Content-Length, Connection: close, body. */
function rawRequest(request) {
  const body = Buffer.from(request.body ?? '', 'utf8');
  const lines = [`${request.method} ${request.target} HTTP/1.1`, `Host: ${host.includes(':') ? `[${host}]` : host}:${portText}`];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (request.body !== undefined) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

/** Sends one request and resolves with its outcome. */
function send(index) {
  const started = Date.now();
  return new Promise((resolve) => {
    let answer = '';
    let isDone = false;
    const finish = (outcome) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      resolve({ cve, kind, index, outcome, status: status === null ? 0 : Number(status[1]), ms: Date.now() - started });
    };
    const socket = connect({ host, port: Number(portText) }, () => socket.write(rawRequest(requests[index])));
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', () => finish(answer === '' ? 'error' : 'response'));
    socket.on('error', (err) => finish(err.code === 'ECONNRESET' ? 'reset' : 'error'));
  });
}

for (const index of indexes) {
  process.stdout.write(JSON.stringify(await send(index)) + '\n');
  // A short pause keeps each connection apart in a capture.
  await new Promise((resolve) => setTimeout(resolve, 50));
}
