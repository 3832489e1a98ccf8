/**
 * The ceiling of the query path: a node:dgram server that does no DNS work at all. It answers each
 * datagram with the same bytes, flagged as a response (QR, AA, NOERROR), one `send` per `message`
 * event, exactly the socket calls idzone's UDP transport makes per query. dnsperf against it, with
 * the same options and query file as against idzone, measures what one Node.js thread can answer on
 * this machine before any lookup, signature or encoding is done; the signing benchmark reports
 * idzone's rates beside it in the same run.
 *
 *   node dist/bench/dgram-echo.js PORT      (prints "ready" once bound to 127.0.0.1:PORT)
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(import.meta.url);

export interface EchoProcess {
  pid: number;
  stop(): Promise<void>;
}

/** Spawns the echo server on `port` and resolves once it is bound (rejects after 10 s). */
export function startDgramEcho(port: number): Promise<EchoProcess> {
  const child = spawn(process.execPath, [SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error('the node:dgram echo server did not start within 10 s'));
    }, 10_000);
    child.stdout?.on('data', (b: Buffer) => {
      if (!b.toString().includes('ready')) return;
      clearTimeout(timer);
      resolve({ pid: child.pid!, stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the node:dgram echo server exited with ${code}`));
    });
  });
}

function serve(port: number): void {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    msg[2] = (msg[2]! | 0x84) & 0xfd; // QR + AA, TC clear
    msg[3] = 0; // RA clear, NOERROR
    socket.send(msg, rinfo.port, rinfo.address);
  });
  socket.bind(port, '127.0.0.1', () => process.stdout.write('ready\n'));
  process.once('SIGTERM', () => socket.close(() => process.exit(0)));
}

if (process.argv[1] === SCRIPT) {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write('usage: node dist/bench/dgram-echo.js PORT\n');
    process.exit(2);
  }
  serve(port);
}
