// The control socket: a unix socket (mode 0600) and optionally TCP on 127.0.0.1, one command a
// line. The reply goes out as soon as the first line is read and the connection is then closed:
// `nc -U` does not half-close, so waiting for EOF would hang it.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { ConfigError, OscError, PreflightError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

export interface ControlServerOptions {
  readonly socketFile: string;
  /** Also listen on 127.0.0.1:<port> (0: any free port, for tests); null: unix socket only. */
  readonly tcpPort: number | null;
  /** Turns one command line into the reply text. */
  readonly handle: (line: string) => string;
  readonly logger: Logger;
}

export interface ControlServer {
  readonly socketFile: string;
  /** The TCP port really bound, or null. */
  readonly tcpPort: number | null;
  /** Stops listening, drops open connections and removes the socket file. Idempotent. */
  close(): Promise<void>;
}

/** A line longer than this is not a command; the connection gets an error instead of growing a buffer. */
const MAX_LINE = 64 * 1024;
/** A client that connects and says nothing is dropped after this. */
const IDLE_MS = 30_000;

function errno(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Connects to an existing socket file: true when something answers (another run is live). */
function probe(socketFile: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketFile);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (err) => {
      s.destroy();
      if (errno(err) === 'ECONNREFUSED' || errno(err) === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}

/** Removes a socket file left by a dead run; refuses when a live run answers on it. */
async function clearStaleSocket(socketFile: string, logger: Logger): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketFile).isSocket();
  } catch (err) {
    if (errno(err) === 'ENOENT') return;
    throw new PreflightError('ALREADY_RUNNING', `cannot inspect control socket ${socketFile}`, { cause: err });
  }
  if (!isSocket) {
    throw new ConfigError(
      'BAD_USAGE',
      `--serve-socket-file ${socketFile} exists and is not a socket; choose another path`,
    );
  }
  let live: boolean;
  try {
    live = await probe(socketFile);
  } catch (err) {
    throw new PreflightError('ALREADY_RUNNING', `cannot probe control socket ${socketFile} (another run's?)`, {
      cause: err,
    });
  }
  if (live) {
    throw new PreflightError(
      'ALREADY_RUNNING',
      `another osc run is serving on ${socketFile}; stop it first, or give this run another --serve-socket-file`,
    );
  }
  try {
    unlinkSync(socketFile);
  } catch (err) {
    if (errno(err) !== 'ENOENT')
      throw new PreflightError('ALREADY_RUNNING', `cannot remove stale control socket ${socketFile}`, { cause: err });
  }
  logger.warn('control_socket_stale', { socket: socketFile, action: 'replaced' });
}

function listen(server: net.Server, target: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      resolve();
    };
    if (typeof target === 'string') server.listen(target, done);
    else server.listen(target.port, target.host, done);
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { socketFile, logger } = opts;
  const open = new Set<net.Socket>();

  const serve = (socket: net.Socket): void => {
    open.add(socket);
    socket.setEncoding('utf8');
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('error', (err) => logger.debug('control_connection_error', { message: err.message }));
    socket.on('close', () => open.delete(socket));
    let buffer = '';
    let answered = false;
    const answer = (line: string): void => {
      answered = true;
      let reply: string;
      try {
        reply = opts.handle(line.replace(/\r$/, ''));
      } catch (err) {
        logger.error('control_command_failed', { message: err instanceof Error ? err.message : String(err) });
        reply = 'error: internal error; see the osc log\n';
      }
      socket.end(reply);
    };
    socket.on('data', (chunk: string) => {
      if (answered) return;
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl >= 0) answer(buffer.slice(0, nl));
      else if (buffer.length > MAX_LINE) {
        answered = true;
        socket.end('error: command line too long\n');
      }
    });
    // A client that half-closes without a newline (`printf status | nc -N`) still gets its answer.
    socket.on('end', () => {
      if (!answered && buffer.trim() !== '') answer(buffer);
      else if (!answered) socket.end();
    });
  };

  await clearStaleSocket(socketFile, logger);

  // allowHalfOpen: the reply to a client that half-closed must still be writable after its EOF.
  const unix = net.createServer({ allowHalfOpen: true }, serve);
  // The socket file is created by bind(), synchronously inside listen(): a umask of 0177 makes it
  // 0600 from the start. process.umask cannot be changed in worker threads, so chmod follows anyway.
  let oldMask: number | null;
  try {
    oldMask = process.umask(0o177);
  } catch {
    oldMask = null;
  }
  let listening: Promise<void>;
  try {
    listening = listen(unix, socketFile);
  } finally {
    if (oldMask !== null) process.umask(oldMask);
  }
  try {
    await listening;
    chmodSync(socketFile, 0o600);
  } catch (err) {
    await closeServer(unix);
    if (errno(err) === 'EADDRINUSE') {
      throw new PreflightError('ALREADY_RUNNING', `another osc run is serving on ${socketFile}`, { cause: err });
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(
      'BAD_USAGE',
      `cannot create the control socket ${socketFile} (${reason}); check --serve-socket-file`,
      { cause: err },
    );
  }

  let tcp: net.Server | null = null;
  let tcpPort: number | null = null;
  if (opts.tcpPort !== null) {
    tcp = net.createServer({ allowHalfOpen: true }, serve);
    try {
      await listen(tcp, { host: '127.0.0.1', port: opts.tcpPort });
      const addr = tcp.address();
      tcpPort = typeof addr === 'object' && addr !== null ? addr.port : opts.tcpPort;
    } catch (err) {
      await closeServer(unix);
      removeSocketFile(socketFile);
      const why = errno(err) === 'EADDRINUSE' ? 'is in use (another osc run?)' : 'cannot be served';
      throw new PreflightError('ALREADY_RUNNING', `control port 127.0.0.1:${opts.tcpPort} ${why}`, { cause: err });
    }
  }
  logger.info('control_server_listening', {
    socket: socketFile,
    tcp: tcpPort === null ? undefined : `127.0.0.1:${tcpPort}`,
  });

  let closing: Promise<void> | null = null;
  return {
    socketFile,
    tcpPort,
    close() {
      closing ??= (async () => {
        const done = Promise.all([closeServer(unix), tcp === null ? Promise.resolve() : closeServer(tcp)]);
        for (const s of open) s.destroy();
        await done;
        removeSocketFile(socketFile);
      })();
      return closing;
    },
  };
}

function removeSocketFile(socketFile: string): void {
  try {
    unlinkSync(socketFile);
  } catch (err) {
    // libuv unlinks the file itself when the server closes; anything but "already gone" is worth an error.
    if (errno(err) !== 'ENOENT')
      throw new OscError('INTERNAL', `cannot remove control socket ${socketFile}`, { cause: err });
  }
}
