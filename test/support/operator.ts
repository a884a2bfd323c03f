// Helpers for driving a running migration from a test, as an operator would: one command over the control
// socket (plain node:net, or `osc ctl` through main()), the status reply parsed, a stalled copy detected.
import { createConnection } from 'node:net';
import { main } from '../../src/cli/main.js';
import { waitFor } from './servers.js';

/** One command over the unix socket with node:net; resolves with the whole reply. */
export function socketCommand(socket: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const c = createConnection(socket, () => c.write(`${line}\n`));
    c.setEncoding('utf8');
    c.on('data', (d: string) => (reply += d));
    c.on('end', () => resolve(reply));
    c.on('error', reject);
  });
}

export interface CtlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `osc ctl --socket PATH <command...>` through the CLI's main(), as an operator without nc would send it. */
export async function oscCtl(socket: string, command: readonly string[]): Promise<CtlRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'osc', 'ctl', '--socket', socket, ...command], {
    stdout: (t: string) => (stdout += t),
    stderr: (t: string) => (stderr += t),
    env: {},
  });
  return { code, stdout, stderr };
}

export interface StatusFigures {
  readonly phase: string;
  readonly copied: number;
  readonly applied: number;
  /** The `throttled="..."` reason, or null when not throttled. */
  readonly throttled: string | null;
  readonly text: string;
}

/** The figures of the socket's `status` reply (its status line: `phase=copy copied=N/M ... applied=N ...`). */
export function parseStatus(text: string): StatusFigures {
  const phase = /\bphase=(\S+)/.exec(text)?.[1];
  const copied = /\bcopied=(\d+)\//.exec(text)?.[1];
  const applied = /\bapplied=(\d+)/.exec(text)?.[1];
  if (phase === undefined || copied === undefined || applied === undefined)
    throw new Error(`not a status reply: ${JSON.stringify(text)}`);
  const throttled = /\bthrottled=("(?:[^"\\]|\\.)*")/.exec(text)?.[1];
  return {
    phase,
    copied: Number(copied),
    applied: Number(applied),
    throttled: throttled === undefined ? null : (JSON.parse(throttled) as string),
    text,
  };
}

export async function status(socket: string): Promise<StatusFigures> {
  return parseStatus(await socketCommand(socket, 'status'));
}

/**
 * Waits until two `status` reads ~1 s apart show the copy phase with the same copied count, i.e. the copy stands
 * still (a chunk already running when the throttle began may still land, hence the retries). Returns the second read.
 */
export async function copyStalls(socket: string, timeoutMs = 30_000): Promise<StatusFigures> {
  return waitFor(
    async () => {
      const a = await status(socket);
      await new Promise((r) => setTimeout(r, 1000));
      const b = await status(socket);
      return a.phase === 'copy' && b.phase === 'copy' && a.copied === b.copied && b.throttled !== null ? b : null;
    },
    {
      timeoutMs,
      intervalMs: 50,
      message: 'the copy to stand still (copied constant across two status reads 1 s apart)',
    },
  );
}
