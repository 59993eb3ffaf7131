#!/usr/bin/env node
// Test HTTP server for the virtual-patch captures and the in-line lab test.
// Prints one JSON line per request whose body arrived in full
// ({"method":..,"url":..,"bodyBytes":..}) and responds 200 "ok". It listens
// on [::] (IPv4 too) and exits after MAX_SECONDS, so a lab never keeps it.
//
//   virtual-patch-server.js [PORT] [MAX_SECONDS]    (defaults 8080, 120)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8080);
const maxSeconds = Number(process.argv[3] ?? 120);

const server = createServer({ insecureHTTPParser: true }, (req, res) => {
  let bodyBytes = 0;
  req.on('data', (chunk) => (bodyBytes += chunk.length));
  req.on('end', () => {
    process.stdout.write(JSON.stringify({ method: req.method, url: req.url, bodyBytes }) + '\n');
    res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('ok\n');
  });
});
server.on('clientError', (err, socket) => {
  process.stdout.write(JSON.stringify({ clientError: err.code ?? String(err) }) + '\n');
  socket.destroy();
});
server.listen(port, '::', () => process.stdout.write(`listening ${port}\n`));
setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
