// Sends one command line to a running migration's control socket and returns the whole reply
// (the server closes the connection after replying).
import net from 'node:net';
import { PreflightError } from '../core/errors.js';

export type ControlTarget = { readonly socketFile: string } | { readonly tcpPort: number };

export function describeTarget(target: ControlTarget): string {
  return 'socketFile' in target ? target.socketFile : `127.0.0.1:${target.tcpPort}`;
}

function errno(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Rejects with PreflightError('CONNECT_FAILED') when nothing listens there, or no reply comes in time. */
export function sendControlCommand(target: ControlTarget, line: string, timeoutMs = 10_000): Promise<string> {
  const where = describeTarget(target);
  return new Promise((resolve, reject) => {
    const socket = 'socketFile' in target ? net.connect(target.socketFile) : net.connect(target.tcpPort, '127.0.0.1');
    let reply = '';
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () =>
      settle(() =>
        reject(
          new PreflightError('CONNECT_FAILED', `no reply from the control socket ${where} within ${timeoutMs / 1000}s`),
        ),
      ),
    );
    socket.on('connect', () => socket.write(`${line.replace(/[\r\n]+/g, ' ').trim()}\n`));
    socket.on('data', (chunk: string) => {
      reply += chunk;
    });
    socket.on('end', () => settle(() => resolve(reply)));
    socket.on('close', () => settle(() => resolve(reply)));
    socket.on('error', (err) => {
      const code = errno(err);
      const why =
        code === 'ENOENT' || code === 'ECONNREFUSED'
          ? `no migration is listening on ${where}`
          : `cannot talk to the control socket ${where}: ${err.message}`;
      settle(() => reject(new PreflightError('CONNECT_FAILED', why, { cause: err })));
    });
  });
}
