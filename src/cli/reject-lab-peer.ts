/**
 * One end of the namespace test of the reject actions (reject-lab.test.ts),
 * run inside a lab namespace as one of:
 *
 *   node reject-lab-peer.js server PORT
 *   node reject-lab-peer.js tcp-client HOST PORT MESSAGE WAIT_MS
 *   node reject-lab-peer.js udp-client HOST PORT MESSAGE WAIT_MS
 *
 * The server listens on TCP and UDP PORT on every address, prints "ready",
 * then one JSON line per socket event, and echoes what it receives after
 * "echo:". It runs until stdin closes or it gets SIGTERM.
 *
 * A client connects, waits CONNECT_SETTLE_MS so the server has accepted,
 * sends MESSAGE once and prints one JSON line per event until data
 * arrives, the socket fails or closes, or WAIT_MS pass. The last line is
 * `{"event":"done"}`.
 *
 * Every line carries `t`, the CLOCK_MONOTONIC time in milliseconds. That
 * clock is the same in every process and namespace of the machine, so the
 * test can compare times printed by the client and the server.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIPv6, type Socket } from 'node:net';

/** Milliseconds between a client's connect and its send, so the server has accepted the connection first. */
const CONNECT_SETTLE_MS = 200;

function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

function print(fields: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ ...fields, t: monotonicMs() }) + '\n');
}

function errorCodeOf(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

function runServer(port: number): void {
  const tcp = createServer((socket: Socket) => {
    const peer = `${socket.remoteAddress} ${socket.remotePort}`;
    print({ event: 'accept', proto: 'tcp', peer });
    socket.on('data', (chunk: Buffer) => {
      print({ event: 'data', proto: 'tcp', peer, text: chunk.toString('latin1') });
      socket.write(`echo:${chunk.toString('latin1')}`);
    });
    socket.on('error', (error: Error) => print({ event: 'error', proto: 'tcp', peer, code: errorCodeOf(error) }));
    socket.on('close', () => print({ event: 'close', proto: 'tcp', peer }));
  });
  const udp = createSocket({ type: 'udp6', ipv6Only: false });
  udp.on('message', (message: Buffer, remote) => {
    const peer = `${remote.address} ${remote.port}`;
    print({ event: 'message', proto: 'udp', peer, text: message.toString('latin1') });
    udp.send(`echo:${message.toString('latin1')}`, remote.port, remote.address);
  });

  let listening = 0;
  const onListening = (): void => {
    listening++;
    if (listening === 2) process.stdout.write('ready\n');
  };
  tcp.listen({ host: '::', port, ipv6Only: false }, onListening);
  udp.bind({ address: '::', port }, onListening);

  const stop = (): void => {
    tcp.close();
    udp.close();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}

function runTcpClient(host: string, port: number, message: string, waitMs: number): void {
  const socket = connect({ host, port });
  const finish = (): void => {
    print({ event: 'done' });
    socket.destroy();
    process.exit(0);
  };
  socket.on('connect', () => {
    print({ event: 'connect', localPort: socket.localPort });
    setTimeout(() => {
      socket.write(message);
      print({ event: 'send' });
      setTimeout(finish, waitMs);
    }, CONNECT_SETTLE_MS);
  });
  // The server's echo ends a client at once, as a failure does.
  socket.on('data', (chunk: Buffer) => {
    print({ event: 'data', text: chunk.toString('latin1') });
    finish();
  });
  socket.on('error', (error: Error) => print({ event: 'error', code: errorCodeOf(error) }));
  // A failed or closed connection ends the client at once.
  socket.on('close', () => {
    print({ event: 'close' });
    finish();
  });
}

function runUdpClient(host: string, port: number, message: string, waitMs: number): void {
  const socket: UdpSocket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const finish = (): void => {
    print({ event: 'done' });
    socket.close();
    process.exit(0);
  };
  socket.on('message', (chunk: Buffer) => {
    print({ event: 'data', text: chunk.toString('latin1') });
    finish();
  });
  // A connected UDP socket reports an ICMP error for its peer on its next read.
  socket.on('error', (error: Error) => {
    print({ event: 'error', code: errorCodeOf(error) });
    finish();
  });
  socket.connect(port, host, () => {
    print({ event: 'connect', localPort: socket.address().port });
    setTimeout(() => {
      socket.send(message);
      print({ event: 'send' });
      setTimeout(finish, waitMs);
    }, CONNECT_SETTLE_MS);
  });
}

function main(): void {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'server') {
    runServer(Number(args[0]));
  } else if (mode === 'tcp-client') {
    runTcpClient(args[0] as string, Number(args[1]), args[2] as string, Number(args[3]));
  } else if (mode === 'udp-client') {
    runUdpClient(args[0] as string, Number(args[1]), args[2] as string, Number(args[3]));
  } else {
    process.stderr.write(`reject-lab-peer: unknown mode '${mode}' (expected server, tcp-client or udp-client)\n`);
    process.exitCode = 2;
  }
}

main();
